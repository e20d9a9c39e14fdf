"""The Twilio SMS channel: the official SDK with a timeout, classifying every answer for the outbox.

What each answer means for the delivery (the outbox acts on the Outcome):

======================================  =========  ==========================================================
answer                                  outcome    why
======================================  =========  ==========================================================
2xx with a message SID                  ACCEPTED   Twilio has the message
HTTP 429 (20429)                        RETRY      rate limited before it was taken; Retry-After is honoured
HTTP 401 (20003)                        RETRY      refused before anything was queued; fixing the credentials
                                                   lets the queue go out, instead of failing it all for good
could not connect (refused, DNS,        RETRY      nothing left this machine
connect timeout)
read timeout, connection lost after     UNKNOWN    the request may have been taken: reconcile, never resend
the request went out, HTTP 5xx                     blindly (Twilio's docs: a retried 5xx may send twice)
21610                                   FAILED     the recipient texted STOP: also suppress the number
21211, 21614, 21408, 21612, other 4xx   FAILED     permanent: resending cannot succeed
======================================  =========  ==========================================================

Error texts are built here from the status and Twilio's error code only: the SDK's own exception text holds the
request URL and often the To number, and error texts end up in the database and in logs.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from outreach.delivery.channels.base import (
    Found,
    OutgoingMessage,
    Outcome,
    ProviderResult,
    Reconciliation,
)
from outreach.delivery.channels.http import retry_after_seconds, transport_error
from outreach.privacy import install_log_redaction

log = logging.getLogger(__name__)

# Any Twilio API host the SDK may build (api.twilio.com, or api.<edge>.<region>.twilio.com from TWILIO_EDGE /
# TWILIO_REGION): all of them are rewritten when a base URL is configured.
_TWILIO_API_HOST = re.compile(r"^https://api(?:\.[a-z0-9-]+)*\.twilio\.com(?=/|$)", re.IGNORECASE)

# Twilio error codes the outbox cares about, with our own wording (Twilio's messages quote the To number).
ERROR_TEXTS = {
    20003: "authentication failed",
    20429: "too many requests",
    21211: "invalid To number",
    21408: "sending to this region is not enabled",
    21610: "unsubscribed recipient",
    21612: "To number not reachable from this sender",
    21614: "To number is not a mobile number",
}
OPT_OUT_CODE = 21610
AUTH_CODE = 20003
RATE_LIMIT_CODE = 20429

# Slack subtracted from the delivery's creation time when asking Twilio what it sent: Twilio's clock and ours
# differ, and its dates have whole-second precision.
RECONCILE_SLACK = timedelta(minutes=1)
RECONCILE_LIMIT = 50
# Statuses of a message Twilio recorded but never handed to a carrier: nobody got a text, so a resend cannot
# be a duplicate. "undelivered" is not among them: the carrier had it, and it may still have reached the phone.
NEVER_SENT_STATUSES = frozenset({"failed", "canceled"})
# What Twilio prefixes to every body sent from a trial account.
TRIAL_PREFIX = "sent from your twilio trial account"


class TimeoutTwilioHttpClient(TwilioHttpClient):
    """The SDK's HTTP client with a timeout, an optional base URL for fakes, and no request logging.

    It remembers the last response's headers per thread, because the SDK's exception does not carry them and a
    429's Retry-After lives there.
    """

    def __init__(self, timeout: float, api_base: str | None = None) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/") if api_base else None
        self._local = threading.local()

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> TwilioResponse:
        """Send one request, to the configured base URL when there is one."""
        if self.api_base:
            url = _TWILIO_API_HOST.sub(lambda _match: self.api_base, url, count=1)
        self._local.headers = None
        response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)
        self._local.headers = response.headers
        return response

    def last_headers(self) -> Mapping[str, str]:
        """Return the headers of this thread's last answer (empty when there was none)."""
        return getattr(self._local, "headers", None) or {}

    # The SDK logs every request with its query string (a list request carries the To number) and every
    # response's headers; the channel logs its own outcome lines instead.
    def log_request(self, kwargs: dict[str, Any]) -> None:
        pass

    def log_response(self, status_code: int, response: Any) -> None:
        pass


class TwilioSMSChannel:
    """Send texts through Twilio's Messages API and ask it about unclear attempts."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str | None = None,
                 messaging_service_sid: str | None = None, api_base: str | None = None,
                 status_callback_base: str | None = None, timeout: float = 10.0) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("a Twilio channel needs a from number or a messaging service SID")
        if timeout is None or timeout <= 0:
            raise ValueError("a Twilio channel needs a positive timeout")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback_base = status_callback_base.rstrip("/") if status_callback_base else None
        self.timeout = float(timeout)
        self.http_client = TimeoutTwilioHttpClient(self.timeout, api_base)
        # Building the client does no I/O: it only stores credentials and the HTTP client.
        self.client = Client(account_sid, auth_token, http_client=self.http_client)
        quiet_twilio_logging()

    # --- sending ---------------------------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> ProviderResult:
        """Hand one message to Twilio and classify the answer."""
        kwargs: dict[str, Any] = {"to": message.to, "body": message.body}
        # A messaging service picks the sender itself (and handles STOP for the whole program).
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if self.status_callback_base:
            kwargs["status_callback"] = self.status_callback_url(message.delivery_key)
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioException as exc:
            result = self._rest_error(exc)
        except requests.exceptions.RequestException as exc:
            result = transport_error("twilio", exc)
        except Exception as exc:  # noqa: BLE001 — e.g. an unreadable 2xx body: the request did go out
            result = ProviderResult(Outcome.UNKNOWN, error=f"twilio: unexpected {type(exc).__name__}")
        else:
            if not getattr(created, "sid", None):
                result = ProviderResult(Outcome.UNKNOWN, error="twilio: answer without a message SID")
            else:
                result = ProviderResult(Outcome.ACCEPTED, provider_id=created.sid)
        if result.outcome is not Outcome.ACCEPTED:
            log.info("twilio send for delivery %s: %s (%s)", message.delivery_id, result.outcome.value,
                     result.error)
        return result

    def status_callback_url(self, delivery_key: str) -> str:
        """Return the status webhook URL for one delivery; it carries the delivery key, nothing personal."""
        return f"{self.status_callback_base}/webhooks/twilio/status?d={delivery_key}"

    def _rest_error(self, exc: TwilioException) -> ProviderResult:
        status = getattr(exc, "status", None)
        code = getattr(exc, "code", None)
        if not isinstance(status, int):
            # An unreadable list/page answer or an SDK-side error: nothing says what Twilio did.
            return ProviderResult(Outcome.UNKNOWN, error="twilio: unreadable answer")
        code = code if isinstance(code, int) else None
        if status == 429 or code == RATE_LIMIT_CODE:
            return ProviderResult(Outcome.RETRY, error=_error_text(status, code),
                                  retry_after=retry_after_seconds(self.http_client.last_headers().get("Retry-After")))
        if status >= 500:
            return ProviderResult(Outcome.UNKNOWN, error=_error_text(status, None))
        if status == 401 or code == AUTH_CODE:
            return ProviderResult(Outcome.RETRY, error=_error_text(status, code))
        if code == OPT_OUT_CODE:
            return ProviderResult(Outcome.FAILED, error=_error_text(status, code), opt_out=True)
        if 400 <= status < 500:
            return ProviderResult(Outcome.FAILED, error=_error_text(status, code))
        # 1xx/3xx: Twilio does not answer a create like that; we cannot know what happened.
        return ProviderResult(Outcome.UNKNOWN, error=_error_text(status, code))

    # --- reconciling -----------------------------------------------------------------------------

    def reconcile(self, message: OutgoingMessage) -> Reconciliation:
        """Look for the message among those Twilio sent to the recipient since the delivery was created.

        Found.YES when a message with the same text is there (a "failed" or "canceled" one does not count: it
        never reached a carrier); Found.NO only when Twilio answered and the search covered the whole window;
        Found.CANNOT_TELL on any error, when the delivery has no creation time, or when 50 messages did not
        reach back to it.
        """
        if message.created_at is None:
            return Reconciliation(Found.CANNOT_TELL)
        since = _utc_naive(message.created_at) - RECONCILE_SLACK
        try:
            # Messages Twilio has sent since then...
            sent = self.client.messages.list(to=message.to, date_sent_after=since, limit=RECONCILE_LIMIT)
            found = _find(sent, message.body)
            if found:
                return Reconciliation(Found.YES, found)
            # ...and the newest ones whatever their date_sent: a message still queued (or scheduled) at Twilio
            # has none yet, and a date_sent filter may leave it out.
            recent = self.client.messages.list(to=message.to, limit=RECONCILE_LIMIT)
            found = _find(_created_since(recent, since), message.body)
        except Exception as exc:  # noqa: BLE001 — any failure to ask means we cannot tell
            log.info("twilio reconcile for delivery %s: cannot tell (%s)", message.delivery_id,
                     type(exc).__name__)
            return Reconciliation(Found.CANNOT_TELL)
        if found:
            return Reconciliation(Found.YES, found)
        if len(sent) >= RECONCILE_LIMIT or not _reaches_back(recent, since):
            return Reconciliation(Found.CANNOT_TELL)
        return Reconciliation(Found.NO)


# --- helpers ---------------------------------------------------------------------------------------

def quiet_twilio_logging() -> None:
    """Keep request lines that carry phone numbers out of the logs (idempotent)."""
    for name in ("twilio", "twilio.http_client"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # urllib3's debug line for a list request holds the To number in its query string.
    install_log_redaction()


def _error_text(status: int, code: int | None) -> str:
    if code is not None and code != status:
        what = ERROR_TEXTS.get(code)
        return f"twilio {code}: {what}" if what else f"twilio {code} (HTTP {status})"
    return f"twilio HTTP {status}"




def _utc_naive(moment: datetime) -> datetime:
    # The SDK formats datetimes as "%Y-%m-%dT%H:%M:%SZ" without converting: hand it UTC.
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _aware(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_SMART_CHARACTERS = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
})


def _normalized(text: str | None) -> str:
    # Twilio's Smart Encoding may replace typographic quotes and dashes; spacing may be trimmed.
    text = unicodedata.normalize("NFKC", text or "").translate(_SMART_CHARACTERS)
    return " ".join(text.split())


def _same_text(sent: str | None, ours: str) -> bool:
    theirs, mine = _normalized(sent), _normalized(ours)
    if not mine:
        return False
    if theirs == mine:
        return True
    # A trial account prefixes every body.
    return theirs.endswith(mine) and theirs[: -len(mine)].strip(" -").lower() == TRIAL_PREFIX


def _find(records: list[Any], body: str) -> str | None:
    """Return the SID of an outbound message with this body that was not abandoned by Twilio, if any."""
    for record in records:
        direction = getattr(record, "direction", None)
        if direction and not str(direction).startswith("outbound"):
            continue
        if str(getattr(record, "status", "") or "") in NEVER_SENT_STATUSES:
            continue
        if _same_text(getattr(record, "body", None), body):
            return record.sid
    return None


def _created_since(records: list[Any], since: datetime) -> list[Any]:
    start = since.replace(tzinfo=timezone.utc)
    # A record without a readable date_created is kept: leaving it out could turn a YES into a NO.
    return [r for r in records if (created := _aware(getattr(r, "date_created", None))) is None or created >= start]


def _reaches_back(records: list[Any], since: datetime) -> bool:
    """Whether a newest-first list of at most RECONCILE_LIMIT messages covers everything since `since`."""
    if len(records) < RECONCILE_LIMIT:
        return True
    oldest = min((created for r in records if (created := _aware(getattr(r, "date_created", None)))), default=None)
    return oldest is not None and oldest < since.replace(tzinfo=timezone.utc)


def twilio_channel_from_config(config: Mapping[str, Any]) -> TwilioSMSChannel | None:
    """Build the Twilio channel from the configuration, or None when its keys are not all set."""
    account_sid = config.get("TWILIO_ACCOUNT_SID")
    auth_token = config.get("TWILIO_AUTH_TOKEN")
    from_number = config.get("TWILIO_FROM_NUMBER") or None
    service_sid = config.get("TWILIO_MESSAGING_SERVICE_SID") or None
    if not (account_sid and auth_token and (from_number or service_sid)):
        return None
    return TwilioSMSChannel(
        account_sid, auth_token, from_number=from_number, messaging_service_sid=service_sid,
        api_base=config.get("TWILIO_API_BASE") or None,
        status_callback_base=config.get("PUBLIC_BASE_URL") or None,
        timeout=float(config.get("TWILIO_TIMEOUT") or 10.0))
