"""The global SMS rate: slots in the database, never more than SMS_MAX_PER_SECOND in any sliding window."""

from __future__ import annotations

import bisect
import random
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from outreach.delivery import ratelimit
from outreach.delivery.ratelimit import SAFETY_MARGIN, capacity_and_window, take_slot
from outreach.models import SmsSendSlot


class FakeClock:
    """A clock that only moves when someone sleeps (or the test moves it)."""

    def __init__(self):
        self.now = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


def most_in_window(times, seconds):
    times = sorted(times)
    span = timedelta(seconds=seconds)
    return max((bisect.bisect_left(times, t + span) - i for i, t in enumerate(times)), default=0)


def test_capacity_and_window():
    assert capacity_and_window(400) == (400, timedelta(seconds=1))
    assert capacity_and_window(2.5) == (2, timedelta(seconds=1))
    assert capacity_and_window(0.5) == (1, timedelta(seconds=2))
    with pytest.raises(ValueError):
        take_slot(0)


def test_no_window_holds_more_than_the_maximum(app, db):
    clock = FakeClock()
    rng = random.Random(7)
    taken = []
    for _ in range(300):
        clock.advance(rng.choice([0, 0, 0, 0.001, 0.01, 0.2]))  # bursts, with the odd pause
        taken.append(take_slot(5, clock=clock, sleep=clock.sleep))
    assert taken == sorted(taken)
    # The promise holds with the safety margin included, so it holds at the provider for any delay up to it.
    assert most_in_window(taken, 1 + SAFETY_MARGIN.total_seconds()) <= 5
    assert most_in_window(taken, 1.0) == 5  # and the limit is actually used
    assert clock.slept and max(clock.slept) <= ratelimit.MAX_SLEEP_SECONDS


def test_a_full_window_waits_for_the_oldest_to_leave(app, db):
    clock = FakeClock()
    start = clock.now
    first = [take_slot(3, clock=clock, sleep=clock.sleep) for _ in range(3)]
    assert first == [start] * 3 and clock.slept == []
    fourth = take_slot(3, clock=clock, sleep=clock.sleep)
    assert fourth == start + timedelta(seconds=1) + SAFETY_MARGIN


def test_old_slots_are_pruned(app, db, monkeypatch):
    monkeypatch.setattr(ratelimit, "PRUNE_EVERY", 1.0)
    clock = FakeClock()
    for _ in range(10):
        take_slot(100, clock=clock, sleep=clock.sleep)
    clock.advance(60)
    take_slot(100, clock=clock, sleep=clock.sleep)
    assert db.session.scalar(select(func.count()).select_from(SmsSendSlot)) == 1


def test_threads_sharing_the_database_never_exceed_the_maximum(app, db):
    """Several senders at once, on the real clock: the slots they took still respect the limit."""
    taken, errors = [], []

    def sender():
        try:
            with app.app_context():
                for _ in range(15):
                    taken.append(take_slot(20))
                db.session.remove()
        except Exception as exc:  # pragma: no cover — reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(taken) == 60
    assert most_in_window(taken, 1 + SAFETY_MARGIN.total_seconds()) <= 20
