"""The outbox: one row per outgoing message, the single source of truth for what was sent."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.actions import Action
from outreach.models.base import enum_type, utcnow


class DeliveryState(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    HANDOFF = "handoff"
    SKIPPED = "skipped"


class DeliveryKind(str, enum.Enum):
    OFFICE_MESSAGE = "office_message"  # to a member of Congress (CWC, or hand-off)
    TARGET_EMAIL = "target_email"      # to a custom target with an email address
    RECEIPT = "receipt"                # email to the constituent
    SCRIPT_SMS = "script_sms"          # text to the constituent: their script and the numbers to call
    SMS_CONFIRMATION = "sms_confirmation"  # the one text confirming a new subscription
    SMS_REPLY = "sms_reply"            # a keyword's answer (HELP, START, a ZIP saved)
    SMS_OPT_OUT_CONFIRMATION = "sms_opt_out_confirmation"  # the last text a number gets after STOP
    ALERT_SMS = "alert_sms"            # an organizer's action alert to one subscriber
    ORGANIZER_EMAIL = "organizer_email"  # a password-reset or invitation link to an organizer


# The only text that may go to a number on the suppression list: the confirmation that it is on it.
SENT_DESPITE_SUPPRESSION = frozenset({DeliveryKind.SMS_OPT_OUT_CONFIRMATION})


class Medium(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"
    CWC = "cwc"


def new_delivery_key() -> str:
    """Return a 32-character id that stays the same on every retry (CWC DeliveryId, callback URLs)."""
    return uuid.uuid4().hex


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("action_id", "kind", "recipient_key"),
        # An alert reaches each subscriber at most once, whatever happens to the fan-out.
        UniqueConstraint("alert_id", "subscriber_id"),
        # The worker's claim query: due pending rows, oldest first.
        Index("ix_deliveries_due", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_delivery_key)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id"), index=True)
    # A reply to a text from a number that is not a subscriber (HELP from anyone must be answered).
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"))
    kind: Mapped[DeliveryKind] = mapped_column(enum_type(DeliveryKind))
    medium: Mapped[Medium] = mapped_column(enum_type(Medium))
    # Who it goes to, without personal data: a bioguide id, "target:<id>" or "constituent".
    recipient_key: Mapped[str] = mapped_column(String(40))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Messages to Congress offices: the office's CWC code, and the message without greeting or signature
    # (CWC carries the constituent's name and address in elements of their own).
    office_code: Mapped[str | None] = mapped_column(String(5))
    statement: Mapped[str | None] = mapped_column(Text)

    state: Mapped[DeliveryState] = mapped_column(enum_type(DeliveryState), default=DeliveryState.PENDING)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    action: Mapped[Action | None] = relationship(back_populates="deliveries")


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Suppression(db.Model):
    """An address or number that must not be messaged again (opt-out, bounce, spam report)."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    medium: Mapped[Medium] = mapped_column(enum_type(Medium))
    address: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("medium", "address"),)


class ProviderEvent(db.Model):
    """A webhook event already applied, so a repeated one changes nothing."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
