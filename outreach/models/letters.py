"""Sign-on letters and their signatures, keyed by bioguide id."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import enum_type, utcnow
from outreach.models.congress import Chamber


class Letter(db.Model):
    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    letter_date: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(300))
    eligible_chamber: Mapped[Chamber] = mapped_column(enum_type(Chamber))
    # False while the signer list is known to miss names: "not listed" then never reads "did not sign".
    signers_complete: Mapped[bool] = mapped_column(default=False)
    reported_signer_count: Mapped[int | None]
    source_url: Mapped[str | None] = mapped_column(String(500))
    # The letter as the organizer pasted it, in Markdown; rendered only after sanitizing.
    body: Mapped[str] = mapped_column(Text, default="", server_default="")

    signatures: Mapped[list["Signature"]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", order_by="Signature.id"
    )


class Signature(db.Model):
    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("letter_id", "bioguide_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    # Not a foreign key: a signature may be imported before the signer's record is synced.
    bioguide_id: Mapped[str] = mapped_column(String(7))
    name_as_printed: Mapped[str] = mapped_column(String(160))
    source: Mapped[str] = mapped_column(Text)
    is_lead: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="signatures")
