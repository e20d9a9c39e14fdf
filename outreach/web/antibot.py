"""Form protections against bots: a honeypot, a time trap, and optional Cloudflare Turnstile.

All three are invisible to people: the honeypot is hidden from sight, from the keyboard and from screen readers
(and its label says to leave it empty, for the rare reader that shows it anyway); the time trap only refuses a
form sent back within FORM_MIN_SECONDS of being served; Turnstile runs only when both of its keys are set.
A refused form shows a polite message above it and is not submitted: nothing is queued for it.
"""

from __future__ import annotations

import hashlib
import logging
import time

import requests
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField, StringField

log = logging.getLogger(__name__)

TURNSTILE_FIELD = "cf-turnstile-response"  # the name Cloudflare's widget gives its hidden input
TURNSTILE_TIMEOUT = 5.0
TURNSTILE_REPLAY_SECONDS = 300
# A served form stays usable for a day; after that its stamp is refused and the page offers a fresh one.
STAMP_MAX_AGE = 24 * 3600

TOO_FAST = _l("That was quicker than we expected from a person. Please check the form and send it again.")
STAMP_INVALID = _l("This form has expired. Please check it and send it again.")
LOOKS_AUTOMATED = _l("We could not accept this form. If you are a person, please send it again.")
CHALLENGE_FAILED = _l("Please complete the check that shows you are a person, then send the form again.")
CHALLENGE_UNAVAILABLE = _l("We could not check that you are a person just now. Please try again in a minute.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt="outreach.antibot.form-stamp")


def new_stamp(form_name: str) -> str:
    """Return a signed record of when a form was served."""
    return _serializer().dumps({"form": form_name, "t": time.time()})


def stamp_problem(stamp: str | None, form_name: str, now: float | None = None):
    """Return why a posted stamp is refused, or None when the form was served long enough ago."""
    minimum = float(current_app.config.get("FORM_MIN_SECONDS") or 0)
    if minimum <= 0:
        return None
    try:
        data = _serializer().loads(stamp or "", max_age=STAMP_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return STAMP_INVALID
    if not isinstance(data, dict) or data.get("form") != form_name or not isinstance(data.get("t"), (int, float)):
        return STAMP_INVALID
    if (now or time.time()) - data["t"] < minimum:
        return TOO_FAST
    return None


def turnstile_enabled() -> bool:
    config = current_app.config
    return bool(config.get("TURNSTILE_SITE_KEY") and config.get("TURNSTILE_SECRET_KEY"))


def turnstile_problem(token: str | None):
    """Verify a Turnstile token with Cloudflare, once; return why it is refused, or None."""
    if not turnstile_enabled():
        return None
    if not token or len(token) > 2048:
        return CHALLENGE_FAILED
    from outreach.web.limits import submission_limits

    # Cloudflare refuses a token it has seen, but remembering it here also stops a replay racing the first use.
    if not submission_limits().first_use("turnstile", hashlib.sha256(token.encode()).hexdigest(),
                                         TURNSTILE_REPLAY_SECONDS):
        return CHALLENGE_FAILED
    config = current_app.config
    try:
        answer = requests.post(config["TURNSTILE_VERIFY_URL"], timeout=TURNSTILE_TIMEOUT, data={
            "secret": config["TURNSTILE_SECRET_KEY"], "response": token, "remoteip": request.remote_addr or ""})
        answer.raise_for_status()
        result = answer.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("Turnstile verification failed: %s", type(exc).__name__)
        return CHALLENGE_UNAVAILABLE
    if result.get("success") is not True:
        log.info("Turnstile refused a form (%s)", ",".join(map(str, result.get("error-codes", [])))[:100])
        return CHALLENGE_FAILED
    return None


class ProtectedForm(FlaskForm):
    """Base class for public-facing forms that bots target (action, subscribe, login).

    Render the extra fields with the `antibot(form)` macro of templates/public/_antibot.html.
    """

    website = StringField(_l("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"})
    form_stamp = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.form_stamp.raw_data is None:  # being served, not posted back: stamp the time
            self.form_stamp.data = new_stamp(self._antibot_name())

    def _antibot_name(self) -> str:
        return type(self).__name__

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        problem = self.antibot_problem(check_challenge=valid)
        if problem is None:
            return valid
        self.form_errors.append(problem)
        # A fresh stamp lets a person who was refused send the form again from the page shown.
        self.form_stamp.data = new_stamp(self._antibot_name())
        log.info("form %s refused by the bot checks", self._antibot_name())
        return False

    def antibot_problem(self, check_challenge: bool = True):
        """Return why this posted form looks automated, or None."""
        if self.website.data:
            return LOOKS_AUTOMATED
        problem = stamp_problem(self.form_stamp.data, self._antibot_name())
        if problem is not None or not check_challenge:
            return problem
        # Verified last, and only for an otherwise valid form: each token can be verified once.
        return turnstile_problem(request.form.get(TURNSTILE_FIELD))
