"""A constituent's action: who wrote, to whom, and what; erased on request or after retention."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import utcnow


def new_token() -> str:
    """Return an unguessable URL-safe token."""
    return secrets.token_urlsafe(24)


class Action(db.Model):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # The form's one-time token: a repeated POST finds this row and shows the first result.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Opens the status page from the receipt; never logged.
    status_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)

    # Where the person confirmed they live; kept after erasure for anonymous counts.
    state: Mapped[str] = mapped_column(String(2))
    district: Mapped[int | None] = mapped_column(Integer)

    # Personal data: erased by "delete my data" and, for address and phone, by retention.
    prefix: Mapped[str | None] = mapped_column(String(10))
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(80))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    personal_note: Mapped[str | None] = mapped_column(Text)

    send_to_offices: Mapped[bool] = mapped_column(default=False)
    text_me_script: Mapped[bool] = mapped_column(default=False)
    sms_opt_in: Mapped[bool] = mapped_column(default=False)
    sms_consent_text: Mapped[str | None] = mapped_column(Text)

    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contact_details_erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    deliveries: Mapped[list["Delivery"]] = relationship(  # noqa: F821
        back_populates="action", order_by="Delivery.id")
