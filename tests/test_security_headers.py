"""Response headers, cookies, the client address from trusted proxies, templates fit for a strict CSP, and the
secrets production refuses."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from outreach import create_app
from outreach.config import ConfigurationError
from tests.conftest import csrf_token
from tests.test_action_form import send, status_token

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CHANNEL_KEYS = {"SENDGRID_API_KEY": "SG.test", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t" * 32,
                "TWILIO_FROM_NUMBER": "+15005550006"}
STRONG_SECRET = secrets.token_hex(32)


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip()[len(part.split()[0]):].strip()
            for part in policy.split(";") if part.strip()}


def assert_baseline(response) -> dict[str, str]:
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{20,}'", policy["script-src"])
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")
    return policy


def test_public_pages_carry_the_baseline_headers(client, synced):
    for url in ("/", "/c/end-ice-entanglement", "/c/end-ice-entanglement/end-287g", "/subscribe", "/privacy",
                "/no-such-page", "/static/style.css", "/api/v1/lookup?zip=60202"):
        response = client.get(url)
        policy = assert_baseline(response)
        assert policy["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # development is plain HTTP


def test_each_response_gets_its_own_nonce(client, synced):
    nonces = {re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]).group(1)
              for _ in range(3)}
    assert len(nonces) == 3


def test_status_pages_are_never_cached_nor_referred(client, synced):
    _, response = send(client)
    token = status_token(response)
    for url in (f"/a/{token}", "/a/not-a-real-token-at-all"):
        page = client.get(url)
        assert_baseline(page)
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    html = client.get(f"/a/{token}").get_data(as_text=True)
    assert '<script src="/static/copy_buttons.js" defer></script>' in html
    assert client.get("/static/copy_buttons.js").status_code == 200


def test_dashboard_is_never_cached(client, synced):
    response = client.get("/dashboard/")
    assert response.status_code in (302, 308)
    assert response.headers["Cache-Control"] == "no-store"
    assert_baseline(response)


@pytest.mark.parametrize("app_config", [{"EMBED_ALLOWED_ORIGINS": ["https://partner.example", "https://b.example"]}])
def test_embed_origins_may_frame_public_pages_only(client, synced):
    public = client.get("/c/end-ice-entanglement/end-287g?embed=1")
    assert directives(public.headers["Content-Security-Policy"])["frame-ancestors"] == \
        "https://partner.example https://b.example"
    assert "X-Frame-Options" not in public.headers
    for url in ("/dashboard/", "/login"):
        private = client.get(url)
        assert directives(private.headers["Content-Security-Policy"])["frame-ancestors"] == "'none'"
        assert private.headers["X-Frame-Options"] == "DENY"


# --- production: HSTS, cookies, secrets ------------------------------------------------------------

@pytest.fixture
def production(app_config):
    app_config.update({"OUTREACH_ENV": "production", "SECRET_KEY": STRONG_SECRET, **CHANNEL_KEYS})


def test_production_sends_hsts_and_secure_cookies(production, client, synced):
    response = client.get("/subscribe")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app = client.application
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_development_cookies_are_http_only_and_lax(client, synced):
    cookie = client.get("/subscribe").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("secret", ["test-secret", "short", "production-test-secret", "a" * 64, "ab" * 20,
                                    "changeme" + " " * 30])
def test_production_refuses_weak_secrets(monkeypatch, secret):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": secret, **CHANNEL_KEYS})


def test_production_refuses_the_development_key_file(monkeypatch, tmp_path):
    monkeypatch.setattr("outreach.PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("OUTREACH_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    dev_key = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(ConfigurationError, match="development SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": dev_key, **CHANNEL_KEYS})
    create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": STRONG_SECRET, **CHANNEL_KEYS})  # a real one starts


# --- the client address ----------------------------------------------------------------------------

def _address_app(test_database_url, proxies: int):
    from tests.conftest import make_app

    app = make_app(test_database_url, TRUSTED_PROXIES=proxies)
    app.add_url_rule("/_test/whoami", "whoami", lambda: __import__("flask").request.remote_addr + " "
                     + __import__("flask").request.scheme)
    return app.test_client()


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.9", "10.0.0.1 http"),  # no proxy configured: the header is a client's claim, ignored
    (1, "203.0.113.9", "203.0.113.9 https"),
    (1, "198.51.100.7, 203.0.113.9", "203.0.113.9 https"),  # only the hop our proxy appended counts
    (2, "198.51.100.7, 203.0.113.9", "198.51.100.7 https"),
])
def test_client_address_comes_from_trusted_proxies_only(test_database_url, proxies, forwarded, expected):
    client = _address_app(test_database_url, proxies)
    response = client.get("/_test/whoami", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                          headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https, https"})
    assert response.get_data(as_text=True) == expected


def test_nothing_reads_x_forwarded_for_by_itself():
    root = Path(__file__).resolve().parent.parent / "outreach"
    offenders = [str(path) for path in root.rglob("*.py")
                 if re.search(r"X-Forwarded-For|HTTP_X_FORWARDED_FOR|access_route", path.read_text(), re.I)
                 and path.name != "security.py"]
    assert offenders == []


# --- templates fit for the policy ------------------------------------------------------------------

def test_no_template_has_inline_script_style_or_handlers():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag:
                problems.append(f"{path.name}: inline script")
            elif "challenges.cloudflare.com" in tag and "csp_nonce()" not in tag:
                problems.append(f"{path.name}: external script without a nonce")
        if re.search(r"\sstyle\s*=", text):
            problems.append(f"{path.name}: style attribute")
        if re.search(r"<[^>]*\son[a-z]+\s*=", text):
            problems.append(f"{path.name}: event handler attribute")
        if re.search(r"<style\b", text):
            problems.append(f"{path.name}: style element")
    assert problems == []


def test_csrf_is_on_for_public_forms(client, synced):
    html = client.get("/subscribe").get_data(as_text=True)
    assert csrf_token(html)
    assert client.post("/subscribe", data={"phone": "(312) 555-0123", "consent": "y"}).status_code == 400
