"""Campaigns built on a letter, and the demands that each become an action page."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import enum_type, utcnow
from outreach.models.letters import Letter


class CampaignStatus(str, enum.Enum):
    DRAFT = "draft"
    LIVE = "live"
    CLOSED = "closed"


class Translatable:
    """Text fields with per-language overrides in a JSON column: {"es": {"title": "..."}}."""

    translations: Mapped[dict]

    def text(self, field: str, locale: str) -> str:
        """Return a field in the given language, falling back to the original text."""
        localized = (self.translations or {}).get(locale, {})
        return localized.get(field) or getattr(self, field)


class Campaign(Translatable, db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus), default=CampaignStatus.DRAFT, index=True
    )
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"))
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    # From and Reply-To of email this campaign sends (receipts, custom targets).
    sender_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    sender_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who held each seat when the campaign went live ({"CA-12": "P000197", "CA-S1": ...}), so the dashboard
    # can warn when a target changed since launch.
    launch_roster: Mapped[dict | None] = mapped_column(JSON)

    letter: Mapped[Letter] = relationship()
    demands: Mapped[list["Demand"]] = relationship(
        back_populates="campaign", order_by="Demand.position", cascade="all, delete-orphan"
    )
    targets: Mapped[list["Target"]] = relationship(
        back_populates="campaign", order_by="Target.position", cascade="all, delete-orphan"
    )

    def demand(self, slug: str) -> "Demand | None":
        return next((d for d in self.demands if d.slug == slug), None)


class Demand(Translatable, db.Model):
    __tablename__ = "demands"
    __table_args__ = (UniqueConstraint("campaign_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text)
    ask: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    campaign: Mapped[Campaign] = relationship(back_populates="demands")
    templates: Mapped[list["MessageTemplate"]] = relationship(
        back_populates="demand", cascade="all, delete-orphan", order_by="MessageTemplate.id")


class Audience(str, enum.Enum):
    """Which version of a message a member gets: thanks for signers, an urge for everyone else."""

    SIGNER = "signer"
    OTHER = "other"


class MessageTemplate(db.Model):
    """A demand's message for one audience and language; {placeholders} are filled per member."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("demand_id", "audience", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    audience: Mapped[Audience] = mapped_column(enum_type(Audience))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sms_body: Mapped[str] = mapped_column(Text)

    demand: Mapped[Demand] = relationship(back_populates="templates")


class Target(db.Model):
    """Someone other than a member of Congress who gets the message by email, e.g. the letter's recipient."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))

    campaign: Mapped[Campaign] = relationship(back_populates="targets")
