"""Public pages: the campaign list, a campaign, and each demand's action page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach.campaigns.markdown import render_markdown
from outreach.campaigns.services import live_campaigns, signer_rows, viewable_campaign
from outreach.campaigns.signing import signatures_by_bioguide, signing_status, status_label
from outreach.congress.lookup import LookupFailed, find_representation
from outreach.models import CampaignStatus
from outreach.web.forms import LookupForm

bp = Blueprint("public", __name__)


# Party names as congress-legislators spells them; any other party shows as spelled there.
PARTY_LABELS = {"Democrat": _l("Democrat"), "Republican": _l("Republican"), "Independent": _l("Independent")}


def party_label(party: str | None):
    """Return a party's name in the page's language."""
    return PARTY_LABELS.get(party or "", party or "")


@bp.app_context_processor
def inject_helpers():
    return {"locale": str(get_locale() or "en"), "status_label": status_label, "party_label": party_label}


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    """Render organizer Markdown as sanitized HTML (see outreach.campaigns.markdown)."""
    return render_markdown(text)


def _campaign_or_404(slug: str):
    """Return a live or closed campaign; a draft only to a logged-in organizer, 404 to everyone else."""
    return viewable_campaign(slug, include_drafts=current_user.is_authenticated) or abort(404)


def _draft_private(response):
    # A draft seen by an organizer must not be kept by a shared cache and served to the public later.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index():
    return render_template("public/index.html", campaigns=live_campaigns())


@bp.get("/c/<slug>")
def campaign(slug: str):
    found = _campaign_or_404(slug)
    html = render_template("public/campaign.html", campaign=found, signers=signer_rows(found.letter))
    return _draft_private(current_app.make_response(html)) if found.status is CampaignStatus.DRAFT else html


@bp.route("/c/<slug>/<demand_slug>", methods=["GET", "POST"])
def demand(slug: str, demand_slug: str):
    found = _campaign_or_404(slug)
    chosen = found.demand(demand_slug) or abort(404)
    form = LookupForm()
    result, statuses = None, {}
    # A draft's lookup works for organizers checking the page; the write step (actions.write) refuses drafts.
    if found.status is not CampaignStatus.CLOSED and form.validate_on_submit():
        try:
            result = find_representation(zip_code=form.zip_code.data, address=form.address.data,
                                         seat=form.seat.data, geocoder=current_app.extensions["outreach.geocoder"])
        except LookupFailed as exc:
            form.field_for_error(exc.code, bool(form.address.data)).errors.append(exc.message)
        else:
            signatures = signatures_by_bioguide(found.letter)
            statuses = {m.bioguide_id: signing_status(found.letter, m.person, signatures) for m in result.members}
            if result.ambiguous:
                form.seat.choices = [(f"{d.state}-{d.district}", d.label) for d in result.districts]
    html = render_template("public/demand.html", campaign=found, demand=chosen, form=form, result=result,
                           statuses=statuses, address_lookup=current_app.extensions["outreach.geocoder"] is not None)
    return _draft_private(current_app.make_response(html)) if found.status is CampaignStatus.DRAFT else html


@bp.app_errorhandler(404)
def not_found(_error):
    return render_template("public/not_found.html"), 404
