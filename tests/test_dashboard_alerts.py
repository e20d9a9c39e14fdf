"""Dashboard alert pages: compose with counts, test send, send, pause/resume/cancel, progress — all with CSRF."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from outreach.models import Alert, AlertStatus, Campaign, ConsentRecord, Delivery, DeliveryState, Subscriber
from outreach.config import ConfigurationError
from outreach.models.base import as_utc, utcnow
from tests.conftest import csrf_token, make_app


@pytest.fixture
def subscribers(db, synced):
    consent = ConsentRecord(phone="+10000000000", source="web_form", disclosure_text="yes", disclosure_version="t")
    db.session.add(consent)
    db.session.flush()
    db.session.execute(insert(Subscriber), [
        {"phone": f"+1312555{n:04d}", "state": "IL", "district": 9 if n % 2 else 7, "locale": "es" if n % 3 else "en",
         "consent_id": consent.id, "created_at": utcnow()} for n in range(6)])
    db.session.commit()


def compose(client, **fields):
    page = client.get("/dashboard/alerts/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "Call day", "body_en": "Call now!",
            "body_es": "", "link": "", "segment_kind": "everyone", "segment_state": "", "segment_district": "",
            "segment_campaign": "", "send_at": "", "expires_at": ""}
    data.update(fields)
    return client.post("/dashboard/alerts/new", data=data)


def test_pages_need_a_login(client, app):
    assert client.get("/dashboard/alerts").status_code in (302, 401)
    assert client.get("/dashboard/alerts/new").status_code in (302, 401)


def test_list_and_new_page(dashboard_client, subscribers):
    page = dashboard_client.get("/dashboard/alerts")
    assert page.status_code == 200 and "No alerts yet" in page.get_data(as_text=True)
    html = dashboard_client.get("/dashboard/alerts/new").get_data(as_text=True)
    assert "alert_compose.js" in html and "<script>" not in html and "style=" not in html
    assert 'data-footer-en="Reply STOP to stop"' in html


def test_count_recipients_and_preview_without_saving(dashboard_client, db, subscribers):
    page = compose(dashboard_client, segment_kind="district", segment_state="IL", segment_district="9", count="1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r"<strong>3</strong> subscribers would get this alert", html)
    assert "Call now!\nReply STOP to stop" in html and "GSM-7, 1 segment" in html
    assert db.session.scalar(select(Alert)) is None

    page = compose(dashboard_client, body_en="Llamen ya ✊", check="1")
    assert "UCS-2" in page.get_data(as_text=True)


def test_signing_status_segment(dashboard_client, db, subscribers):
    campaign = db.session.scalar(select(Campaign))
    page = compose(dashboard_client, segment_kind="signing_status", segment_campaign=str(campaign.id),
                   segment_statuses=["not_listed"], count="1")
    # IL-7 (Danny Davis) is not on the fixture letter's list; IL-9 (Schakowsky) signed.
    assert re.search(r"<strong>3</strong> subscribers", page.get_data(as_text=True))


def test_save_send_pause_resume_cancel(dashboard_client, db, subscribers, organizer):
    campaign = db.session.scalar(select(Campaign))
    demand = campaign.demands[0]
    saved = compose(dashboard_client, link=f"{campaign.id}:{demand.id}", body_es="¡Llamen ya!", save="1")
    assert saved.status_code == 303
    alert = db.session.scalar(select(Alert))
    assert alert.status is AlertStatus.DRAFT and alert.bodies == {"en": "Call now!", "es": "¡Llamen ya!"}
    show = dashboard_client.get(saved.location).get_data(as_text=True)
    assert f"/c/{campaign.slug}/{demand.slug}" in show and "6</strong> subscribers" in show
    assert "http-equiv" not in show  # a draft does not refresh itself

    token = csrf_token(show)
    # Without the token nothing happens.
    assert dashboard_client.post(f"/dashboard/alerts/{alert.id}/send", data={}).status_code == 400
    assert dashboard_client.post(f"/dashboard/alerts/{alert.id}/pause", data={}).status_code == 400

    test = dashboard_client.post(f"/dashboard/alerts/{alert.id}/test", data={"csrf_token": token})
    assert test.status_code == 303
    assert "Add your own mobile number" in dashboard_client.get(test.location).get_data(as_text=True)
    organizer.phone = "+17735550199"
    db.session.commit()
    dashboard_client.post(f"/dashboard/alerts/{alert.id}/test", data={"csrf_token": token})
    assert db.session.scalar(select(Delivery).where(Delivery.organizer_id == organizer.id)) is not None

    sent = dashboard_client.post(f"/dashboard/alerts/{alert.id}/send", data={"csrf_token": token, "send_at": ""})
    assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status is AlertStatus.SENDING
    show = dashboard_client.get(sent.location).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in show and "alert_progress.js" in show
    assert "<progress" in show

    progress = dashboard_client.get(f"/dashboard/alerts/{alert.id}/progress.json").get_json()
    assert progress == {"queued": 6, "sent": 0, "delivered": 0, "failed": 0, "skipped": 0, "total": 6,
                        "percent": 0, "status": "sending"}

    dashboard_client.post(f"/dashboard/alerts/{alert.id}/pause", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status is AlertStatus.PAUSED
    dashboard_client.post(f"/dashboard/alerts/{alert.id}/resume", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status is AlertStatus.SENDING
    dashboard_client.post(f"/dashboard/alerts/{alert.id}/cancel", data={"csrf_token": token})
    progress = dashboard_client.get(f"/dashboard/alerts/{alert.id}/progress.json").get_json()
    assert (progress["skipped"], progress["percent"], progress["status"]) == (6, 100, "cancelled")
    states = set(db.session.scalars(select(Delivery.state).where(Delivery.alert_id == alert.id)))
    assert states == {DeliveryState.SKIPPED}
    listed = dashboard_client.get("/dashboard/alerts").get_data(as_text=True)
    assert "Call day" in listed and "cancelled" in listed


def test_a_sent_alert_cannot_be_edited(dashboard_client, db, subscribers):
    saved = compose(dashboard_client, save="1")
    alert = db.session.scalar(select(Alert))
    token = csrf_token(dashboard_client.get(saved.location).get_data(as_text=True))
    dashboard_client.post(f"/dashboard/alerts/{alert.id}/send", data={"csrf_token": token})
    page = dashboard_client.get(f"/dashboard/alerts/{alert.id}/edit")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "Changed", "body_en": "Changed",
            "segment_kind": "everyone", "save": "1"}
    answer = dashboard_client.post(f"/dashboard/alerts/{alert.id}/edit", data=data, follow_redirects=True)
    assert "can no longer be edited" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).name == "Call day"


def test_unknown_alert_is_404(dashboard_client, app):
    assert dashboard_client.get("/dashboard/alerts/999").status_code == 404
    assert dashboard_client.get("/dashboard/alerts/999/progress.json").status_code == 404


@pytest.mark.parametrize("app_config", [{"ORG_TIMEZONE": "America/Chicago"}])
def test_times_are_entered_and_shown_in_the_organizations_zone(dashboard_client, db, subscribers):
    saved = compose(dashboard_client, expires_at="2030-07-16T21:00", save="1")
    alert = db.session.scalar(select(Alert))
    assert as_utc(alert.expires_at) == datetime(2030, 7, 17, 2, 0, tzinfo=timezone.utc)  # CDT is UTC-5
    show = dashboard_client.get(saved.location).get_data(as_text=True)
    assert "expires: 2030-07-16 21:00 CDT" in show and "America/Chicago time" in show
    edit = dashboard_client.get(f"/dashboard/alerts/{alert.id}/edit").get_data(as_text=True)
    assert 'value="2030-07-16T21:00"' in edit  # what was typed comes back as typed, not as UTC

    # Scheduled for 9 in the morning in Chicago, in winter: 15:00 UTC.
    sent = dashboard_client.post(f"/dashboard/alerts/{alert.id}/send",
                                 data={"csrf_token": csrf_token(show), "send_at": "2030-01-15T09:00"})
    assert sent.status_code == 303
    db.session.expire_all()
    alert = db.session.get(Alert, alert.id)
    assert alert.status is AlertStatus.SCHEDULED
    assert as_utc(alert.send_at) == datetime(2030, 1, 15, 15, 0, tzinfo=timezone.utc)
    assert "2030-01-15 09:00 CST" in dashboard_client.get("/dashboard/alerts").get_data(as_text=True)

    campaign = db.session.scalar(select(Campaign))
    campaign.launched_at = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)  # still the 14th in Chicago
    db.session.commit()
    assert "live since 2026-01-14" in dashboard_client.get("/dashboard/").get_data(as_text=True)


def test_a_misspelt_organization_zone_stops_the_app_at_start(test_database_url):
    with pytest.raises(ConfigurationError, match="ORG_TIMEZONE"):
        make_app(test_database_url, ORG_TIMEZONE="America/Chicgo")
