"""Public pages: the campaign list, a campaign, and each demand's action page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from outreach.campaigns.services import live_campaigns, public_campaign, signer_rows
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


@bp.get("/")
def index():
    return render_template("public/index.html", campaigns=live_campaigns())


@bp.get("/c/<slug>")
def campaign(slug: str):
    found = public_campaign(slug) or abort(404)
    return render_template("public/campaign.html", campaign=found, signers=signer_rows(found.letter))


@bp.route("/c/<slug>/<demand_slug>", methods=["GET", "POST"])
def demand(slug: str, demand_slug: str):
    found = public_campaign(slug) or abort(404)
    chosen = found.demand(demand_slug) or abort(404)
    form = LookupForm()
    result, statuses = None, {}
    if found.status is CampaignStatus.LIVE and form.validate_on_submit():
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
    return render_template("public/demand.html", campaign=found, demand=chosen, form=form, result=result,
                           statuses=statuses, address_lookup=current_app.extensions["outreach.geocoder"] is not None)


@bp.app_errorhandler(404)
def not_found(_error):
    return render_template("public/not_found.html"), 404
