"""/healthz: database reachable, data age, worker heartbeat."""

from __future__ import annotations

from datetime import timedelta

from outreach.delivery.outbox import heartbeat
from outreach.models import WorkerHeartbeat
from outreach.models.base import utcnow


def test_before_any_sync_or_worker_it_is_degraded(client, db):
    body = client.get("/healthz").get_json()
    assert body == {"status": "degraded", "database": "ok", "data": None, "worker": None}


def test_synced_data_without_a_worker_is_degraded(client, synced):
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["data"]["congress"] == 119
    assert 0 <= body["data"]["age_hours"] < 1
    assert body["data"]["warnings"] == len(synced.warnings)


def test_synced_data_and_a_live_worker_is_ok(client, synced):
    heartbeat("test-worker")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert 0 <= body["worker"]["last_seen_seconds_ago"] < 5


def test_a_silent_worker_is_degraded(client, synced, db):
    db.session.add(WorkerHeartbeat(worker_id="gone", beat_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["worker"]["last_seen_seconds_ago"] >= 300
