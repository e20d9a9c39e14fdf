"""SMS action alerts: what an organizer writes, who it goes to, and where it is in its send."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.extensions import db
from outreach.models.base import enum_type, utcnow


class AlertStatus(str, enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"    # waiting for send_at; fanned out when it comes
    SENDING = "sending"        # fanned out; the workers are working through its deliveries
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class SegmentKind(str, enum.Enum):
    EVERYONE = "everyone"
    STATE = "state"
    DISTRICT = "district"
    SIGNING_STATUS = "signing_status"  # by the Representative's status for a campaign's letter


class Alert(db.Model):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # for organizers only
    # {"en": "...", "es": "..."}; subscribers get their language, English when theirs is missing.
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)
    # The action page it links to, if any.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"))

    segment_kind: Mapped[SegmentKind] = mapped_column(enum_type(SegmentKind), default=SegmentKind.EVERYONE)
    segment_state: Mapped[str | None] = mapped_column(String(2))
    segment_district: Mapped[int | None] = mapped_column(Integer)
    segment_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    # Signing statuses of the subscriber's Representative that are included, e.g. ["not_listed"].
    segment_statuses: Mapped[list] = mapped_column(JSON, default=list)

    status: Mapped[AlertStatus] = mapped_column(enum_type(AlertStatus), default=AlertStatus.DRAFT, index=True)
    send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Messages not sent by then are skipped, never sent late.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipient_count: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")


class SmsSendSlot(db.Model):
    """One request to the SMS provider, kept until it counts no more: the shared window behind SMS_MAX_PER_SECOND."""

    __tablename__ = "sms_send_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # When the provider's answer came back; empty while the request is in flight (outreach/delivery/ratelimit.py).
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
