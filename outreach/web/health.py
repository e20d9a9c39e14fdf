"""/healthz: database reachable, data age."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from outreach.congress.sync import latest_sync
from outreach.delivery.outbox import latest_heartbeat
from outreach.extensions import db
from outreach.models.base import as_utc, utcnow

bp = Blueprint("health", __name__)

# A worker polls at least every few seconds; a minute of silence means none is running.
WORKER_STALE_SECONDS = 60


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        last = latest_sync()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    data = None
    if last is not None:
        data = {"synced_at": last.synced_at.isoformat(), "congress": last.congress,
                "age_hours": round(last.age_hours(), 1), "warnings": len(last.warnings)}
    beat = latest_heartbeat()
    worker = None if beat is None else {"last_seen_seconds_ago": round(
        (utcnow() - as_utc(beat)).total_seconds())}
    status = "ok" if data and worker and worker["last_seen_seconds_ago"] < WORKER_STALE_SECONDS else "degraded"
    return jsonify(status=status, database="ok", data=data, worker=worker), 200
