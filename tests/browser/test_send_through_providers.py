"""Lookup → form → send → thank-you page, with the real SDKs talking to fake SendGrid and Twilio."""

from __future__ import annotations

import logging
import re

import pytest
from playwright.sync_api import Page, expect

from outreach.delivery.worker import run_once

PHONE = "(312) 555-0142"
E164 = "+13125550142"
EMAIL = "ana.quintero@example.org"


@pytest.fixture
def app_config(fake_sendgrid, fake_twilio):
    return {"SENDGRID_API_KEY": fake_sendgrid.api_key, "SENDGRID_API_HOST": fake_sendgrid.host,
            **fake_twilio.env(), "TWILIO_TIMEOUT": 2}


def test_receipt_and_script_reach_the_providers_exactly_once(page: Page, app, live_server, fake_sendgrid,
                                                             fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)
    page.goto(f"{live_server}/c/end-ice-entanglement/end-287g")
    page.get_by_label("ZIP code").fill("60202")
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("button", name="Write to them").click()
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Quintero")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Street address").fill("1234 Chicago Ave")
    page.get_by_label("City").fill("Evanston")
    page.get_by_label("Mobile phone (optional)").fill(PHONE)
    page.locator("#text_me_script").check()
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/a/[A-Za-z0-9_-]{20,}$"))

    # Nothing was sent inside the request: the worker sends it.
    assert fake_sendgrid.mails == [] and fake_twilio.messages == []
    with app.app_context():
        assert run_once(app) == 2
        assert run_once(app) == 0

    assert len(fake_sendgrid.mails) == 1
    receipt = fake_sendgrid.mails[0]
    assert [p["to"][0]["email"] for p in receipt["personalizations"]] == [EMAIL]
    assert "/a/" in receipt["content"][0]["value"]
    assert len(fake_twilio.messages) == 1
    text = fake_twilio.messages[0]
    assert text["to"] == E164
    assert "Janice D. Schakowsky" in text["body"] and "202-225-2111" in text["body"]

    page.reload()
    expect(page.locator("li.delivery[data-kind=receipt] .delivery-state")).not_to_contain_text("Waiting")
    expect(page.locator("li.delivery[data-kind=office_message]")).to_have_count(3)

    # The whole run — lookup, form, worker, both providers — logged no personal data.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "delivery" in logged  # the run was logged at all
    for secret in (PHONE, E164, "3125550142", EMAIL, "1234 Chicago Ave", "Quintero", "/a/" + page.url[-10:]):
        assert secret not in logged
