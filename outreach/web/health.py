"""/healthz: database reachable, data age."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from outreach.congress.sync import latest_sync
from outreach.extensions import db

bp = Blueprint("health", __name__)


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
    status = "ok" if data else "degraded"
    return jsonify(status=status, database="ok", data=data), 200
