"""Dashboard campaign builder over HTTP, with CSRF on: build, import signers, publish, and what the public sees."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from outreach.models import Campaign, CampaignStatus, Signature
from tests.conftest import FreshContextClient, csrf_token

NEW_CAMPAIGN = {
    "title": "No more raids", "slug": "no-more-raids", "summary": "A letter of March 2025.",
    "title_es": "No más redadas", "summary_es": "Una carta de marzo de 2025.",
    "letter_date": "2025-03-01", "recipient": "The Secretary of Homeland Security", "eligible_chamber": "house",
    "body": "We **urge** you to act.\n\n<script>alert('x')</script>[click](javascript:alert(1))",
    "source_url": "https://example.org/letter", "reported_signer_count": "30",
    "sender_name": "Team", "sender_email": "team@example.org",
}
TEMPLATE = {"subject": "About {demand_title}", "body": "Dear {member_title} {member_name}, please act.",
            "sms_body": "Call {member_name}"}


def token(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return csrf_token(response.get_data(as_text=True))


def post(client, form_url: str, data: dict, action_url: str | None = None, **kwargs):
    """Post a form the way a browser does: with the CSRF token of the page that served it."""
    return client.post(action_url or form_url, data={"csrf_token": token(client, form_url), **data}, **kwargs)


def anonymous(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def build_campaign(client) -> int:
    """Create a two-demand campaign with its English messages through the dashboard routes."""
    response = post(client, "/dashboard/campaigns/new", NEW_CAMPAIGN)
    assert response.status_code == 303
    campaign_id = int(re.search(r"/dashboard/campaigns/(\d+)$", response.headers["Location"]).group(1))
    base = f"/dashboard/campaigns/{campaign_id}"
    for slug, title in (("end-287g", "End 287(g)"), ("end-detainers", "End detainers")):
        response = post(client, f"{base}/demands/new", {"title": title, "slug": slug, "explanation": "Why.",
                                                         "ask": "Act.", "title_es": f"{title} (es)"})
        assert response.status_code == 303
    return campaign_id


def demand_ids(db, campaign_id):
    db.session.expire_all()
    return [d.id for d in db.session.get(Campaign, campaign_id).demands]


def write_templates(client, db, campaign_id):
    for demand_id in demand_ids(db, campaign_id):
        for audience in ("signer", "other"):
            url = f"/dashboard/campaigns/{campaign_id}/demands/{demand_id}/templates/{audience}/en"
            response = post(client, url, {**TEMPLATE, "save": "1"})
            assert response.status_code == 303, response.get_data(as_text=True)


def test_dashboard_needs_login(client, synced):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/dashboard/campaigns/new").status_code == 302


def test_home_lists_campaigns_with_status_and_links(dashboard_client, synced):
    response = dashboard_client.get("/dashboard/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "End ICE entanglement" in html or "end-ice-entanglement" in html
    assert 'href="/dashboard/campaigns/new"' in html and "New campaign" in html
    assert "live" in html and 'href="/c/end-ice-entanglement"' in html


def test_posts_without_csrf_are_refused(dashboard_client, synced, db):
    response = dashboard_client.post("/dashboard/campaigns/new", data=NEW_CAMPAIGN)
    assert response.status_code == 400
    campaign = db.session.scalar(select(Campaign))
    assert dashboard_client.post(f"/dashboard/campaigns/{campaign.id}/close").status_code == 400
    db.session.refresh(campaign)
    assert campaign.status is CampaignStatus.LIVE


def test_form_errors_show_next_to_the_field(dashboard_client, synced):
    response = post(dashboard_client, "/dashboard/campaigns/new", {**NEW_CAMPAIGN, "slug": "end-ice-entanglement"})
    assert response.status_code == 400
    assert "Another campaign already uses this slug." in response.get_data(as_text=True)


def test_build_publish_and_the_public_sees_it(app, dashboard_client, synced, db):
    public = anonymous(app)
    campaign_id = build_campaign(dashboard_client)
    base = f"/dashboard/campaigns/{campaign_id}"

    # A draft is the organizers' alone.
    assert public.get("/c/no-more-raids").status_code == 404
    assert public.get("/c/no-more-raids/end-287g").status_code == 404
    assert "no-more-raids" not in public.get("/").get_data(as_text=True)
    draft_page = dashboard_client.get("/c/no-more-raids")
    assert draft_page.status_code == 200 and "Draft — only organizers see this" in draft_page.get_data(as_text=True)

    # Publishing is refused until both audiences have English messages.
    response = post(dashboard_client, base, {}, f"{base}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status is CampaignStatus.DRAFT
    assert "needs English messages" in dashboard_client.get(base).get_data(as_text=True)

    write_templates(dashboard_client, db, campaign_id)
    response = post(dashboard_client, base, {}, f"{base}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.status is CampaignStatus.LIVE and campaign.launched_at and campaign.launch_roster

    page = public.get("/c/no-more-raids")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Draft" not in html
    assert "<strong>urge</strong>" in html
    assert "<script>alert" not in html and "javascript:" not in html
    assert [m for m in re.findall(r'href="(/c/no-more-raids/[^"]+)"', html)] == [
        "/c/no-more-raids/end-287g", "/c/no-more-raids/end-detainers"]
    assert "no-more-raids" in public.get("/").get_data(as_text=True)
    assert "No más redadas" in public.get("/c/no-more-raids?lang=es").get_data(as_text=True)

    # The action page looks up members; Schakowsky has not signed this (empty) list.
    page = public.get("/c/no-more-raids/end-287g")
    lookup = public.post("/c/no-more-raids/end-287g",
                         data={"csrf_token": csrf_token(page.get_data(as_text=True)), "zip_code": "60202"})
    assert lookup.status_code == 200
    assert "Janice D. Schakowsky" in lookup.get_data(as_text=True)

    # Closing: the page says so, takes no actions.
    response = post(dashboard_client, base, {}, f"{base}/close")
    assert response.status_code == 303
    html = public.get("/c/no-more-raids?lang=en").get_data(as_text=True)
    assert "This campaign has ended" in html and "/c/no-more-raids/end-287g\"" not in html


def test_demands_reorder_and_remove(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    base = f"/dashboard/campaigns/{campaign_id}"
    first, second = demand_ids(db, campaign_id)
    assert post(dashboard_client, base, {}, f"{base}/demands/{second}/move/up").status_code == 303
    assert demand_ids(db, campaign_id) == [second, first]
    assert post(dashboard_client, base, {}, f"{base}/demands/{second}/remove").status_code == 303
    assert demand_ids(db, campaign_id) == [first]
    response = post(dashboard_client, f"{base}/demands/{first}", {"title": "Renamed", "slug": "renamed",
                                                                   "explanation": "", "ask": ""})
    assert response.status_code == 303
    assert db.session.get(Campaign, campaign_id).demands[0].slug == "renamed"


def test_template_editor_previews_without_javascript(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    demand_id = demand_ids(db, campaign_id)[0]
    url = f"/dashboard/campaigns/{campaign_id}/demands/{demand_id}/templates/other/en"
    page = dashboard_client.get(url).get_data(as_text=True)
    assert '<option selected value="C001080">Chu, Judy (CA-28)</option>' in page  # first alphabetically
    assert 'src="/static/template_preview.js"' in page and "<script>" not in page
    response = post(dashboard_client, url, {**TEMPLATE, "preview": "1", "preview_member": "S001145"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "About End 287(g)" in html and "Dear Representative Janice D. Schakowsky, please act." in html
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).demands[0].templates == []  # a preview saves nothing

    response = post(dashboard_client, url, {**TEMPLATE, "subject": "Hi {member_nmae}", "save": "1"})
    assert response.status_code == 400
    assert "Unknown placeholder {member_nmae}" in response.get_data(as_text=True)


def test_json_preview_needs_the_csrf_header(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    demand_id = demand_ids(db, campaign_id)[0]
    url = f"/dashboard/campaigns/{campaign_id}/demands/{demand_id}/templates/signer/es"
    preview_url = url + "/preview"
    data = {**TEMPLATE, "body": "Gracias {member_title} {member_name} {oops}", "preview_member": "P000145"}
    assert dashboard_client.post(preview_url, data=data).status_code == 400
    response = dashboard_client.post(preview_url, data=data, headers={"X-CSRFToken": token(dashboard_client, url)})
    body = response.get_json()
    assert body["ok"] is True and body["member"] == "Alex Padilla"
    assert "Gracias Senador(a) Alex Padilla {oops}" in body["body"] and body["unknown"] == ["oops"]


def test_targets_add_and_remove(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    url = f"/dashboard/campaigns/{campaign_id}/targets"
    response = post(dashboard_client, url, {"title": "Secretary", "name": "The Secretary", "email": "sec@example.gov"})
    assert response.status_code == 303
    campaign = db.session.get(Campaign, campaign_id)
    assert [t.email for t in campaign.targets] == ["sec@example.gov"]
    assert "sec@example.gov" in dashboard_client.get(url).get_data(as_text=True)
    bad = post(dashboard_client, url, {"title": "", "name": "X", "email": "not-an-email"})
    assert bad.status_code == 400
    target_id = campaign.targets[0].id
    assert post(dashboard_client, url, {}, f"{url}/{target_id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).targets == []


SIGNER_CSV = ("name,state,district,source_url\n"
              "Jan Schakowsky,IL,9,https://example.org/press\n"
              "Dan Goldman,,,\n"          # only in Congress since 2023: this letter is dated 2025
              "Garcia,,,\n"               # nobody of that name in the fixture: unmatched
              "Janice Schakowski,,,\n")   # a typo: unmatched, with a suggestion


def test_signer_import_review_then_save_and_reimport_changes_nothing(app, dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    url = f"/dashboard/campaigns/{campaign_id}/signers"
    review = post(dashboard_client, url, {"text": SIGNER_CSV, "source": "https://example.org/letter"},
                  f"{url}/review")
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "<strong>2</strong> matched, <strong>0</strong> ambiguous,\n  <strong>2</strong> unmatched" in html
    assert db.session.scalar(select(Signature).join(Signature.letter).where(Signature.bioguide_id == "G000599")) is None

    form = {"csrf_token": csrf_token(html), "text": SIGNER_CSV, "source": "https://example.org/letter",
            "choice-0": "S001145", "choice-1": "G000599", "choice-2": "", "choice-3": "", "typed-3": "S001145"}
    saved = dashboard_client.post(f"{url}/save", data=form)
    assert saved.status_code == 303
    campaign = db.session.get(Campaign, campaign_id)
    assert {s.bioguide_id: s.source for s in campaign.letter.signatures} == {
        "S001145": "https://example.org/press", "G000599": "https://example.org/letter"}
    flashes = dashboard_client.get(url).get_data(as_text=True)
    assert "2 signatures added" in flashes and "1 repeated rows ignored" in flashes

    # Upload the same list as a file: nothing changes.
    upload = {"text": "", "source": "https://example.org/letter",
              "upload": (io.BytesIO(SIGNER_CSV.encode("utf-8")), "signers.csv")}
    review = post(dashboard_client, url, upload, f"{url}/review", content_type="multipart/form-data")
    assert review.status_code == 200 and "already on file" in review.get_data(as_text=True)
    form["csrf_token"] = csrf_token(review.get_data(as_text=True))
    dashboard_client.post(f"{url}/save", data=form)
    db.session.expire_all()
    assert len(db.session.get(Campaign, campaign_id).letter.signatures) == 2
    assert "0 signatures added, 2 already on file" in dashboard_client.get(url).get_data(as_text=True)


def test_signer_save_shows_errors_for_bad_ids(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    url = f"/dashboard/campaigns/{campaign_id}/signers"
    form = {"csrf_token": token(dashboard_client, url), "text": "Garcia", "source": "", "typed-0": "P000145"}
    response = dashboard_client.post(f"{url}/save", data=form)
    assert response.status_code == 400
    assert "did not sit in the house on 2025-03-01" in response.get_data(as_text=True)
    assert db.session.get(Campaign, campaign_id).letter.signatures == []


def test_signer_import_of_nothing_is_an_error(dashboard_client, synced, db):
    campaign_id = build_campaign(dashboard_client)
    url = f"/dashboard/campaigns/{campaign_id}/signers"
    response = post(dashboard_client, url, {"text": "  ", "source": ""}, f"{url}/review")
    assert response.status_code == 400 and "There are no names to import." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/c/no-such", "/dashboard/campaigns/999", "/dashboard/campaigns/999/signers"])
def test_unknown_campaigns_are_404(dashboard_client, synced, path):
    assert dashboard_client.get(path).status_code == 404
