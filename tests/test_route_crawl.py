"""A crawl of every route in `app.url_map`, so routes added later are covered without touching this file.

Each POST without a CSRF token is refused (the signed webhooks answer 403 without a signature instead), each
response carries the security headers, and each dashboard route sends an anonymous visitor to the login page.
URL parameters are filled with plausible values from a seeded database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.routing import Rule

from outreach import models
from outreach.extensions import db as _db
from outreach.models import InboundMessage
from outreach.models.base import utcnow
from tests.conftest import csrf_token, log_in
from tests.test_action_form import send, status_token
from tests.test_security_headers import assert_baseline

SKIP_METHODS = {"HEAD", "OPTIONS"}
SIGNED_WEBHOOKS = "webhooks."
NAMED_VALUES = {"slug": "end-ice-entanglement", "demand_slug": "end-287g", "filename": "style.css",
                "audience": "signer", "locale": "en", "direction": "up", "lang": "en"}


@pytest.fixture
def seeded(app, synced, client, organizer, admin):
    """A campaign with demands and signers, an action with its status token, an inbox message, organizers."""
    _, response = send(client)
    token = status_token(response)
    _db.session.add(InboundMessage(phone="+13125550177", body="hello", received_at=utcnow()))
    _db.session.commit()
    return {"token": token}


def _row_id(name: str) -> int:
    """Return the id of a row of the model an `<int:x_id>` parameter names, else 1."""
    stem = name[:-3].replace("_", "").lower()
    candidates = [m for m in vars(models).values()
                  if isinstance(m, type) and hasattr(m, "__table__") and hasattr(m, "id")]
    exact = [m for m in candidates if m.__name__.lower() == stem]
    partial = [m for m in candidates if m.__name__.lower().endswith(stem)]
    for model in exact + partial:
        found = _db.session.scalar(select(model.id).order_by(model.id).limit(1))
        if found is not None:
            return found
    return 1


def url_for_rule(rule: Rule, seeded: dict) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if name in NAMED_VALUES:
            values[name] = NAMED_VALUES[name]
        elif name == "token":
            values[name] = seeded["token"]
        elif type(converter).__name__ == "IntegerConverter" or name.endswith("_id"):
            values[name] = _row_id(name)
        elif type(converter).__name__ == "AnyConverter":
            values[name] = converter.regex.strip("()").split("|")[0].replace("\\", "")
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def routes(app, method: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if method in rule.methods]


def test_the_crawl_sees_the_routes_it_must(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"actions.write", "subscribe.subscribe", "webhooks.twilio_sms", "dashboard.home", "auth.login"} <= endpoints


def test_every_post_without_a_csrf_token_is_refused(app, seeded):
    anonymous = app.test_client()
    logged_in = app.test_client()
    log_in(logged_in, _db.session.scalar(select(models.Organizer).where(models.Organizer.email == "admin@example.org")))
    failures = []
    for rule in routes(app, "POST"):
        url = url_for_rule(rule, seeded)
        expected = 403 if rule.endpoint.startswith(SIGNED_WEBHOOKS) else 400
        for who, client in (("anonymous", anonymous), ("organizer", logged_in)):
            response = client.post(url, data={"anything": "1"})
            if response.status_code != expected:
                failures.append(f"{who} POST {url} ({rule.endpoint}): {response.status_code}, expected {expected}")
            assert_baseline(response)
    assert failures == []


def test_every_get_carries_the_headers_and_does_not_fail(app, seeded):
    anonymous = app.test_client()
    logged_in = app.test_client()
    log_in(logged_in, _db.session.scalar(select(models.Organizer).where(models.Organizer.email == "admin@example.org")))
    failures = []
    for rule in routes(app, "GET"):
        url = url_for_rule(rule, seeded)
        for who, client in (("anonymous", anonymous), ("admin", logged_in)):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{who} GET {url}: {response.status_code}")
            try:
                assert_baseline(response)
            except (AssertionError, KeyError) as exc:
                failures.append(f"{who} GET {url}: headers: {exc!r}")
            if rule.rule.startswith(("/dashboard", "/a/")) and response.headers.get("Cache-Control") != "no-store":
                failures.append(f"{who} GET {url}: cacheable")
    assert failures == []


def test_every_dashboard_route_sends_anonymous_visitors_to_login(app, seeded):
    client = app.test_client()
    token = csrf_token(client.get("/subscribe").get_data(as_text=True))
    dashboard = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/dashboard")]
    assert len(dashboard) >= 3
    failures = []
    for rule in dashboard:
        url = url_for_rule(rule, seeded)
        for method in sorted(rule.methods - SKIP_METHODS):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            location = response.headers.get("Location", "")
            if response.status_code not in (302, 303) or not location.startswith("/login?next="):
                failures.append(f"{method} {url}: {response.status_code} -> {location!r}")
    assert failures == []
