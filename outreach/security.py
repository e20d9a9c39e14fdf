"""The security baseline every response gets: client address from trusted proxies only, CSP with a nonce,
strict headers, hardened cookies, and a production refusal of guessable secrets."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach.config import ConfigurationError

TURNSTILE_ORIGIN = "https://challenges.cloudflare.com"
HSTS = "max-age=63072000"
# Pages holding a secret in their URL (the status page's token) or personal data: never cached, never referred.
PRIVATE_PREFIXES = ("/a/", "/dashboard")
# Pages no other site may frame, even when embedding is allowed: organizer accounts are a clickjacking target.
NEVER_FRAMED_PREFIXES = ("/dashboard", "/login", "/logout", "/account", "/forgot", "/reset/", "/invite/")


def install_security(app: Flask) -> None:
    """Wire proxies, headers, cookies, rate limits and the production secret check into the app."""
    _check_secret_key(app)
    _configure_cookies(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Only the last `proxies` hops of X-Forwarded-* are believed; anything a client adds before them is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["turnstile_site_key"] = turnstile_site_key
    app.after_request(set_security_headers)

    from outreach.web.limits import install_rate_limits

    install_rate_limits(app)


def csp_nonce() -> str:
    """Return this request's script nonce, making it on first use."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def turnstile_site_key() -> str | None:
    """Return the Turnstile site key when the challenge is fully configured, else None."""
    config = current_app.config
    if config.get("TURNSTILE_SITE_KEY") and config.get("TURNSTILE_SECRET_KEY"):
        return config["TURNSTILE_SITE_KEY"]
    return None


def content_security_policy(framed_by: list[str]) -> str:
    """Return the CSP header value for this request."""
    scripts = ["'self'", f"'nonce-{csp_nonce()}'"]
    frames = ""
    if turnstile_site_key():
        scripts.append(TURNSTILE_ORIGIN)
        frames = f"; frame-src {TURNSTILE_ORIGIN}"
    ancestors = " ".join(framed_by) if framed_by else "'none'"
    return ("default-src 'self'; script-src " + " ".join(scripts) + "; style-src 'self'; img-src 'self' data:; "
            f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}{frames}")


def set_security_headers(response):
    """Add the baseline headers; a stricter value a view already set is kept."""
    config = current_app.config
    path = request.path
    framed_by = [] if path.startswith(NEVER_FRAMED_PREFIXES) else list(config.get("EMBED_ALLOWED_ORIGINS") or [])
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(framed_by))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if not framed_by:
        headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if config.get("OUTREACH_ENV") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _configure_cookies(app: Flask) -> None:
    production = app.config.get("OUTREACH_ENV") == "production"
    for prefix in ("SESSION_COOKIE", "REMEMBER_COOKIE"):
        app.config[f"{prefix}_HTTPONLY"] = True
        app.config[f"{prefix}_SAMESITE"] = "Lax"
        # Production is served over HTTPS (HSTS says so); a cookie sent over plain HTTP could be read on the way.
        app.config[f"{prefix}_SECURE"] = production


def _check_secret_key(app: Flask) -> None:
    # check_production (config.py) refuses weak values; this catches the development key copied to production.
    if app.config.get("OUTREACH_ENV") != "production":
        return
    dev_key = Path(app.instance_path) / "secret_key"
    key = str(app.config.get("SECRET_KEY") or "")
    if dev_key.is_file() and hmac.compare_digest(dev_key.read_text().strip().encode(), key.encode()):
        raise ConfigurationError("OUTREACH_ENV=production refuses the development SECRET_KEY from instance/secret_key.")
