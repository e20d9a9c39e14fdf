"""The global SMS send rate: in any sliding second, at most SMS_MAX_PER_SECOND requests reach the provider.

Every worker thread, in every process, on every machine, takes a slot (a row in `sms_send_slots`) right before
it calls the provider. Taking one is a short transaction of its own, serialised across everyone: on PostgreSQL
by a transaction-level advisory lock, on SQLite by its single writer (the prune runs first, so the transaction
holds the write lock before it counts). When the window already holds the maximum, the caller sleeps until the
oldest of them leaves it, and tries again.

Why the window is longer than a second: a slot is taken at T, but the request reaches the provider at T + d,
where d (building the request, connecting, and waiting for the CPU: a busy process with several sender threads
can leave one waiting a few hundred milliseconds) is small but not zero, and differs between workers. If the
slots in any window of 1 s + M number at most the maximum, then requests arriving in any window of one second
were taken within 1 s + d, so the rule holds at the provider as long as d <= M. M = SAFETY_MARGIN below; it costs
throughput (at 400/s the sustained rate is 400 per 1.5 s), never a burst over the limit. 0.25 s was measured
too little on a loaded two-core machine (153 requests in a second against a limit of 150).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text

from outreach.extensions import db
from outreach.models import SmsSendSlot
from outreach.models.base import as_utc, utcnow

WINDOW = timedelta(seconds=1)
SAFETY_MARGIN = timedelta(seconds=0.5)
# Slots older than this are of no use to anyone and are deleted as new ones are taken.
KEEP = timedelta(seconds=10)
# On PostgreSQL this share of takes also deletes old slots (pruning on every take would cost a statement each).
PRUNE_EVERY = 1 / 50
# One wait is bounded, so a worker asked to stop notices within that time.
MAX_SLEEP_SECONDS = 2.0
# pg_advisory_xact_lock key: an arbitrary constant shared by every process of the deployment ("SMS1").
ADVISORY_LOCK_KEY = 0x534D5331

_local_lock = threading.Lock()  # threads of one process queue here first, instead of in the database


def capacity_and_window(max_per_second: float) -> tuple[int, timedelta]:
    """Return how many slots a window holds and how long it is (1/rate seconds per slot below one per second)."""
    if max_per_second >= 1:
        return int(max_per_second), WINDOW
    return 1, timedelta(seconds=1 / max_per_second)


def take_slot(max_per_second: float, clock: Callable[[], datetime] | None = None,
              sleep: Callable[[float], None] = time.sleep) -> datetime:
    """Wait until a request may go to the SMS provider, record it, and return the moment it was taken.

    `clock` and `sleep` are for tests; by default PostgreSQL's clock is used, so workers on different machines
    share one time line (SQLite: this machine's clock, the only one there is).
    """
    if max_per_second <= 0:
        raise ValueError("SMS_MAX_PER_SECOND must be positive")
    capacity, window = capacity_and_window(max_per_second)
    span = window + SAFETY_MARGIN
    while True:
        with _local_lock:
            taken, wait = _try_take(capacity, span, clock)
        if taken is not None:
            return taken
        sleep(min(max(wait, 0.001), MAX_SLEEP_SECONDS))


def _try_take(capacity: int, span: timedelta, clock: Callable[[], datetime] | None) -> tuple[datetime | None, float]:
    """In one transaction: take a slot if the window has room (→ its time), else say how long to wait."""
    session = db.session
    session.rollback()  # start clean: no caller transaction may be held across the wait or the provider call
    try:
        if db.engine.dialect.name == "postgresql":
            # Lock first, then read the clock, in one round trip; clock_timestamp() rather than now(), which is
            # the start of the transaction (before the wait for the lock).
            _, database_now = session.execute(text("SELECT pg_advisory_xact_lock(:key), clock_timestamp()"),
                                              {"key": ADVISORY_LOCK_KEY}).one()
            now = clock() if clock is not None else as_utc(database_now)
            # A slot is worth nothing after a crash (the window it guards has passed): no need to wait for the disk.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            if random.random() < PRUNE_EVERY:
                session.execute(delete(SmsSendSlot).where(SmsSendSlot.taken_at < now - KEEP))
        else:
            now = clock() if clock is not None else utcnow()
            # On SQLite this first write is what takes the single writer's lock, before the count below.
            session.execute(delete(SmsSendSlot).where(SmsSendSlot.taken_at < now - KEEP))
        # The capacity-th newest slot inside the window: if there is one, the window is full until it leaves.
        blocking = session.scalar(
            select(SmsSendSlot.taken_at).where(SmsSendSlot.taken_at > now - span)
            .order_by(SmsSendSlot.taken_at.desc()).offset(capacity - 1).limit(1))
        if blocking is not None:
            session.commit()
            return None, (as_utc(blocking) + span - now).total_seconds()
        session.execute(insert(SmsSendSlot).values(taken_at=now))
        session.commit()
        return now, 0.0
    except BaseException:
        session.rollback()
        raise


