"""No street address, and no ZIP code in a URL query string, ever reaches a log record.

The sequence runs twice: through the Flask test client (the app's own and urllib3's logging, the geocoder
request included) and through a real werkzeug server on 127.0.0.1 hit with `requests` (werkzeug's access
lines). gunicorn's access line is checked by driving gunicorn's own logger.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import pytest
import requests

from tests.conftest import csrf_token

ACTION = "/c/end-ice-entanglement/end-287g"
API = "/api/v1/lookup"

# Addresses the fake Census geocoder knows (add_examples) and one it does not.
ADDRESSES = [
    "1800 Sherman Ave, Evanston, IL 60201",
    "2000 S State St, Chicago, IL 60616",
    "1600 Pennsylvania Ave NW, Washington, DC 20500",
    "77 Nowhere Rd, Springfield, XX 12345",
]
# Parts of the addresses that nothing else in a log could contain.
STREETS = ["Sherman", "S State St", "Pennsylvania Ave", "Nowhere Rd", "Springfield"]
ZIPS = ["60202", "10001", "94541", "20001", "99999", "6020", "60201", "60616", "20500", "12345"]


@pytest.fixture
def app_config(census_app_config):
    return census_app_config


def forms_of(text: str) -> set[str]:
    """A piece of text as it may appear raw or URL-encoded in a log line."""
    return {text, quote(text), quote_plus(text), quote(text, safe=""), text.replace(" ", "%20")}


def record_texts(records) -> list[tuple[str, str]]:
    formatter = logging.Formatter()
    texts = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + formatter.formatException(record.exc_info)
        texts.append((record.name, text))
    return texts


def assert_no_personal_data(records) -> None:
    leaks = []
    for name, text in record_texts(records):
        lowered = text.lower()
        for piece in ADDRESSES + STREETS:
            if any(form.lower() in lowered for form in forms_of(piece)):
                leaks.append((name, piece, text))
        for zip_code in ZIPS:
            if re.search(r"\?[^\s\"]*" + zip_code, text) or re.search(r"zip=" + zip_code, text):
                leaks.append((name, zip_code, text))
    assert not leaks, "personal data in logs:\n" + "\n".join(f"  [{n}] {p!r}: {t}" for n, p, t in leaks)


def test_redaction_catches_a_planted_leak(caplog):
    """The checker itself fails on a record that does carry an address or a ZIP query."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("outreach.test").info('"GET %s HTTP/1.1" 200', "/api/v1/lookup?zip=60202")
    with pytest.raises(AssertionError):
        assert_no_personal_data(caplog.records)
    caplog.clear()
    logging.getLogger("outreach.test").info("looked up %s", quote_plus(ADDRESSES[0]))
    with pytest.raises(AssertionError):
        assert_no_personal_data(caplog.records)


# --- in process --------------------------------------------------------------------------------

def test_lookups_through_the_test_client_log_nothing_personal(client, synced, fake_census, caplog):
    caplog.set_level(logging.DEBUG)
    fake_census.add_examples()

    page = client.get(ACTION)
    token = csrf_token(page.get_data(as_text=True))
    posts = [{"zip_code": "60202"}, {"zip_code": "10001"}, {"zip_code": "6020"}, {"zip_code": "99999"},
             {"address": ADDRESSES[0]}, {"zip_code": "10001", "address": ADDRESSES[1]},
             {"address": ADDRESSES[3]}]
    for data in posts:
        assert client.post(ACTION, data={"csrf_token": token, **data}).status_code == 200
    assert client.post(ACTION, data={"zip_code": "60202", "address": ADDRESSES[0]}).status_code == 400  # no CSRF

    for params, status in [({"zip": "60202", "campaign": "end-ice-entanglement"}, 200), ({"zip": "94541"}, 200),
                           ({"zip": "6020"}, 400), ({"zip": "99999"}, 404), ({"address": ADDRESSES[0]}, 200),
                           ({"address": ADDRESSES[2], "zip": "20001"}, 200), ({"address": ADDRESSES[3]}, 404)]:
        assert client.get(API, query_string=params).status_code == status
    fake_census.fail()
    assert client.get(API, query_string={"address": ADDRESSES[1]}).status_code == 503
    response = client.post(ACTION, data={"csrf_token": token, "address": ADDRESSES[0]})
    assert "The address service is not answering right now." in response.get_data(as_text=True)

    # The capture works: the geocoder requests and its failure were logged, without their query strings.
    geocoder_lines = [t for n, t in record_texts(caplog.records)
                      if n == "urllib3.connectionpool" and "/geocoder/geographies/onelineaddress" in t]
    assert len(geocoder_lines) >= 6
    assert all("onelineaddress?…" in t for t in geocoder_lines)
    assert any("Census geocoder answered HTTP 500" in r.getMessage() for r in caplog.records)
    assert_no_personal_data(caplog.records)


# --- served by werkzeug ------------------------------------------------------------------------

def test_served_requests_log_no_addresses_or_zip_queries(live_server, fake_census, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    fake_census.add_examples()
    web = requests.Session()

    page = web.get(f"{live_server}{ACTION}?lang=es", timeout=5)
    assert page.status_code == 200
    token = csrf_token(page.text)
    for data in ({"zip_code": "60202"}, {"zip_code": "10001", "seat": "NY-12"}, {"zip_code": "6020"},
                 {"address": ADDRESSES[0]}, {"address": ADDRESSES[3]}):
        assert web.post(f"{live_server}{ACTION}", data={"csrf_token": token, **data}, timeout=5).status_code == 200

    api_calls = [({"zip": "60202", "campaign": "end-ice-entanglement"}, 200), ({"zip": "10001"}, 200),
                 ({"zip": "6020"}, 400), ({"zip": "99999"}, 404), ({"address": ADDRESSES[0]}, 200),
                 ({"address": ADDRESSES[2], "zip": "20001"}, 200), ({"address": ADDRESSES[3]}, 404)]
    for params, status in api_calls:
        assert web.get(f"{live_server}{API}", params=params, timeout=5).status_code == status
    # Spaces sent as %20 rather than +, as fetch() with encodeURIComponent would.
    raw = f"{live_server}{API}?address={quote(ADDRESSES[1], safe='')}&zip=60616"
    assert web.get(raw, timeout=5).status_code == 200
    # A mistyped path with a query is logged too (404 from the router).
    assert web.get(f"{live_server}/api/v1/lookups", params={"address": ADDRESSES[0]}, timeout=5).status_code == 404
    fake_census.fail()
    assert web.get(f"{live_server}{API}", params={"address": ADDRESSES[1]}, timeout=5).status_code == 503

    access = [t for n, t in record_texts(caplog.records) if n == "werkzeug" and "/api/v1/lookup" in t]
    assert len(access) >= len(api_calls) + 2, access  # werkzeug's request lines were captured
    assert all(re.search(r"/api/v1/lookups?\?… HTTP/1\.1", t) for t in access), access
    assert any(f"POST {ACTION} HTTP/1.1" in t for n, t in record_texts(caplog.records) if n == "werkzeug")
    assert_no_personal_data(caplog.records)


# --- gunicorn's access line --------------------------------------------------------------------

@pytest.fixture
def gunicorn_logger(app):
    """gunicorn's Logger set up with an access log, its global changes undone afterwards."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    names = ("gunicorn.error", "gunicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
             for n in names}
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = Logger(cfg)
    yield logger
    for name, (handlers, level, propagate) in saved.items():
        log = logging.getLogger(name)
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate = propagate


def test_gunicorn_access_line_drops_query_string(gunicorn_logger, caplog):
    access = logging.getLogger("gunicorn.access")
    access.addHandler(caplog.handler)  # gunicorn's access logger does not propagate to the root
    try:
        query = f"address={quote_plus(ADDRESSES[0])}&zip=60202"
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{API}?{query}", "PATH_INFO": API, "QUERY_STRING": query,
                   "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "pytest"}
        response = SimpleNamespace(status="200 OK", sent=512, headers=[("Content-Type", "application/json")])
        request = SimpleNamespace(headers=[("User-Agent", "pytest")])
        gunicorn_logger.access(response, request, environ, timedelta(milliseconds=12))
    finally:
        access.removeHandler(caplog.handler)
    lines = [r for r in caplog.records if r.name == "gunicorn.access"]
    assert len(lines) == 1 and f"GET {API}" in lines[0].getMessage()
    assert_no_personal_data(lines)


def test_status_page_tokens_never_reach_request_logs():
    from outreach.privacy import drop_query_strings

    line = '127.0.0.1 - - "GET /a/ZXWGNcxb-OZR8IgkKQMShimivMU1W7_A HTTP/1.1" 200 -'
    assert drop_query_strings(line) == '127.0.0.1 - - "GET /a/… HTTP/1.1" 200 -'
    assert drop_query_strings('"POST /a/ZXWGNcxb-OZR8IgkKQMS/delete HTTP/1.1"') == '"POST /a/…/delete HTTP/1.1"'


# --- a full run: actions, texts, subscriptions, refusals and the worker ------------------------------

PHONE_FORMS = ["+13125550123", "3125550123", "312-555-0123", "(312) 555-0123", "312.555.0123", "5550123",
               "+13125550188", "3125550188", "5550188", "+447700900123", "7700900123"]
EMAILS = ["ana.quintero@example.org", "ana.quintero", "quintero@", "someone.else@example.org"]
STREET_PARTS = ["1234 Chicago Ave", "Chicago Ave"]
PERSONAL_PATTERNS = [re.compile(r"\+1\d{10}"), re.compile(r"\(\d{3}\)\s?\d{3}-\d{4}"),
                     re.compile(r"\b\d{3}[-.]\d{3}[-.]\d{4}\b")]


def assert_no_contact_details(records) -> None:
    leaks = []
    for name, text in record_texts(records):
        lowered = text.lower()
        for piece in PHONE_FORMS + EMAILS + STREET_PARTS:
            if any(form.lower() in lowered for form in forms_of(piece)):
                leaks.append((name, piece, text))
        for pattern in PERSONAL_PATTERNS:
            if pattern.search(text):
                leaks.append((name, pattern.pattern, text))
    assert not leaks, "contact details in logs:\n" + "\n".join(f"  [{n}] {p!r}: {t}" for n, p, t in leaks)


def test_contact_detail_checker_catches_a_planted_leak(caplog):
    caplog.set_level(logging.DEBUG)
    for line in ("sent to +13125550123", "reply to ana.quintero@example.org", "lives at 1234 Chicago Ave"):
        caplog.clear()
        logging.getLogger("outreach.test").info(line)
        with pytest.raises(AssertionError):
            assert_no_contact_details(caplog.records)


@pytest.fixture
def full_run_config(app_config, fake_twilio, fake_sendgrid):
    from tests.test_sms_keywords import PUBLIC_BASE_URL

    app_config.update({**fake_twilio.env(), "TWILIO_TIMEOUT": 2, "SENDGRID_API_KEY": fake_sendgrid.api_key,
                       "SENDGRID_API_HOST": fake_sendgrid.host, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                       "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                       "RATE_LIMIT_PER_IP": "40/hour", "RATE_LIMIT_PER_PHONE": "1/hour",
                       "RATE_LIMIT_PER_EMAIL": "1/hour", "RATE_LIMIT_PER_OFFICE": "100/hour"})
    return app_config


def test_a_full_run_logs_no_phone_number_email_or_street(full_run_config, client, synced, db, caplog,
                                                          fake_twilio, fake_sendgrid):
    from outreach.delivery.worker import run_once
    from tests.test_action_form import filled, send, status_token
    from tests.test_sms_keywords import ok, sms

    caplog.set_level(logging.DEBUG)
    # An action to the offices with a texted script and SMS alerts; then the same person again (refused).
    html, response = send(client, script=True, sms_opt_in=True)
    token = status_token(response)
    again = client.post(ACTION + "/write", data={**filled(html, script=True), "form_token": "x" * 32})
    assert "Too many messages from this number" in again.get_data(as_text=True)
    # A bot fills the honeypot; a second number subscribes and leaves; a non-U.S. number texts JOIN.
    page = client.get("/subscribe").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "phone": "(312) 555-0188", "language": "en", "consent": "y"}
    assert client.post("/subscribe", data={**form, "website": "spam"}).status_code == 200
    assert client.post("/subscribe", data=form).status_code == 303
    page = client.get("/unsubscribe").get_data(as_text=True)
    assert client.post("/unsubscribe", data={"csrf_token": csrf_token(page), "phone": "312.555.0188"}).status_code == 303
    ok(sms(client, "JOIN", phone="+447700900123"))
    ok(sms(client, "STOP", phone="+13125550123"))
    # The status page, and a flood of lookups cut by the per-address limit.
    assert client.get(f"/a/{token}").status_code == 200
    statuses = [client.post(ACTION, data={"csrf_token": csrf_token(html), "zip_code": "60202"}).status_code
                for _ in range(40)]
    assert 429 in statuses
    # The worker sends everything through the SDKs to the fakes.
    for _ in range(30):
        if not run_once(client.application):
            break
    assert fake_sendgrid.mails and fake_twilio.messages

    assert len(caplog.records) > 20  # the run did log
    assert_no_contact_details(caplog.records)
    assert_no_personal_data(caplog.records)
