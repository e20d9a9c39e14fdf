"""Times on the dashboard: shown and entered in the organization's time zone (ORG_TIMEZONE), stored in UTC.

Organizers think in their own office hours; a schedule box that asked for UTC invited an alert at 4 in the
morning (held by quiet hours, but not what anyone meant). Subscribers' own zones are the quiet-hours rule's
business (outreach/delivery/quiet_hours.py), not this module's.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from outreach.config import ConfigurationError
from outreach.models.base import as_utc


def check_zone(name: str) -> ZoneInfo:
    """Return the zone named by ORG_TIMEZONE, or refuse to start with a clear message."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"ORG_TIMEZONE={name!r} is not an IANA time zone (e.g. America/Chicago)") from exc


def org_zone() -> ZoneInfo:
    return check_zone(current_app.config["ORG_TIMEZONE"])


def to_org_local(moment: datetime | None) -> datetime | None:
    """A stored moment as the organization's wall-clock time, naive, as a datetime-local box holds it."""
    return as_utc(moment).astimezone(org_zone()).replace(tzinfo=None) if moment else None


def from_org_local(value: datetime | None) -> datetime | None:
    """A wall-clock time typed in the organization's zone, as a UTC moment (in a repeated hour, the first).

    In UTC, not merely aware: SQLite keeps a datetime's wall-clock digits and drops its zone.
    """
    return value.replace(tzinfo=org_zone()).astimezone(timezone.utc) if value else None


def org_time(moment: datetime | None, empty: str = "—", format: str = "%Y-%m-%d %H:%M %Z") -> str:
    """Format a stored moment for organizers: '2026-11-30 09:00 EST' (or `format`, e.g. only the date)."""
    if not moment:
        return empty
    return as_utc(moment).astimezone(org_zone()).strftime(format)
