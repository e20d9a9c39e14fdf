"""An organizer logs in, sends an alert to a state and watches its progress reach 100%; a second alert is
paused mid-send, then cancelled, and nothing more of it goes out. Texts go through the real Twilio SDK to the
fake on 127.0.0.1, sent by a worker thread (first alert) and by worker rounds the test runs itself (second)."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert, select

from outreach.delivery import worker
from outreach.models import Alert, AlertStatus, ConsentRecord, Subscriber
from outreach.models.base import utcnow
from tests.conftest import ORGANIZER_PASSWORD

ILLINOIS = [f"+1312555{n:04d}" for n in range(30)]
NEW_YORK = [f"+1212555{n:04d}" for n in range(20)]


@pytest.fixture
def app_config(fake_twilio):
    # The worker runs on the real clock: a window of the whole day, so the test passes at any hour.
    return {**fake_twilio.env(), "TWILIO_TIMEOUT": 2, "FORM_MIN_SECONDS": 0, "QUIET_HOURS_START": 24,
            "QUIET_HOURS_END": 0}


@pytest.fixture
def subscribers(db, synced):
    consent = ConsentRecord(phone="+10000000000", source="web_form", disclosure_text="yes", disclosure_version="t")
    db.session.add(consent)
    db.session.flush()
    db.session.execute(insert(Subscriber), [
        {"phone": phone, "state": state, "district": district, "locale": "en", "consent_id": consent.id,
         "created_at": utcnow()}
        for phones, state, district in ((ILLINOIS, "IL", 7), (NEW_YORK, "NY", 12)) for phone in phones])
    db.session.commit()


def log_in(page: Page, live_server: str, organizer) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill(ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def write_alert(page: Page, live_server: str, name: str, state: str, expected_count: int) -> None:
    page.goto(f"{live_server}/dashboard/alerts/new")
    page.get_by_label("Name (for organizers only)").fill(name)
    page.get_by_label("Text in English").fill(f"{name}: call your Rep today!")
    # The script counts the text as it is typed, link and STOP line included.
    expect(page.locator(".sms-live[data-for=body_en]")).to_contain_text("GSM-7, 1 segment")
    page.get_by_label("Send to").select_option("state")
    page.get_by_label("State").select_option(state)
    page.get_by_role("button", name="Count recipients").click()
    expect(page.locator(".recipient-count")).to_contain_text(f"{expected_count} subscribers would get this alert")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def texts_to(fake_twilio, phones) -> int:
    return sum(1 for m in fake_twilio.messages if m["to"] in set(phones))


def test_send_watch_progress_then_pause_and_cancel(page: Page, app, db, live_server, subscribers, organizer,
                                                  fake_twilio):
    log_in(page, live_server, organizer)

    # --- the first alert goes to Illinois, sent by a worker thread while the page watches -------------------
    write_alert(page, live_server, "Illinois call day", "IL", len(ILLINOIS))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(app, stop), kwargs={"batch": 5, "idle_seconds": 0.1},
                              daemon=True)
    thread.start()
    try:
        page.get_by_role("button", name="Send now").click()
        expect(page.locator("progress")).to_be_visible()
        expect(page.locator("[data-count=percent]")).to_have_text("100", timeout=30_000)
        expect(page.locator("[data-count=sent]")).to_have_text(str(len(ILLINOIS)))
        expect(page.locator("[data-alert-status]")).to_have_text("done", timeout=15_000)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert fake_twilio.count_by_to() == {phone: 1 for phone in ILLINOIS}

    # --- the second goes to New York: five go out, then it is paused, then cancelled -------------------------
    write_alert(page, live_server, "New York call day", "NY", len(NEW_YORK))
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("[data-alert-status]")).to_have_text("sending")
    worker.run_once(app, batch=5)
    assert texts_to(fake_twilio, NEW_YORK) == 5

    page.get_by_role("button", name="Pause").click()
    expect(page.locator("[data-alert-status]")).to_have_text("paused")
    for _ in range(3):
        worker.run_once(app, batch=5)
    assert texts_to(fake_twilio, NEW_YORK) == 5, "a text went out while the alert was paused"
    expect(page.locator("[data-count=queued]")).to_have_text("15")

    page.get_by_role("button", name="Cancel alert").click()
    expect(page.locator("[data-alert-status]")).to_have_text("cancelled")
    expect(page.locator("[data-count=skipped]")).to_have_text("15")
    expect(page.locator("[data-count=percent]")).to_have_text("100")
    for _ in range(3):
        worker.run_once(app, batch=5)
    assert texts_to(fake_twilio, NEW_YORK) == 5, "a text went out after the alert was cancelled"
    db.session.expire_all()
    statuses = {a.name: a.status for a in db.session.scalars(select(Alert))}
    assert statuses == {"Illinois call day": AlertStatus.DONE, "New York call day": AlertStatus.CANCELLED}

    page.goto(f"{live_server}/dashboard/alerts")
    expect(page.locator("table.alerts tbody tr")).to_have_count(2)
