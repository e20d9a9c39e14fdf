"""Quiet hours: 08:00–20:00 local in every zone of the subscriber's state, with the clock passed in."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest

from outreach.delivery.quiet_hours import STATE_ZONES, UNKNOWN_STATE_ZONES, is_allowed, next_allowed

UTC = timezone.utc


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_every_state_dc_and_territory_has_real_zones():
    states = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
              "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
              "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
              "PR", "VI", "GU", "MP", "AS"}
    assert set(STATE_ZONES) == states
    zones = available_timezones()
    assert all(zone in zones for names in STATE_ZONES.values() for zone in names)
    assert set(STATE_ZONES["FL"]) == {"America/New_York", "America/Chicago"}
    assert set(STATE_ZONES["TX"]) == {"America/Chicago", "America/Denver"}
    assert {"America/Anchorage", "America/Adak"} <= set(STATE_ZONES["AK"])


def test_2030_local_is_held_until_0800():
    evening = local("America/Chicago", 2026, 1, 14, 20, 30)
    assert not is_allowed(evening, "IL")
    assert next_allowed(evening, "IL") == local("America/Chicago", 2026, 1, 15, 8, 0)
    assert next_allowed(local("America/Chicago", 2026, 1, 15, 7, 59), "IL") == local("America/Chicago", 2026, 1, 15, 8)
    noon = local("America/Chicago", 2026, 1, 15, 12, 0)
    assert next_allowed(noon, "IL") == noon
    # The window's edges: 08:00 is in, 20:00 is out.
    assert is_allowed(local("America/Chicago", 2026, 1, 15, 8, 0), "IL")
    assert not is_allowed(local("America/Chicago", 2026, 1, 15, 20, 0), "IL")


def test_a_state_with_two_zones_waits_for_both():
    # 07:30 in Pensacola is 08:30 in Miami: Florida must wait for the Central zone.
    morning = local("America/Chicago", 2026, 1, 15, 7, 30)
    assert is_allowed(morning, "GA") and not is_allowed(morning, "FL")
    assert next_allowed(morning, "FL") == local("America/Chicago", 2026, 1, 15, 8, 0)
    # 19:30 in Pensacola is 20:30 in Miami: too late for Florida already.
    evening = local("America/Chicago", 2026, 1, 15, 19, 30)
    assert is_allowed(evening, "AL") and not is_allowed(evening, "FL")
    assert next_allowed(evening, "FL") == local("America/Chicago", 2026, 1, 16, 8, 0)
    # Texas: El Paso (Mountain) opens an hour after Houston.
    assert next_allowed(local("America/Chicago", 2026, 1, 15, 8, 30), "TX") == local("America/Denver", 2026, 1, 15, 8)


def test_alaska_waits_for_the_aleutians_and_hawaii_for_itself():
    morning = local("America/Anchorage", 2026, 1, 15, 8, 30)  # 07:30 in Adak
    assert not is_allowed(morning, "AK")
    assert next_allowed(morning, "AK") == local("America/Adak", 2026, 1, 15, 8, 0)
    assert next_allowed(local("Pacific/Honolulu", 2026, 7, 1, 21, 0), "HI") == local("Pacific/Honolulu", 2026, 7, 2, 8)


def test_arizona_without_daylight_time_and_the_navajo_nation_with_it():
    # July, 19:30 in Phoenix (MST) is 20:30 in the Navajo Nation (MDT).
    assert not is_allowed(local("America/Phoenix", 2026, 7, 1, 19, 30), "AZ")
    assert is_allowed(local("America/Phoenix", 2026, 1, 15, 19, 30), "AZ")  # January: both on MST


@pytest.mark.parametrize("state", [None, "", "ZZ"])
def test_unknown_state_uses_every_mainland_zone(state):
    # 08:30 in New York is 03:30 in Honolulu: nobody with an unknown state gets a text then.
    assert not is_allowed(local("America/New_York", 2026, 1, 15, 8, 30), state)
    opening = next_allowed(local("America/New_York", 2026, 1, 15, 8, 30), state)
    assert opening == local("Pacific/Honolulu", 2026, 1, 15, 8, 0)  # Adak opens with Honolulu in winter
    assert "Pacific/Honolulu" in UNKNOWN_STATE_ZONES and "America/Adak" in UNKNOWN_STATE_ZONES
    # ...and the window closes at 20:00 in New York (15:00 in Honolulu).
    assert not is_allowed(local("America/New_York", 2026, 1, 15, 20, 0), state)


def test_daylight_saving_time_changes():
    # The night DST starts (8 March 2026): 20:30 CST → 08:00 CDT, which is 13:00 UTC, not 14:00.
    assert next_allowed(local("America/Chicago", 2026, 3, 7, 20, 30), "IL") == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    # The night it ends (1 November 2026): 08:00 CST is 14:00 UTC.
    assert next_allowed(local("America/Chicago", 2026, 10, 31, 21, 0), "IL") == datetime(2026, 11, 1, 14, 0,
                                                                                        tzinfo=UTC)
    # During the hour that repeats (01:30 twice), still night.
    assert not is_allowed(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "IL")
    assert not is_allowed(datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "IL")


def test_next_allowed_is_always_allowed_and_never_earlier_than_now():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for state in ("FL", "AK", "IN", "KY", "ND", "PR", "GU", "AS", None):
        for quarter in range(0, 96 * 3, 7):
            now = start.replace(hour=0) + quarter * (datetime(2026, 1, 1, 0, 15, tzinfo=UTC) - start)
            allowed = next_allowed(now, state)
            assert allowed >= now and is_allowed(allowed, state)


def test_a_window_of_the_whole_day_never_holds():
    for hour in range(24):
        moment = datetime(2026, 1, 15, hour, 17, tzinfo=UTC)
        assert is_allowed(moment, "AK", start=24, end=0) and next_allowed(moment, None, start=24, end=0) == moment
