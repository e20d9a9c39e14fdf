"""The global SMS send rate: in any sliding second, at most SMS_MAX_PER_SECOND requests reach the provider.

Every worker thread, in every process, on every machine, takes a slot (a row in `sms_send_slots`) right before
it calls the provider and finishes it when the provider's answer is back (`send_slot`). Taking one is a short
transaction of its own, serialised across everyone: on PostgreSQL by a transaction-level advisory lock, on SQLite
by its single writer (the prune runs first, so the transaction holds the write lock before it counts).

What a slot counts against: a request reaches the provider at some moment between its slot's `taken_at` and its
`finished_at`, and nobody can say when exactly: building the request, connecting and waiting for a busy CPU take
anything from a millisecond to a long pause. So a slot occupies the window from the moment it is taken until one
window after it finished (all along while it is in flight), and a new slot is given at T only while fewer than
the maximum are in flight or finished at or after T - 1 s. That is enough, whatever the delays: if a second at
the provider held one request more than the maximum, take the last of them to get its slot, at T. That one
arrived after T, so the second began after T - 1 s, and every other one arrived after T - 1 s: each of them had
finished after T - 1 s or was still in flight at T, and was counted at T. That makes the maximum already
counted, so the last slot would not have been given. (An earlier version held slots for a fixed 1.5 s from when
they were taken; on a loaded two-core machine a request arrived more than half a second after its slot, and one
second held 153 requests against a limit of 150.)

A slot whose worker died in flight never finishes; it stops counting once `stale_after` has passed since it was
taken, which callers set beyond the longest a request can take (the provider client's connect and read timeouts).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, insert, or_, select, text, update

from outreach.extensions import db
from outreach.models import SmsSendSlot
from outreach.models.base import as_utc, utcnow

WINDOW = timedelta(seconds=1)
# An unfinished slot older than this is a dead sender's: it stops counting (callers pass their own, see above).
STALE_AFTER = timedelta(seconds=60)
# On PostgreSQL this share of takes also deletes slots that count no more (pruning on every take would cost a
# statement each).
PRUNE_EVERY = 1 / 50
# One wait is bounded, so a worker asked to stop notices within that time.
MAX_SLEEP_SECONDS = 2.0
# pg_advisory_xact_lock key: an arbitrary constant shared by every process of the deployment ("SMS1").
ADVISORY_LOCK_KEY = 0x534D5331

Clock = Callable[[], datetime]
# A slot's commits need not wait for the disk: after a crash a lost slot is a window long gone, and a lost finish
# leaves the slot counting (in flight) a little longer than it had to, never less.
_NO_WAIT_FOR_DISK = "set_config('synchronous_commit', 'off', true)"
_local_lock = threading.Lock()  # threads of one process queue here first, instead of in the database


@dataclass(frozen=True)
class SendSlot:
    id: int
    taken_at: datetime


def capacity_and_window(max_per_second: float) -> tuple[int, timedelta]:
    """Return how many slots a window holds and how long it is (1/rate seconds per slot below one per second)."""
    if max_per_second >= 1:
        return int(max_per_second), WINDOW
    return 1, timedelta(seconds=1 / max_per_second)


@contextmanager
def send_slot(max_per_second: float, stale_after: timedelta = STALE_AFTER) -> Iterator[SendSlot]:
    """Wait for a slot, hold it while the body calls the provider, and finish it when the body is done."""
    slot = take_slot(max_per_second, stale_after=stale_after)
    try:
        yield slot
    finally:
        finish_slot(slot)


def take_slot(max_per_second: float, clock: Clock | None = None, sleep: Callable[[float], None] = time.sleep,
              stale_after: timedelta = STALE_AFTER) -> SendSlot:
    """Wait until a request may go to the SMS provider, and record that it is in flight.

    The caller must `finish_slot` it once the provider has answered (or the request was given up). `clock` and
    `sleep` are for tests; by default PostgreSQL's clock is used, so workers on different machines share one time
    line (SQLite: this machine's clock, the only one there is).
    """
    if max_per_second <= 0:
        raise ValueError("SMS_MAX_PER_SECOND must be positive")
    capacity, window = capacity_and_window(max_per_second)
    while True:
        with _local_lock:
            slot, wait = _try_take(capacity, window, stale_after, clock)
        if slot is not None:
            return slot
        sleep(min(max(wait, 0.001), MAX_SLEEP_SECONDS))


def finish_slot(slot: SendSlot, clock: Clock | None = None) -> None:
    """Record that the request of `slot` is over: from now it counts for one more window, then no more."""
    session = db.session
    session.rollback()
    postgresql = db.engine.dialect.name == "postgresql"
    if clock is not None:
        finished_at = clock()
    elif postgresql:
        finished_at = func.clock_timestamp()  # read after the answer came back, on the takers' time line
    else:
        finished_at = utcnow()
    try:
        if postgresql:
            session.execute(text(f"SELECT {_NO_WAIT_FOR_DISK}"))
        session.execute(update(SmsSendSlot).where(SmsSendSlot.id == slot.id).values(finished_at=finished_at))
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _try_take(capacity: int, window: timedelta, stale_after: timedelta,
              clock: Clock | None) -> tuple[SendSlot | None, float]:
    """In one transaction: take a slot if the window has room (→ the slot), else say how long to wait."""
    session = db.session
    session.rollback()  # start clean: no caller transaction may be held across the wait or the provider call
    try:
        if db.engine.dialect.name == "postgresql":
            # Lock first, then read the clock, in one round trip; clock_timestamp() rather than now(), which is
            # the start of the transaction (before the wait for the lock).
            _, database_now, _ = session.execute(text(
                f"SELECT pg_advisory_xact_lock(:key), clock_timestamp(), {_NO_WAIT_FOR_DISK}"),
                {"key": ADVISORY_LOCK_KEY}).one()
            now = clock() if clock is not None else as_utc(database_now)
            if random.random() < PRUNE_EVERY:
                _prune(now, window, stale_after)
        else:
            now = clock() if clock is not None else utcnow()
            # On SQLite this first write is what takes the single writer's lock, before the count below.
            _prune(now, window, stale_after)
        in_flight = SmsSendSlot.finished_at.is_(None)
        counted, first_to_leave, oldest_flying = session.execute(
            select(func.count(), func.min(SmsSendSlot.finished_at),
                   func.min(case((in_flight, SmsSendSlot.taken_at))))
            .where(or_(SmsSendSlot.finished_at >= now - window,
                       in_flight & (SmsSendSlot.taken_at > now - stale_after)))).one()
        if counted >= capacity:
            session.commit()
            # The soonest any counted slot can leave: an in-flight one, no sooner than a window from now.
            leaves = [now + window]
            if first_to_leave is not None:
                leaves.append(as_utc(first_to_leave) + window)
            if oldest_flying is not None:
                leaves.append(as_utc(oldest_flying) + stale_after)
            return None, (min(leaves) - now).total_seconds()
        slot_id = session.scalar(insert(SmsSendSlot).values(taken_at=now).returning(SmsSendSlot.id))
        session.commit()
        return SendSlot(slot_id, now), 0.0
    except BaseException:
        session.rollback()
        raise


def _prune(now: datetime, window: timedelta, stale_after: timedelta) -> None:
    db.session.execute(delete(SmsSendSlot).where(or_(SmsSendSlot.finished_at < now - window,
                                                     SmsSendSlot.taken_at < now - stale_after)))
