"""Dashboard: a campaign's report, its CSV export, and the freshness of the Congress data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from flask import Flask, Response, abort, current_app, render_template

from outreach.campaigns import charts
from outreach.campaigns.reports import EXPORT_COLUMNS, data_freshness, export_batch
from outreach.campaigns.reports import campaign_report as build_report
from outreach.extensions import db
from outreach.models import Campaign, CampaignStatus, DeliveryState
from outreach.models.base import utcnow
from outreach.web.dashboard import bp


def _campaign(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id) or abort(404)


@bp.route("/campaigns/<int:campaign_id>/report")
def campaign_report(campaign_id: int):
    """Show a campaign's numbers, its charts, and whether the Congress data moved under it."""
    campaign = _campaign(campaign_id)
    # A live campaign's chart runs to today, so quiet days at the end show as zeros rather than vanish.
    through = utcnow().date() if campaign.status is CampaignStatus.LIVE else None
    report = build_report(campaign, through=through)
    return render_template(
        "dashboard/reports/campaign.html", campaign=campaign, report=report, freshness=data_freshness(campaign),
        daily_chart=charts.daily_bar_chart(report.by_day),
        state_map=charts.state_tile_map(report.by_state), DeliveryState=DeliveryState)


@bp.route("/campaigns/<int:campaign_id>/actions.csv")
def campaign_export(campaign_id: int):
    """Stream every action of a campaign as CSV, with formula-looking cells escaped."""
    campaign = _campaign(campaign_id)
    filename = re.sub(r"[^a-z0-9-]+", "-", campaign.slug.lower()).strip("-") or f"campaign-{campaign.id}"
    return Response(
        _csv_lines(current_app._get_current_object(), campaign.id), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}-actions.csv"'})


def _csv_lines(app: Flask, campaign_id: int) -> Iterator[str]:
    # The body is sent after the request's context is gone, so each batch runs in a short app context (and
    # database session) of its own; none is held open between chunks while a slow client downloads.
    # A byte-order mark first, so Excel reads the UTF-8 of accented names correctly; other tools skip it.
    yield "\ufeff" + _csv_line(EXPORT_COLUMNS)
    after = 0
    while True:
        with app.app_context():
            rows, after = export_batch(campaign_id, after)
        if not rows:
            return
        yield "".join(_csv_line(row) for row in rows)


def _csv_line(row) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()


@bp.route("/data")
def data_status():
    """Show when the Congress data was last synced, what it counted, and the vacant seats."""
    return render_template("dashboard/data_status.html", freshness=data_freshness())
