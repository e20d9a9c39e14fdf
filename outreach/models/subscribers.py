"""SMS subscribers, the consent evidence every subscription rests on, and texts they send us."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import enum_type, utcnow


class SubscriberStatus(str, enum.Enum):
    ACTIVE = "active"
    OPTED_OUT = "opted_out"


class ConsentRecord(db.Model):
    """Evidence of consent: kept at least four years, even after the number opts out."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(40))  # web_form, action_form, keyword
    # What came with it: for a keyword join, the text the person sent (the disclosure is our confirmation).
    source_detail: Mapped[str | None] = mapped_column(Text)
    disclosure_text: Mapped[str] = mapped_column(Text)
    disclosure_version: Mapped[str] = mapped_column(String(40))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class Subscriber(db.Model):
    """One number in the deployment's single SMS program."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    # NOT NULL and a foreign key: the database itself refuses a subscription without consent evidence.
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_records.id"), nullable=False)
    status: Mapped[SubscriberStatus] = mapped_column(enum_type(SubscriberStatus), default=SubscriberStatus.ACTIVE)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    zip_code: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[str | None] = mapped_column(String(2), index=True)
    district: Mapped[int | None] = mapped_column(Integer)  # None while unknown (e.g. a split ZIP)
    source_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    consent: Mapped[ConsentRecord] = relationship()


class InboundMessage(db.Model):
    """A text someone sent the program's number that was not a keyword: it waits in the organizers' inbox."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id"))
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # MessageSid: a retried webhook is stored once
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
