"""Organizer accounts, their login throttle and their one-time links (password reset, invitation)."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import enum_type, utcnow


class OrganizerRole(str, enum.Enum):
    ADMIN = "admin"
    ORGANIZER = "organizer"


def new_session_token() -> str:
    """Return a fresh session token; replacing it ends every session that carried the old one."""
    return secrets.token_urlsafe(32)


class Organizer(db.Model):
    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(120), default="")
    # argon2id; None for an invited organizer who has not chosen a password yet.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[OrganizerRole] = mapped_column(enum_type(OrganizerRole), default=OrganizerRole.ORGANIZER)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Flask-Login's user id is this token, not the primary key: logout, a password change or disabling
    # the account replaces it, and every cookie that carried the old one stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    # The organizer's own phone, for test sends of an alert (E.164).
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # --- Flask-Login's user protocol ---
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.enabled

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role is OrganizerRole.ADMIN


class LoginFailure(db.Model):
    """One failed login, counted per account and per client address to throttle guessing.

    In the database rather than process memory so every web process sees the same count.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "account:<sha256 of the email>" or "ip:<address>": no email address in clear.
    key: Mapped[str] = mapped_column(String(100), index=True)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class TokenPurpose(str, enum.Enum):
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"


class OrganizerToken(db.Model):
    """A single-use, expiring link sent by email; only its hash is stored."""

    __tablename__ = "organizer_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_type(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organizer: Mapped[Organizer] = relationship()
