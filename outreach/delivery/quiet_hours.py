"""Quiet hours: alerts go out only between QUIET_HOURS_END (08:00) and QUIET_HOURS_START (20:00) local time.

A subscriber's time zone comes from their state. A state that spans several zones (Florida, Texas, Indiana,
Alaska…) allows a send only when the moment is inside the window in every one of them, so nobody in the state is
texted at night. Everything here is a pure function of the moment it is given: callers pass the clock in.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

# Every IANA zone in use in each state, DC and territory (zone1970.tab, plus the unofficial local practice where
# a county keeps a neighbour's time: West Wendover NV and Kenton OK on Mountain time, the Navajo Nation in AZ on
# Denver's daylight time). More zones only narrow the window, so leaning towards too many is the safe side.
STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": ("America/Chicago",),
    "AK": ("America/Anchorage", "America/Juneau", "America/Sitka", "America/Metlakatla", "America/Yakutat",
           "America/Nome", "America/Adak"),
    "AZ": ("America/Phoenix", "America/Denver"),
    "AR": ("America/Chicago",),
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DE": ("America/New_York",),
    "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),
    "GA": ("America/New_York",),
    "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Indiana/Vincennes", "America/Indiana/Winamac",
           "America/Indiana/Marengo", "America/Indiana/Petersburg", "America/Indiana/Vevay",
           "America/Indiana/Tell_City", "America/Indiana/Knox", "America/Chicago"),
    "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Kentucky/Louisville", "America/Kentucky/Monticello", "America/Chicago"),
    "LA": ("America/Chicago",),
    "ME": ("America/New_York",),
    "MD": ("America/New_York",),
    "MA": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MS": ("America/Chicago",),
    "MO": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"),
    "NV": ("America/Los_Angeles", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NY": ("America/New_York",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/North_Dakota/Center", "America/North_Dakota/New_Salem",
           "America/North_Dakota/Beulah", "America/Denver"),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago", "America/Denver"),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",),
    "VT": ("America/New_York",),
    "VA": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WV": ("America/New_York",),
    "WI": ("America/Chicago",),
    "WY": ("America/Denver",),
    # Territories.
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "AS": ("Pacific/Pago_Pago",),
}

# A subscriber whose state we do not know gets the window every state and the Caribbean territories share
# (Eastern/Atlantic to Hawaii–Aleutian: about six hours a day). Guam (UTC+10) and American Samoa (UTC−11) are
# left out on purpose: with them no moment of the day is inside a 12-hour window everywhere.
UNKNOWN_STATE_ZONES: tuple[str, ...] = tuple(sorted({zone for state, zones in STATE_ZONES.items()
                                                     if state not in ("GU", "MP", "AS") for zone in zones}))

DEFAULT_START, DEFAULT_END = 20, 8


@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zones_for(state: str | None) -> tuple[ZoneInfo, ...]:
    """Return the time zones of a state, territory or DC; every U.S. zone of the mainland and Caribbean if unknown."""
    names = STATE_ZONES.get((state or "").upper(), UNKNOWN_STATE_ZONES)
    return tuple(_zone(name) for name in names)


def is_allowed(moment: datetime, state: str | None, start: int = DEFAULT_START, end: int = DEFAULT_END) -> bool:
    """Tell whether an alert may go out at this moment to someone in this state (every zone inside the window)."""
    moment = _aware(moment)
    for zone in zones_for(state):
        local = moment.astimezone(zone)
        # Seconds into the local day, so a window may end at 24 (QUIET_HOURS_START=24, END=0: no quiet hours).
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        if not (end * 3600 <= second < start * 3600):
            return False
    return True


def next_allowed(now_utc: datetime, state: str | None, start: int = DEFAULT_START, end: int = DEFAULT_END) -> datetime:
    """Return `now_utc` when a send is allowed now, else the earliest later moment (UTC) when it is."""
    now_utc = _aware(now_utc)
    if is_allowed(now_utc, state, start, end):
        return now_utc
    # The allowed moments are the intersection of one [end, start) interval per zone, so the first one is the
    # moment some zone reaches its local `end` hour (08:00). That hour is never in a DST gap (those are at 02:00).
    candidates = []
    for zone in zones_for(state):
        today = now_utc.astimezone(zone).date()
        for offset in range(0, 4):
            opening = datetime.combine(today + timedelta(days=offset), time(end), tzinfo=zone).astimezone(timezone.utc)
            if opening > now_utc:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if is_allowed(candidate, state, start, end):
            return candidate
    raise ValueError(f"no moment in the next days is inside quiet-hours window for state {state!r}")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
