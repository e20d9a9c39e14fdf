"""Flask-Login's side of organizer sessions."""

from __future__ import annotations

from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Organizer


def load_organizer(session_token: str) -> Organizer | None:
    """Return the enabled organizer whose current session token this is; an old cookie finds no one."""
    organizer = db.session.scalar(select(Organizer).where(Organizer.session_token == session_token))
    return organizer if organizer is not None and organizer.enabled else None
