"""Acceptance: an alert to 10,000 subscribers on PostgreSQL, two real workers, one killed with SIGKILL again and
again, the fake Twilio on 127.0.0.1 counting what arrives.

After reconciliation every eligible subscriber received exactly one text (counted at the fake), the subscriber
whose STOP arrived mid-blast received nothing after it, and no sliding one-second window at the fake held more
than SMS_MAX_PER_SECOND requests. Quiet hours are proven in-process with a frozen clock (second test, on both
databases): the worker processes run on the real clock, so they are given a window of the whole day and the test
passes at any hour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from outreach.delivery.channels.twilio_sms import TwilioSMSChannel
from outreach.delivery.worker import run_once
from outreach.models import (
    Alert,
    AlertStatus,
    ConsentRecord,
    Delivery,
    DeliveryState,
    Medium,
    Subscriber,
    Suppression,
)
from outreach.models.base import utcnow
from outreach.sms import alerts
from outreach.sms.alerts import AlertInput
from outreach.sms.subscriptions import opt_out, opt_out_confirmation_text
from tests.fakes.twilio import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 10_000
# Low enough that the busiest seconds hit it on a small, busy machine (two cores running both workers, PostgreSQL
# and the fake: about 50 texts a second on average, 90 at the busiest), so the workers have to wait for slots.
MAX_PER_SECOND = 75
WORKER_THREADS = 3  # per process: most of a send is waiting; more threads only add CPU jitter on a small machine
SID, TOKEN = "AC" + "0" * 32, "test-token"
QUEUED = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.UNKNOWN)


@pytest.fixture
def postgres_only(request):
    if request.config.getoption("--backend") != "postgresql":
        pytest.skip("the multi-worker alert fault test runs in the PostgreSQL pass (make test-postgres)")


class SlowToAnswerTwilio(FakeTwilio):
    """Records each message, then answers after a short pause: a worker killed in that pause leaves a text the
    provider took but the outbox never heard about, which only reconciliation may settle."""

    def _create(self, request):
        response = super()._create(request)
        time.sleep(0.003)
        return response


@pytest.fixture
def fake():
    server = SlowToAnswerTwilio(SID, TOKEN)
    server.start()
    yield server
    server.stop()


def add_subscribers(db, count: int, state: str = "NY", prefix: str = "+1202") -> list[str]:
    consent = ConsentRecord(phone="+10000000000", source="web_form", disclosure_text="yes", disclosure_version="t")
    db.session.add(consent)
    db.session.flush()
    phones = [f"{prefix}{n:07d}" for n in range(count)]
    db.session.execute(insert(Subscriber), [
        {"phone": phone, "state": state, "district": 12, "locale": "es" if n % 4 == 0 else "en",
         "consent_id": consent.id, "created_at": utcnow()} for n, phone in enumerate(phones)])
    db.session.commit()
    return phones


def start_worker(database_url: str, fake: FakeTwilio) -> subprocess.Popen:
    env = {**os.environ, **fake.env(), "DATABASE_URL": database_url, "SECRET_KEY": "fault",
           "OUTREACH_ENV": "development", "TWILIO_TIMEOUT": "2", "GEOCODER": "none",
           "DELIVERY_LEASE_SECONDS": "4", "RECONCILE_AFTER_SECONDS": "0", "OUTREACH_EMBEDDED_WORKER": "0",
           "SMS_MAX_PER_SECOND": str(MAX_PER_SECOND), "WORKER_THREADS": str(WORKER_THREADS),
           # The processes run on the real clock: a window of the whole day, so the test passes at any hour.
           "QUIET_HOURS_START": "24", "QUIET_HOURS_END": "0"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "outreach", "worker", "--idle", "0.2",
                             "--batch", "5"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def queued(db, alert_id: int) -> int:
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.alert_id == alert_id, Delivery.state.in_(QUEUED)))
    db.session.rollback()
    return count


def test_alert_to_10000_reaches_each_eligible_subscriber_exactly_once(postgres_only, app, db, synced, fake,
                                                                      test_database_url):
    phones = add_subscribers(db, SUBSCRIBERS)
    # Not eligible from the start: opted out, or on the suppression list.
    outsiders = add_subscribers(db, 20, prefix="+1203")
    for phone in outsiders[:10]:
        opt_out(phone, "STOP")
    for phone in outsiders[10:]:
        db.session.add(Suppression(medium=Medium.SMS, address=phone, reason="21610"))
    db.session.commit()
    stopper = phones[-1]  # its text is claimed last (oldest not_before, then id)

    alert_id = alerts.create_alert(AlertInput(name="Blast", bodies={"en": "Call today!", "es": "¡Llama hoy!"}),
                                   None).id
    assert alerts.recipient_count(alerts.Segment()) == SUBSCRIBERS
    # Scheduled a moment ahead, so the workers fan it out (exactly once between them).
    alerts.send(alert_id, send_at=utcnow() + timedelta(seconds=1))

    steady = start_worker(test_database_url, fake)
    victim = start_worker(test_database_url, fake)
    kills, stopped_at, began = 0, None, time.monotonic()
    try:
        deadline = time.monotonic() + 420  # about 140 s at the limit; a slow machine gets room, not a pass
        while time.monotonic() < deadline:
            time.sleep(0.5)
            received = len(fake.messages)
            if stopped_at is None and received >= SUBSCRIBERS * 0.3:
                # STOP arrives mid-blast (the webhook calls this same service in its own transaction).
                opt_out(stopper, "STOP")
                db.session.commit()
                stopped_at = time.monotonic()
            if kills < 5 and received >= (kills + 1) * SUBSCRIBERS / 8:
                victim.send_signal(signal.SIGKILL)  # between, or in the middle of, provider calls
                victim.wait()
                kills += 1
                victim = start_worker(test_database_url, fake)
            if db.session.get(Alert, alert_id).fanned_out_at is not None and not queued(db, alert_id):
                break
        elapsed = time.monotonic() - began
        assert queued(db, alert_id) == 0, "texts left in the queue after the deadline"
    finally:
        for worker in (steady, victim):
            worker.send_signal(signal.SIGTERM)
        for worker in (steady, victim):
            worker.wait(timeout=30)
    fake.check()

    print(f"\n10,000-subscriber alert: {elapsed:.1f} s with {kills} kills; busiest second at the fake: "
          f"{fake.max_in_window(1.0)} requests (limit {MAX_PER_SECOND})")
    assert kills >= 3 and stopped_at is not None
    # The alert's texts only: an opt-out also (rightly) gets its one confirmation text.
    received = Counter(m["to"] for m in fake.messages if m["body"].startswith(("Call today!", "¡Llama hoy!")))
    eligible = set(phones) - {stopper}
    assert set(received) == eligible, "a text is missing at the fake, or went to someone not eligible"
    assert max(received.values()) == 1, "a subscriber got the alert twice"
    after_stop = [m for m in fake.messages if m["to"] == stopper]
    assert [m["body"] for m in after_stop] == [opt_out_confirmation_text("en")], "texted after STOP"
    # The limit held at the provider, however long each request took to get there.
    assert fake.max_in_window(1.0) <= MAX_PER_SECOND

    db.session.expire_all()
    states = dict(db.session.execute(select(Delivery.state, func.count()).where(Delivery.alert_id == alert_id)
                                     .group_by(Delivery.state)).all())
    assert states == {DeliveryState.SENT: SUBSCRIBERS - 1, DeliveryState.SKIPPED: 1}
    skipped = db.session.scalar(select(Delivery).where(Delivery.alert_id == alert_id,
                                                       Delivery.state == DeliveryState.SKIPPED))
    assert skipped.subscriber_id == db.session.scalar(select(Subscriber.id).where(Subscriber.phone == stopper))
    assert skipped.skip_reason == "opted out"
    alert = db.session.get(Alert, alert_id)
    assert alert.recipient_count == SUBSCRIBERS and alert.status is AlertStatus.DONE


def test_frozen_2030_keeps_one_zone_waiting_until_0800(app, db, synced, fake_twilio):
    """In-process, through the real Twilio SDK to the fake: at 20:30 in Chicago, Illinois gets nothing until 08:00,
    while Colorado (19:30) and California (18:30) get theirs."""
    app.extensions["outreach.channels"][Medium.SMS] = TwilioSMSChannel(
        fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
        api_base=fake_twilio.base_url, timeout=2)
    illinois = add_subscribers(db, 100, state="IL", prefix="+1312")
    others = add_subscribers(db, 50, state="CO", prefix="+1303") + add_subscribers(db, 50, state="CA", prefix="+1415")
    # Rows are created on the real clock; the frozen clock is the next 20:30 in Chicago after it.
    chicago = ZoneInfoChicago()
    local = utcnow().astimezone(chicago)
    evening = local.replace(hour=20, minute=30, second=0, microsecond=0)
    if evening <= local:
        evening += timedelta(days=1)
    evening = evening.astimezone(timezone.utc)
    morning = (evening.astimezone(chicago) + timedelta(days=1)).replace(hour=8, minute=0).astimezone(timezone.utc)

    alert_id = alerts.create_alert(AlertInput(name="Evening", bodies={"en": "Call tomorrow!"}), None).id
    alerts.send(alert_id, now=evening)

    def drain(now: datetime) -> None:
        for _ in range(50):
            if not run_once(app, batch=50, now=now):
                return

    drain(evening)
    assert set(fake_twilio.count_by_to()) == set(others)
    drain(morning - timedelta(minutes=1))
    assert not set(fake_twilio.count_by_to()) & set(illinois), "Illinois was texted before 08:00"
    drain(morning)
    received = fake_twilio.count_by_to()
    assert set(received) == set(illinois) | set(others) and max(received.values()) == 1
    first_illinois = min(r["at"] for r in fake_twilio.requests if r["to"] in set(illinois))
    last_other = max(r["at"] for r in fake_twilio.requests if r["to"] in set(others))
    assert first_illinois > last_other


def ZoneInfoChicago():  # noqa: N802 — a tiny helper kept next to its one use
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")
