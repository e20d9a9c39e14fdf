"""Rate limits from config: per client address on every public POST and on the lookup API (Flask-Limiter), and
per phone number, email address and target office on the forms that send messages (checked in the views).

The client address is `request.remote_addr`, which ProxyFix sets from the trusted proxies only (security.py).
Phone numbers and email addresses are keyed by a keyed hash, so the limit store never holds them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from outreach.extensions import db, limiter

log = logging.getLogger(__name__)

PUBLIC_POST_SCOPE = "public-post"
# Auth pages anyone can post to without an account; the account pages behind a login are not limited here.
PUBLIC_AUTH_ENDPOINTS = frozenset({"auth.login", "auth.forgot_password", "auth.reset_password",
                                   "auth.accept_invitation"})

TOO_MANY_FROM_PHONE = _l("Too many messages from this number right now; try again later.")
TOO_MANY_FROM_EMAIL = _l("Too many messages from this email address right now; try again later.")
TOO_MANY_TO_OFFICE = _l("This office is getting a great many messages right now, so we are pausing for a few "
                        "minutes. Please try again later.")
TOO_MANY_REQUESTS = _l("You have sent a lot of requests in a short time. Please wait a few minutes and try again.")


def per_ip_limit() -> str:
    """Return the per-address limit on public POSTs."""
    return current_app.config["RATE_LIMIT_PER_IP"]


def lookup_limit() -> str:
    """Return the per-address limit on the lookup API."""
    return current_app.config["RATE_LIMIT_LOOKUP"]


def _not_public_auth() -> bool:
    return request.endpoint not in PUBLIC_AUTH_ENDPOINTS


_wired = False


def wire_blueprint_limits() -> None:
    """Attach the per-address limit to the public blueprints' POSTs (once: limiter and blueprints are singletons)."""
    global _wired
    if _wired:
        return
    from outreach.web import actions, auth, public, subscribe

    # One shared budget per address across every public form: a bot cannot spread its posts over several forms.
    for blueprint in (public.bp, actions.bp, subscribe.bp):
        limiter.shared_limit(per_ip_limit, scope=PUBLIC_POST_SCOPE, methods=["POST"])(blueprint)
    limiter.shared_limit(per_ip_limit, scope=PUBLIC_POST_SCOPE, methods=["POST"],
                         exempt_when=_not_public_auth)(auth.bp)
    _wired = True


# --- per phone, email, office ------------------------------------------------------------------

@dataclass
class SubmissionLimits:
    """The counters behind the per-phone, per-email and per-office limits, in the rate-limit storage.

    When the shared storage (Redis) cannot be reached, this process counts in its own memory instead: the site
    keeps taking actions during an outage, still limited, only less tightly across processes.
    """

    storage: Storage
    strategy: MovingWindowRateLimiter

    def hit(self, setting: str, kind: str, value: str) -> bool:
        """Count one use of `value` against the configured limit; return False when it is over."""
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return True
        key = _digest(kind, value)
        items = _items(current_app.config[setting])
        try:
            return all(self.strategy.hit(item, "outreach", kind, key) for item in items)
        except Exception as exc:  # noqa: BLE001  (each storage backend raises its own errors)
            self._fall_back(exc)
            return all(self.strategy.hit(item, "outreach", kind, key) for item in items)

    def first_use(self, kind: str, value: str, seconds: int) -> bool:
        """Return True the first time `value` is seen within `seconds` (used to refuse replayed tokens)."""
        key = f"outreach/once/{kind}/{_digest(kind, value)}"
        try:
            return self.storage.incr(key, seconds) == 1
        except Exception as exc:  # noqa: BLE001
            self._fall_back(exc)
            return self.storage.incr(key, seconds) == 1

    def _fall_back(self, exc: Exception) -> None:
        if isinstance(self.storage, MemoryStorage):
            raise exc
        log.error("rate-limit storage unreachable (%s); counting in this process's memory", type(exc).__name__)
        self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)


def _items(setting: str) -> list[RateLimitItem]:
    return parse_many(setting) if setting else []


def _digest(kind: str, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def submission_limits() -> SubmissionLimits:
    return current_app.extensions["outreach.limits"]


@dataclass(frozen=True)
class LimitRefusal:
    field: str
    message: object


def check_sender_limits(phone: str | None, email: str | None) -> LimitRefusal | None:
    """Count a submission against its phone number and email address; return the refusal when one is over."""
    limits = submission_limits()
    if phone and not limits.hit("RATE_LIMIT_PER_PHONE", "phone", phone):
        return LimitRefusal("phone", TOO_MANY_FROM_PHONE)
    if email and not limits.hit("RATE_LIMIT_PER_EMAIL", "email", email.lower()):
        return LimitRefusal("email", TOO_MANY_FROM_EMAIL)
    return None


def check_action_limits(form_token: str, phone: str | None, email: str | None,
                        offices: list[str]) -> LimitRefusal | None:
    """Count an action against its sender and each office it would message; a repeated post counts nothing."""
    from outreach.models import Action

    if db.session.scalar(select(Action.id).where(Action.form_token == form_token)) is not None:
        return None  # the same form posted again: the service returns the first result, nothing new is sent
    refusal = check_sender_limits(phone, email)
    if refusal:
        return refusal
    limits = submission_limits()
    for bioguide_id in sorted(set(offices)):
        if not limits.hit("RATE_LIMIT_PER_OFFICE", "office", bioguide_id):
            return LimitRefusal("members", TOO_MANY_TO_OFFICE)
    return None


# --- wiring and the refusal page ---------------------------------------------------------------

def install_rate_limits(app: Flask) -> None:
    """Give the app its limit storage, the blueprint limits, and a polite answer for a refused request."""
    storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    app.extensions["outreach.limits"] = SubmissionLimits(storage, MovingWindowRateLimiter(storage))
    wire_blueprint_limits()
    app.register_error_handler(429, too_many_requests)


def too_many_requests(error: TooManyRequests):
    """Answer a refused request politely: JSON for the API, a page for people."""
    if request.path.startswith("/api/"):
        response = jsonify(error={"code": "rate_limited", "message": str(TOO_MANY_REQUESTS)})
    else:
        response = current_app.make_response(render_template("public/rate_limited.html"))
    response.status_code = 429  # Flask-Limiter adds Retry-After and the X-RateLimit headers after this
    return response
