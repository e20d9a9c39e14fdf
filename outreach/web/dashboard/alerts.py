"""Dashboard: SMS action alerts — list, compose (with live counts), test, send or schedule, pause, cancel, progress."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Alert, AlertStatus, Campaign
from outreach.sms import alerts
from outreach.sms.alerts import AlertError
from outreach.sms.audience import Segment
from outreach.web.dashboard import bp
from outreach.web.dashboard.alert_forms import AlertForm, ConfirmForm, SendForm

# While an alert is in one of these, its page refreshes itself (and the script polls).
LIVE = {AlertStatus.SCHEDULED, AlertStatus.SENDING, AlertStatus.PAUSED}


def _alert(alert_id: int) -> Alert:
    return alerts.get_alert(alert_id) or abort(404)


def _campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.title)))


def _compose_page(form: AlertForm, alert: Alert | None):
    """Render the composer with the server's counts: recipients (on request) and per-language previews."""
    recipient_count = None
    if form.count.data or form.check.data:
        recipient_count = alerts.recipient_count(form.segment())
    campaign_id, demand_id = form.link_ids()
    link = alerts.action_link(campaign_id, demand_id)
    previews = alerts.preview(form.bodies(), link)
    # The script counts the whole text as compose() builds it: body, link, STOP line in that language.
    footers = {locale: alerts.stop_footer(locale) for locale in alerts.LOCALES}
    status = 400 if form.errors else 200
    return render_template("dashboard/alerts/form.html", form=form, alert=alert, previews=previews,
                           recipient_count=recipient_count, link=link or "", footers=footers), status


@bp.route("/alerts", endpoint="alerts")
def alerts_list():
    """List every alert with its status and progress."""
    rows = [(alert, alerts.progress(alert.id)) for alert in alerts.list_alerts()]
    return render_template("dashboard/alerts/list.html", rows=rows)


@bp.route("/alerts/new", methods=["GET", "POST"])
def alert_new():
    """Write a new alert; "Count recipients" and "Preview" show the counts without saving."""
    form = AlertForm()
    form.set_choices(_campaigns())
    if request.method == "POST" and form.save.data and form.validate_on_submit():
        try:
            alert = alerts.create_alert(form.values(), current_user.id)
        except AlertError as exc:
            flash(str(exc), "error")
        else:
            flash("Draft saved. Check it, send yourself a test, then send it.")
            return redirect(url_for("dashboard.alert", alert_id=alert.id), 303)
    elif request.method == "POST":
        form.validate_on_submit()
    return _compose_page(form, None)


@bp.route("/alerts/<int:alert_id>/edit", methods=["GET", "POST"])
def alert_edit(alert_id: int):
    """Change a draft alert."""
    alert = _alert(alert_id)
    form = AlertForm()
    form.set_choices(_campaigns())
    if request.method == "GET":
        form.fill_from(alert)
    elif form.save.data and form.validate_on_submit():
        try:
            alerts.update_alert(alert.id, form.values())
        except AlertError as exc:
            flash(str(exc), "error")
        else:
            flash("Saved.")
            return redirect(url_for("dashboard.alert", alert_id=alert.id), 303)
    else:
        form.validate_on_submit()
    return _compose_page(form, alert)


@bp.route("/alerts/<int:alert_id>")
def alert(alert_id: int):
    """Show an alert: its texts, who it reaches, its buttons and its progress."""
    found = _alert(alert_id)
    segment = Segment.of(found)
    editable = found.status is AlertStatus.DRAFT
    return render_template(
        "dashboard/alerts/show.html", alert=found, segment=segment, progress=alerts.progress(found.id),
        previews=alerts.preview(found.bodies, alerts.action_link(found.campaign_id, found.demand_id)),
        recipient_count=alerts.recipient_count(segment) if editable else found.recipient_count,
        send_form=SendForm(), confirm_form=ConfirmForm(), live=found.status in LIVE)


@bp.route("/alerts/<int:alert_id>/progress.json")
def alert_progress(alert_id: int):
    """Return an alert's counts for the progress bar."""
    _alert(alert_id)
    return jsonify(alerts.progress(alert_id).as_dict())


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _run(alert_id: int, operation, done: str):
    try:
        operation()
    except AlertError as exc:
        flash(str(exc), "error")
    else:
        flash(done)
    return redirect(url_for("dashboard.alert", alert_id=alert_id), 303)


@bp.route("/alerts/<int:alert_id>/test", methods=["POST"])
def alert_test(alert_id: int):
    """Text the alert to the organizer's own phone."""
    _confirmed()
    _alert(alert_id)
    return _run(alert_id, lambda: alerts.send_test(alert_id, current_user.id), "Test text queued to your phone.")


@bp.route("/alerts/<int:alert_id>/send", methods=["POST"])
def alert_send(alert_id: int):
    """Send the alert now, or schedule it."""
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    _alert(alert_id)
    return _run(alert_id, lambda: alerts.send(alert_id, send_at=form.when()), "Alert sent to the queue.")


@bp.route("/alerts/<int:alert_id>/pause", methods=["POST"])
def alert_pause(alert_id: int):
    """Hold the alert's unsent texts."""
    _confirmed()
    _alert(alert_id)
    return _run(alert_id, lambda: alerts.pause(alert_id), "Paused: no more texts go until you resume.")


@bp.route("/alerts/<int:alert_id>/resume", methods=["POST"])
def alert_resume(alert_id: int):
    """Let a paused alert go on."""
    _confirmed()
    _alert(alert_id)
    return _run(alert_id, lambda: alerts.resume(alert_id), "Resumed.")


@bp.route("/alerts/<int:alert_id>/cancel", methods=["POST"])
def alert_cancel(alert_id: int):
    """Stop the alert for good."""
    _confirmed()
    _alert(alert_id)
    return _run(alert_id, lambda: alerts.cancel(alert_id), "Cancelled: texts not yet sent will not go.")
