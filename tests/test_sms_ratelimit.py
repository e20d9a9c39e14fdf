"""The global SMS rate: slots in the database, never more than SMS_MAX_PER_SECOND requests in any sliding second
at the provider, however long a request takes to get there."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from outreach.delivery import ratelimit
from outreach.delivery.ratelimit import capacity_and_window, finish_slot, send_slot, take_slot
from outreach.models import SmsSendSlot


class FakeClock:
    """A clock that only moves when someone sleeps (or the test moves it)."""

    def __init__(self):
        self.now = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
        self.slept = []
        self.while_asleep = []  # what other senders do while this one waits

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
        for hook in list(self.while_asleep):
            hook()

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


def most_that_could_share_a_second(requests, seconds=1.0):
    """The most requests that could reach the provider within one window of `seconds`, each arriving at any moment
    between its slot's taking and its finishing: the worst case, whatever the delays were."""
    span = timedelta(seconds=seconds)
    # A window [x, x + span] meets a request when taken <= x + span and finished >= x; the count is at its
    # highest when x + span is some request's taking.
    return max(sum(1 for taken, finished in requests if taken <= t and finished >= t - span)
               for t, _ in requests)


def most_taken_in_a_second(requests):
    takings = [taken for taken, _ in requests]
    return max(sum(1 for t in takings if start <= t < start + timedelta(seconds=1)) for start in takings)


def test_capacity_and_window():
    assert capacity_and_window(400) == (400, timedelta(seconds=1))
    assert capacity_and_window(2.5) == (2, timedelta(seconds=1))
    assert capacity_and_window(0.5) == (1, timedelta(seconds=2))
    with pytest.raises(ValueError):
        take_slot(0)


def test_no_second_at_the_provider_can_hold_more_than_the_maximum(app, db):
    """Several senders at once (interleaved on a fake clock), requests that take from nothing to over a second."""
    clock = FakeClock()
    rng = random.Random(7)
    in_flight, requests = [], []

    def finish_one():
        slot = in_flight.pop(rng.randrange(len(in_flight)))
        finish_slot(slot, clock=clock)
        requests.append((slot.taken_at, clock.now))

    for _ in range(400):
        clock.advance(rng.choice([0, 0, 0, 0.001, 0.01, 0.2, 0.7]))
        while in_flight and (len(in_flight) >= 4 or rng.random() < 0.5):
            finish_one()
            clock.advance(rng.choice([0, 0.001, 0.3]))
        in_flight.append(take_slot(5, clock=clock, sleep=clock.sleep))
    while in_flight:
        finish_one()
    assert len(requests) == 400
    assert most_that_could_share_a_second(requests) <= 5
    assert most_taken_in_a_second(requests) == 5  # and the limit is actually used
    assert clock.slept and max(clock.slept) <= ratelimit.MAX_SLEEP_SECONDS


def test_a_full_window_waits_until_a_window_after_the_first_answer(app, db):
    clock = FakeClock()
    start = clock.now
    first = [take_slot(3, clock=clock, sleep=clock.sleep) for _ in range(3)]
    assert [slot.taken_at for slot in first] == [start] * 3 and clock.slept == []
    clock.advance(0.4)
    finish_slot(first[0], clock=clock)  # answered after 0.4 s: it may have arrived as late as that
    fourth = take_slot(3, clock=clock, sleep=clock.sleep)
    # (Counting includes a slot finished exactly a window ago: the wait ends just past it.)
    assert start + timedelta(seconds=1.4) < fourth.taken_at <= start + timedelta(seconds=1.41)


def test_a_request_in_flight_holds_its_place_however_long_it_takes(app, db):
    clock = FakeClock()
    slow = take_slot(1, clock=clock, sleep=clock.sleep)

    def answer_after_five_seconds():
        if clock.now >= slow.taken_at + timedelta(seconds=5):
            finish_slot(slow, clock=clock)
            clock.while_asleep.clear()

    clock.while_asleep.append(answer_after_five_seconds)
    following = take_slot(1, clock=clock, sleep=clock.sleep)
    assert following.taken_at >= slow.taken_at + timedelta(seconds=6)


def test_a_dead_senders_slot_stops_counting(app, db):
    clock = FakeClock()
    orphan = take_slot(1, clock=clock, sleep=clock.sleep)  # its worker was killed mid-request: never finished
    following = take_slot(1, clock=clock, sleep=clock.sleep, stale_after=timedelta(seconds=25))
    assert following.taken_at == orphan.taken_at + timedelta(seconds=25)


def test_slots_that_count_no_more_are_pruned(app, db, monkeypatch):
    monkeypatch.setattr(ratelimit, "PRUNE_EVERY", 1.0)
    clock = FakeClock()
    for _ in range(10):
        finish_slot(take_slot(100, clock=clock, sleep=clock.sleep), clock=clock)
    in_flight = take_slot(100, clock=clock, sleep=clock.sleep)
    clock.advance(2)
    take_slot(100, clock=clock, sleep=clock.sleep)
    remaining = db.session.scalars(select(SmsSendSlot.id)).all()
    assert len(remaining) == 2 and in_flight.id in remaining
    clock.advance(120)
    take_slot(100, clock=clock, sleep=clock.sleep)
    assert db.session.scalar(select(func.count()).select_from(SmsSendSlot)) == 1


def test_threads_sharing_the_database_never_exceed_the_maximum(app, db):
    """Several senders at once, on the real clock, each request taking a little while."""
    requests, errors = [], []

    def sender():
        try:
            with app.app_context():
                for _ in range(15):
                    with send_slot(20) as slot:
                        time.sleep(0.01)
                    finished = db.session.get(SmsSendSlot, slot.id).finished_at
                    requests.append((slot.taken_at, ratelimit.as_utc(finished)))
                db.session.remove()
        except Exception as exc:  # pragma: no cover — reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(requests) == 60
    assert most_that_could_share_a_second(requests) <= 20
    assert most_taken_in_a_second(requests) == 20  # the senders did have to wait for each other
