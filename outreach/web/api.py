"""JSON API: /api/v1/lookup. Other tools build on this shape; keep it stable."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from outreach.campaigns.services import public_campaign
from outreach.campaigns.signing import signatures_by_bioguide, signing_status
from outreach.congress.lookup import LookupFailed, LookupResult, find_representation
from outreach.extensions import limiter
from outreach.web.limits import lookup_limit

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error_response(code: str, message, status: int):
    return jsonify(error={"code": code, "message": str(message)}), status


@bp.get("/lookup")
@limiter.limit(lookup_limit)
def lookup():
    campaign = None
    if request.args.get("campaign"):
        campaign = public_campaign(request.args["campaign"])
        if campaign is None:
            return error_response("campaign_not_found", "No public campaign has that slug.", 404)
    try:
        result = find_representation(zip_code=request.args.get("zip"), address=request.args.get("address"),
                                     geocoder=current_app.extensions["outreach.geocoder"])
    except LookupFailed as exc:
        return error_response(exc.code, exc.message, exc.http_status)
    return jsonify(lookup_json(result, campaign))


def lookup_json(result: LookupResult, campaign) -> dict:
    """Serialize a lookup in the documented shape."""
    signatures = signatures_by_bioguide(campaign.letter) if campaign else None
    members = []
    for member in result.members:
        term = member.term
        item = {
            "bioguide_id": member.bioguide_id,
            "name": member.person.display_name,
            "chamber": term.chamber.value,
            "state": term.state,
            "district": term.district,
            "party": term.party,
            "phone": term.phone,
            "contact_url": term.contact_url,
        }
        if campaign is not None:
            status = signing_status(campaign.letter, member.person, signatures)
            item["signature"] = {"status": status.status.value, "source": status.source}
        members.append(item)
    return {
        "ambiguous": result.ambiguous,
        "districts": [{"state": d.state, "district": d.district, "vacant": d.vacant} for d in result.districts],
        "members": members,
    }
