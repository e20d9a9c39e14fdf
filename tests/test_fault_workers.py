"""Fault test: real worker processes, one killed with SIGKILL again and again, against the fake Twilio.

After reconciliation the fake must have received exactly one message per delivery: none twice, none
missing. Runs on PostgreSQL, where several workers share the queue with SKIP LOCKED.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from outreach.models import Action, Campaign, Delivery, DeliveryKind, DeliveryState, Medium
from tests.fakes.twilio import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
DELIVERIES = 1000
SID, TOKEN = "AC" + "0" * 32, "test-token"
SETTLED = (DeliveryState.SENT, DeliveryState.DELIVERED)


@pytest.fixture
def postgres_only(request):
    if request.config.getoption("--backend") != "postgresql":
        pytest.skip("the multi-worker fault test runs in the PostgreSQL pass (make test-postgres)")


class SlowToAnswerTwilio(FakeTwilio):
    """Records each message, then answers after a pause: a worker killed in that pause leaves a message
    the provider took but the outbox never heard about — the case that tempts a blind resend."""

    def _create(self, request):
        response = super()._create(request)
        time.sleep(0.02)
        return response


@pytest.fixture
def fake():
    server = SlowToAnswerTwilio(SID, TOKEN)
    server.start()
    yield server
    server.stop()


def queue_texts(db, count: int) -> list[str]:
    campaign = db.session.scalar(select(Campaign))
    phones = [f"+1312555{n:04d}" for n in range(count)]
    db.session.execute(insert(Action), [
        {"campaign_id": campaign.id, "demand_id": campaign.demands[0].id, "form_token": f"fault-{n}",
         "status_token": f"status-{n}", "state": "IL", "district": 9, "first_name": "Test", "phone": phone}
        for n, phone in enumerate(phones)])
    action_ids = db.session.scalars(select(Action.id).order_by(Action.id)).all()
    db.session.execute(insert(Delivery), [
        {"action_id": action_id, "kind": DeliveryKind.SCRIPT_SMS, "medium": Medium.SMS,
         "recipient_key": "constituent", "body": f"Your script, number {n}", "key": f"{n:032x}"}
        for n, action_id in enumerate(action_ids)])
    db.session.commit()
    return phones


def start_worker(database_url: str, fake: FakeTwilio) -> subprocess.Popen:
    env = {**os.environ, **fake.env(), "DATABASE_URL": database_url, "SECRET_KEY": "fault",
           "OUTREACH_ENV": "development", "TWILIO_TIMEOUT": "2", "GEOCODER": "none",
           "DELIVERY_LEASE_SECONDS": "4", "RECONCILE_AFTER_SECONDS": "0", "OUTREACH_EMBEDDED_WORKER": "0"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "outreach", "worker", "--idle", "0.2"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def unsettled(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state.not_in(SETTLED)))


def test_killed_workers_send_every_message_exactly_once(postgres_only, app, db, synced, fake, test_database_url):
    phones = queue_texts(db, DELIVERIES)
    steady = start_worker(test_database_url, fake)
    victim = start_worker(test_database_url, fake)
    kills = 0
    try:
        deadline = time.monotonic() + 240
        while unsettled(db) and time.monotonic() < deadline:
            time.sleep(0.7)
            if kills < 5 and len(fake.messages) < DELIVERIES:
                victim.send_signal(signal.SIGKILL)  # mid-run: between, or in the middle of, provider calls
                victim.wait()
                kills += 1
                victim = start_worker(test_database_url, fake)
        assert unsettled(db) == 0, "deliveries left unsettled after the deadline"
    finally:
        for worker in (steady, victim):
            worker.send_signal(signal.SIGTERM)
        for worker in (steady, victim):
            worker.wait(timeout=30)

    assert kills >= 3
    received = fake.count_by_to()
    assert sorted(received) == sorted(phones), "a delivery is missing at the fake"
    assert max(received.values()) == 1, "a message was sent twice"
    states = dict(db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    assert states == {DeliveryState.SENT: DELIVERIES}


def test_rate_limited_then_accepted_ends_sent(app, db, synced, fake, monkeypatch):
    from outreach.delivery.channels.twilio_sms import TwilioSMSChannel
    from outreach.delivery.worker import run_once

    phones = queue_texts(db, 20)
    fake.script([429] * 10)
    app.extensions["outreach.channels"][Medium.SMS] = TwilioSMSChannel(
        SID, TOKEN, from_number="+15005550006", api_base=fake.base_url, timeout=2)
    monkeypatch.setattr("outreach.delivery.outbox.backoff", lambda attempts, retry_after=None: __import__(
        "datetime").timedelta(0))
    for _ in range(10):
        if not unsettled(db):
            break
        run_once(app, batch=20)
    assert unsettled(db) == 0
    assert fake.count_by_to() == {phone: 1 for phone in phones}
