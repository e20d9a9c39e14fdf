"""Column helpers shared by every model module."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import Enum


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Return a datetime as aware UTC; SQLite hands back naive datetimes that were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def enum_type(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum as its value in a VARCHAR, so rows read the same in SQL as in Python."""
    return Enum(enum_class, native_enum=False, length=40, values_callable=lambda members: [m.value for m in members],
                validate_strings=True)
