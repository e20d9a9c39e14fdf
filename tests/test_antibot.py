"""Bot checks on the public forms: honeypot, time trap, Turnstile (against a fake on 127.0.0.1), SMS countries.

A refused form shows a polite message and queues nothing. The time trap is off in other test modules
(conftest sets FORM_MIN_SECONDS to 0); here it is on, and time is moved by patching the clock the trap reads.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from werkzeug import Response

from outreach.models import Action, Delivery, InboundMessage, Subscriber
from outreach.web import antibot
from outreach.web.antibot import ProtectedForm, new_stamp
from outreach.web.validators import us_mobile_e164
from tests.conftest import csrf_token
from tests.test_action_form import WRITE_URL, filled, open_write_page
from tests.test_pages import parse
from tests.test_sms_keywords import PUBLIC_BASE_URL, ok, sms

PHONE = "(312) 555-0123"
# What people read (English), as in outreach/web/antibot.py.
TOO_FAST = "That was quicker than we expected from a person. Please check the form and send it again."
STAMP_INVALID = "This form has expired. Please check it and send it again."
LOOKS_AUTOMATED = "We could not accept this form. If you are a person, please send it again."
CHALLENGE_FAILED = "Please complete the check that shows you are a person, then send the form again."
CHALLENGE_UNAVAILABLE = "We could not check that you are a person just now. Please try again in a minute."
TURNSTILE_SITE = "1x00000000000000000000AA"
TURNSTILE_SECRET = "1x0000000000000000000000000000000AA"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def later(monkeypatch, seconds: float) -> None:
    """Make the time trap's clock read `seconds` later than now."""
    real = time.time
    monkeypatch.setattr(antibot, "time", SimpleNamespace(time=lambda: real() + seconds))


def subscribe_form(html: str, **fields) -> dict:
    data = {"csrf_token": csrf_token(html), "form_stamp": hidden(html, "form_stamp"), "website": "",
            "phone": PHONE, "zip_code": "", "language": "en", "consent": "y"}
    data.update(fields)
    return data


def form_error(html: str) -> list[str]:
    return [p.text() for p in parse(html).find_all("p", "form-error")]


@pytest.fixture
def app_config():
    return {"FORM_MIN_SECONDS": 3}


# --- the honeypot --------------------------------------------------------------------------------

def test_honeypot_is_hidden_from_sight_keyboard_and_screen_readers(client, synced):
    for url in ("/subscribe", "/unsubscribe"):
        doc = parse(client.get(url).get_data(as_text=True))
        wrapper = doc.find("div", "hp-field")
        assert wrapper is not None and wrapper.attrs.get("aria-hidden") == "true"
        field = wrapper.find("input")
        assert field.attrs["name"] == "website"
        assert field.attrs.get("tabindex") == "-1" and field.attrs.get("autocomplete") == "off"
        assert wrapper.find("label").text() == "Leave this field empty"
    css = client.get("/static/style.css").get_data(as_text=True)
    assert re.search(r"\.hp-field\s*\{[^}]*left:\s*-10000px", css)
    # The write form carries it too.
    doc = parse(open_write_page(client).get_data(as_text=True))
    assert doc.find("form", "write").find("div", "hp-field") is not None


def test_filled_honeypot_is_refused_and_nothing_is_queued(client, synced, db, monkeypatch):
    html = client.get("/subscribe").get_data(as_text=True)
    later(monkeypatch, 10)
    response = client.post("/subscribe", data=subscribe_form(html, website="http://spam.example"))
    assert response.status_code == 200
    assert form_error(response.get_data(as_text=True)) == [LOOKS_AUTOMATED]
    assert count(db, Subscriber) == 0 and count(db, Delivery) == 0


# --- the time trap -------------------------------------------------------------------------------

def test_a_form_sent_back_too_fast_is_refused_then_accepted(client, synced, db, monkeypatch):
    html = client.get("/subscribe").get_data(as_text=True)
    response = client.post("/subscribe", data=subscribe_form(html))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert form_error(page) == [TOO_FAST]
    assert count(db, Subscriber) == 0 and count(db, Delivery) == 0
    # The person's answers stay, with a fresh stamp: sending it again a little later works.
    assert 'value="(312) 555-0123"' in page
    later(monkeypatch, 5)
    response = client.post("/subscribe", data=subscribe_form(page))
    assert response.status_code == 303, form_error(response.get_data(as_text=True))
    assert count(db, Subscriber) == 1


@pytest.mark.parametrize("stamp", ["", "forged", "eyJ0IjoxfQ.abc.def"])
def test_a_missing_or_forged_stamp_is_refused(client, synced, db, monkeypatch, stamp):
    html = client.get("/subscribe").get_data(as_text=True)
    later(monkeypatch, 10)
    response = client.post("/subscribe", data=subscribe_form(html, form_stamp=stamp))
    assert form_error(response.get_data(as_text=True)) == [STAMP_INVALID]
    assert count(db, Subscriber) == 0


def test_a_stamp_from_another_form_or_key_is_refused(client, synced, db, app, monkeypatch):
    html = client.get("/subscribe").get_data(as_text=True)
    with app.test_request_context():
        other_form = new_stamp("PhoneForm")
        app.config["SECRET_KEY"], real_key = "another-secret", app.config["SECRET_KEY"]
        other_key = new_stamp("SubscribeForm")
        app.config["SECRET_KEY"] = real_key
    later(monkeypatch, 10)
    for stamp in (other_form, other_key):
        response = client.post("/subscribe", data=subscribe_form(html, form_stamp=stamp))
        assert form_error(response.get_data(as_text=True)) == [STAMP_INVALID]
    assert count(db, Subscriber) == 0


def test_a_stale_stamp_is_refused(client, synced, db, app, monkeypatch):
    html = client.get("/subscribe").get_data(as_text=True)
    # A stamp signed a day and a minute ago (only this signature is back-dated; the CSRF token is current).
    with app.test_request_context(), monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - antibot.STAMP_MAX_AGE - 60)
        stale = new_stamp("SubscribeForm")
    response = client.post("/subscribe", data=subscribe_form(html, form_stamp=stale))
    assert form_error(response.get_data(as_text=True)) == [STAMP_INVALID]
    assert count(db, Subscriber) == 0


def test_the_action_form_refuses_a_fast_post_and_queues_nothing(client, synced, db, monkeypatch):
    html = open_write_page(client).get_data(as_text=True)
    response = client.post(WRITE_URL, data=filled(html))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert form_error(page) == [TOO_FAST]
    assert count(db, Action) == 0 and count(db, Delivery) == 0
    later(monkeypatch, 5)
    response = client.post(WRITE_URL, data=filled(page))
    assert response.status_code == 303
    assert count(db, Action) == 1


@pytest.mark.parametrize("app_config", [{"FORM_MIN_SECONDS": 0}])
def test_zero_seconds_turns_the_time_trap_off(client, synced, db):
    html = client.get("/subscribe").get_data(as_text=True)
    assert client.post("/subscribe", data=subscribe_form(html, form_stamp="")).status_code == 303


def test_the_login_form_is_protected_too(client, app, organizer, monkeypatch):
    from outreach.web.auth_forms import LoginForm

    assert issubclass(LoginForm, ProtectedForm)
    if "auth.login" not in app.view_functions:
        pytest.skip("the login page is not there yet")
    html = client.get("/login").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "form_stamp": hidden(html, "form_stamp"), "website": "",
            "email": organizer.email, "password": "correct horse battery staple"}
    response = client.post("/login", data=data)
    assert response.status_code != 302  # too fast: not logged in
    later(monkeypatch, 5)
    response = client.post("/login", data={**data, "website": "x"})
    assert response.status_code != 302  # honeypot: not logged in
    response = client.post("/login", data=data)
    assert response.status_code == 302


# --- Turnstile ---------------------------------------------------------------------------------

@pytest.fixture
def turnstile(httpserver):
    """A fake siteverify endpoint: tokens starting with "good" pass; it records what it was asked."""
    seen: list[dict] = []

    def verify(request):
        form = request.form.to_dict()
        seen.append(form)
        if form.get("secret") != TURNSTILE_SECRET:
            return Response('{"success": false, "error-codes": ["invalid-input-secret"]}', 200,
                            content_type="application/json")
        success = form.get("response", "").startswith("good")
        return Response('{"success": %s, "error-codes": %s}' % (
            "true" if success else "false", "[]" if success else '["invalid-input-response"]'), 200,
            content_type="application/json")

    httpserver.expect_request("/turnstile/v0/siteverify", method="POST").respond_with_handler(verify)
    return SimpleNamespace(url=httpserver.url_for("/turnstile/v0/siteverify"), seen=seen, server=httpserver)


@pytest.fixture
def turnstile_config(app_config, turnstile):
    app_config.update({"FORM_MIN_SECONDS": 0, "TURNSTILE_SITE_KEY": TURNSTILE_SITE,
                       "TURNSTILE_SECRET_KEY": TURNSTILE_SECRET, "TURNSTILE_VERIFY_URL": turnstile.url})
    return turnstile


def test_turnstile_widget_and_script_carry_the_nonce(turnstile_config, client, synced):
    response = client.get("/subscribe")
    html = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'data-sitekey="{TURNSTILE_SITE}"' in html
    assert re.search(rf'<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" nonce="{re.escape(nonce)}"',
                     html)
    assert "https://challenges.cloudflare.com" in policy.split("script-src")[1].split(";")[0]


def test_turnstile_is_verified_server_side_once(turnstile_config, client, synced, db):
    html = client.get("/subscribe").get_data(as_text=True)
    response = client.post("/subscribe", data=subscribe_form(html, **{"cf-turnstile-response": "good-token-1"}))
    assert response.status_code == 303
    assert turnstile_config.seen[-1]["response"] == "good-token-1"
    assert turnstile_config.seen[-1]["remoteip"] == "127.0.0.1"
    assert count(db, Subscriber) == 1
    # The same token again is refused here, without asking Cloudflare.
    asked = len(turnstile_config.seen)
    html = client.get("/subscribe").get_data(as_text=True)
    response = client.post("/subscribe", data=subscribe_form(html, phone="(312) 555-0188",
                                                              **{"cf-turnstile-response": "good-token-1"}))
    assert form_error(response.get_data(as_text=True)) == [CHALLENGE_FAILED]
    assert len(turnstile_config.seen) == asked
    assert count(db, Subscriber) == 1


@pytest.mark.parametrize("token", [None, "", "bad-token"])
def test_a_missing_or_failed_challenge_is_refused(turnstile_config, client, synced, db, token):
    html = client.get("/subscribe").get_data(as_text=True)
    extra = {} if token is None else {"cf-turnstile-response": token}
    response = client.post("/subscribe", data=subscribe_form(html, **extra))
    assert form_error(response.get_data(as_text=True)) == [CHALLENGE_FAILED]
    assert count(db, Subscriber) == 0 and count(db, Delivery) == 0
    assert len(turnstile_config.seen) == (1 if token else 0)


def test_cloudflare_unreachable_refuses_politely(turnstile_config, client, synced, db):
    turnstile_config.server.clear()
    turnstile_config.server.expect_request("/turnstile/v0/siteverify").respond_with_data("oops", status=500)
    html = client.get("/subscribe").get_data(as_text=True)
    response = client.post("/subscribe", data=subscribe_form(html, **{"cf-turnstile-response": "good-2"}))
    assert form_error(response.get_data(as_text=True)) == [CHALLENGE_UNAVAILABLE]
    assert count(db, Subscriber) == 0


def test_without_keys_there_is_no_widget(client, synced):
    response = client.get("/subscribe")
    assert "cf-turnstile" not in response.get_data(as_text=True)
    assert "challenges.cloudflare.com" not in response.headers["Content-Security-Policy"]


# --- countries texts may go to ---------------------------------------------------------------------

@pytest.mark.parametrize(("codes", "raw", "allowed"), [
    (["1"], "(312) 555-0123", True), (["1"], "+1 787 555 0123", True),  # Puerto Rico is +1 and U.S.
    (["1"], "+1 416 967 1111", False),  # Canada shares +1 but is not the U.S.
    (["1"], "+44 20 7946 0958", False), (["1", "44"], "+44 20 7946 0958", True), (["44"], "(312) 555-0123", False),
])
def test_texts_only_go_to_allowed_country_codes(app, codes, raw, allowed):
    from wtforms.validators import ValidationError

    app.config["SMS_ALLOWED_COUNTRY_CODES"] = codes
    if allowed:
        assert re.fullmatch(r"\+\d{11,12}", us_mobile_e164(raw))
    else:
        with pytest.raises(ValidationError):
            us_mobile_e164(raw)


@pytest.fixture
def twilio_config(app_config, fake_twilio):
    app_config.update({**fake_twilio.env(), "TWILIO_TIMEOUT": 2, "PUBLIC_BASE_URL": PUBLIC_BASE_URL})


def test_a_join_from_another_country_gets_no_confirmation(twilio_config, client, db, synced, fake_twilio):
    from tests.test_sms_keywords import drain

    ok(sms(client, "JOIN", phone="+447700900123"))
    drain(client.application)
    assert count(db, Subscriber) == 0 and count(db, Delivery) == 0
    assert fake_twilio.messages == []
    assert count(db, InboundMessage) == 1  # organizers can still see it
    # A U.S. number still joins.
    ok(sms(client, "JOIN", phone="+13125550123"))
    drain(client.application)
    assert count(db, Subscriber) == 1 and len(fake_twilio.messages) == 1
