"""Taking action: the write page, the status page behind a receipt's link, privacy, and the dev outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf import FlaskForm
from sqlalchemy import select

from outreach.actions.services import ActionRejected, action_by_status_token, draft_for, erase_action, submit_action
from outreach.campaigns.services import public_campaign
from outreach.extensions import db
from outreach.models import Campaign, CampaignStatus, Delivery, Demand
from outreach.web.action_forms import (
    WriteForm,
    is_first_visit,
    new_form,
    parse_seat,
    prepare_form,
    share_links,
    sms_consent_text,
    status_rows,
    valid_token,
)
from outreach.web.limits import check_action_limits

bp = Blueprint("actions", __name__)

OUTBOX_SIZE = 100


def private(response):
    """Keep a page holding personal data out of caches, and its URL out of other sites' logs."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.post("/c/<slug>/<demand_slug>/write")
def write(slug: str, demand_slug: str):
    campaign = public_campaign(slug) or abort(404)
    demand = campaign.demand(demand_slug) or abort(404)
    if campaign.status is not CampaignStatus.LIVE:
        return redirect(url_for("public.demand", slug=slug, demand_slug=demand_slug), 303)
    seat = parse_seat(request.form.get("seat")) or abort(404)
    locale = str(get_locale() or "en")
    draft = draft_for(campaign, demand, seat[0], seat[1], locale)
    if not draft.members:
        abort(404)
    if is_first_visit(request.form):
        form = prepare_form(new_form(draft, request.form["seat"], request.form.get("zip_code", "")), draft, seat[0])
    else:
        if not valid_token(request.form.get("form_token")):
            abort(400)
        form = prepare_form(WriteForm(), draft, seat[0])
        if form.validate_on_submit():
            try:
                refusal = check_action_limits(form.form_token.data, form.phone_e164, form.email.data,
                                              form.members.data if form.send_to_offices.data else [])
                if refusal:
                    raise ActionRejected(refusal.field, refusal.message)
                action = submit_action(form.submission(campaign, demand, seat[0], seat[1], locale))
            except ActionRejected as exc:
                form.reject(exc)
            else:
                return redirect(url_for(".status", token=action.status_token), 303)
    return private(current_app.make_response(render_template(
        "public/write.html", campaign=campaign, demand=demand, draft=draft, form=form,
        consent_text=sms_consent_text())))


@bp.get("/a/<token>")
def status(token: str):
    action = action_by_status_token(token) or abort(404)
    campaign, demand = db.session.get(Campaign, action.campaign_id), db.session.get(Demand, action.demand_id)
    locale = str(get_locale() or "en")
    rows = [] if action.erased_at else status_rows(action)
    return private(current_app.make_response(render_template(
        "public/action_status.html", action=action, campaign=campaign, demand=demand, rows=rows,
        share=share_links(campaign, demand, locale), erase_form=FlaskForm())))


@bp.post("/a/<token>/delete")
def erase(token: str):
    action = action_by_status_token(token) or abort(404)
    if FlaskForm().validate_on_submit() and action.erased_at is None:
        erase_action(action)
    return private(redirect(url_for(".status", token=token), 303))


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html", retention_days=current_app.config.get("RETENTION_DAYS", 30))


@bp.get("/dev/outbox")
def dev_outbox():
    if current_app.config.get("OUTREACH_ENV") != "development":
        abort(404)
    deliveries = db.session.scalars(select(Delivery).where(Delivery.provider == "console")
                                    .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(OUTBOX_SIZE))
    return private(current_app.make_response(render_template("dev/outbox.html", deliveries=list(deliveries))))
