"""Email through SendGrid's v3 Mail Send API, with the official `sendgrid` SDK.

Each message carries ``custom_args.delivery_key``, which SendGrid copies into every Event Webhook event
(`outreach.web.webhooks`), so processed / delivered / bounce reports find their delivery row again.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import socket
import time
import urllib.error
from collections.abc import Mapping

import sendgrid
from python_http_client.exceptions import HTTPError as SendGridHTTPError

from outreach.delivery.channels.base import Found, OutgoingMessage, Outcome, ProviderResult, Reconciliation

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://api.sendgrid.com"
DEFAULT_TIMEOUT = 10.0

# Line breaks of every kind (and other control characters) must never reach a mail header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# SendGrid drops mail whose recipient name holds a comma or semicolon ("Invalid"): it splits the name as a list.
_LIST_SEPARATORS = re.compile(r"[,;]+")
_SPACES = re.compile(r"\s{2,}")
# Anything shaped like an address, removed from error texts (they end up in logs and the dashboard).
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def header_safe(value: str | None, limit: int = 200) -> str:
    """Return a value fit for a mail header: one line, no control characters, trimmed."""
    text = _CONTROL.sub(" ", value or "")
    return _SPACES.sub(" ", text).strip()[:limit]


def recipient_name(value: str | None) -> str:
    """Return a recipient display name SendGrid will not split into several addresses."""
    return header_safe(_LIST_SEPARATORS.sub(" ", value or ""))


def without_addresses(text: str) -> str:
    """Replace every email address in a text with a placeholder."""
    return _ADDRESS.sub("[address]", text)


def _address(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


def build_mail(message: OutgoingMessage) -> dict:
    """Return the v3 Mail Send request body for one message."""
    to = {"email": _address(message.to)}
    if recipient_name(message.to_name):
        to["name"] = recipient_name(message.to_name)
    sender = {"email": _address(message.from_email)}
    if header_safe(message.from_name):
        sender["name"] = header_safe(message.from_name)
    mail = {
        "personalizations": [{"to": [to]}],
        "from": sender,
        "subject": header_safe(message.subject, limit=998),
        "content": [{"type": "text/plain", "value": message.body}],
        # SendGrid puts custom_args into every event for this message: the webhook's way back to the row.
        "custom_args": {"delivery_key": message.delivery_key},
    }
    if message.reply_to and _address(message.reply_to):
        mail["reply_to"] = {"email": _address(message.reply_to)}
    return mail


class SendGridEmailChannel:
    """Send one plain-text email per delivery; the Event Webhook reports what happened next."""

    name = "sendgrid"

    def __init__(self, api_key: str, host: str = DEFAULT_HOST, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host = host.rstrip("/")
        self.timeout = timeout
        self.client = sendgrid.SendGridAPIClient(api_key, host=self.host)
        # python_http_client has no timeout by default; the value propagates to every request it builds.
        self.client.client.timeout = timeout
        # At DEBUG it logs whole payloads (addresses, bodies) and the Authorization header.
        logging.getLogger("python_http_client").setLevel(logging.WARNING)

    def send(self, message: OutgoingMessage) -> ProviderResult:
        """Post the message to /v3/mail/send and classify SendGrid's answer."""
        try:
            response = self.client.client.mail.send.post(request_body=build_mail(message))
        except SendGridHTTPError as exc:
            return _classify_error(exc.status_code, exc.body, exc.headers)
        except urllib.error.URLError as exc:
            # urllib raises URLError only while connecting or writing the request, so SendGrid never had a
            # whole request to accept: safe to try again later (refused, DNS failure, connect timeout, TLS).
            reason = exc.reason
            if isinstance(reason, ConnectionRefusedError):
                return ProviderResult(Outcome.RETRY, error="SendGrid: connection refused")
            return ProviderResult(Outcome.RETRY, error=f"SendGrid: could not send the request ({_kind(reason)})")
        except (TimeoutError, socket.timeout):
            # The request went out and no answer came: it may have been accepted.
            return ProviderResult(Outcome.UNKNOWN, error=f"SendGrid: no answer within {self.timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            # The connection broke after the request was written (reset, closed, garbled status line).
            return ProviderResult(Outcome.UNKNOWN, error=f"SendGrid: connection lost after sending ({_kind(exc)})")
        status = response.status_code
        if 200 <= status < 300:
            provider_id = response.headers.get("X-Message-Id") if response.headers else None
            return ProviderResult(Outcome.ACCEPTED, provider_id=provider_id or None)
        return _classify_error(status, response.body, response.headers)

    def reconcile(self, message: OutgoingMessage) -> Reconciliation:
        """Say we cannot tell: the v3 API has no look-up of a send by our id.

        The Email Activity API is a paid add-on, keyed by SendGrid's message id (which an unclear send never
        returned) and lags by minutes. The Event Webhook settles these deliveries instead: every event carries
        ``delivery_key``, and a 'processed' event moves an unknown delivery to sent. Resending instead would risk
        sending twice, so the outbox keeps asking later.
        """
        return Reconciliation(Found.CANNOT_TELL)


def _kind(error: object) -> str:
    return type(error).__name__


def _classify_error(status: int, body: bytes | str | None, headers: Mapping | None) -> ProviderResult:
    error = f"SendGrid {status}: {_error_text(body)}".rstrip(": ")
    if status == 429:
        return ProviderResult(Outcome.RETRY, error=error, retry_after=_retry_after(headers))
    if status >= 500:
        # A 5xx may come after SendGrid queued the message: reconcile (the webhook), never resend blindly.
        return ProviderResult(Outcome.UNKNOWN, error=error)
    if status in (401, 403):
        error += " (check SENDGRID_API_KEY and its Mail Send permission)"
    return ProviderResult(Outcome.FAILED, error=error)


def _error_text(body: bytes | str | None) -> str:
    """Return SendGrid's error messages (`{"errors": [{"message", "field"}]}`), without any address."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        errors = json.loads(body or "").get("errors") or []
        parts = []
        for item in errors[:5]:
            field, text = item.get("field"), item.get("message") or ""
            parts.append(f"{field}: {text}" if field else text)
        text = "; ".join(parts)
    except (ValueError, AttributeError, TypeError):
        text = (body or "").strip()
    return without_addresses(_CONTROL.sub(" ", text))[:500]


def _retry_after(headers: Mapping | None) -> float | None:
    """Return the wait SendGrid asked for: Retry-After seconds, or X-RateLimit-Reset (a Unix time)."""
    if not headers:
        return None
    value = headers.get("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(float(reset) - time.time(), 0.0)
        except ValueError:
            return None
    return None


def sendgrid_channel_from_config(config: Mapping) -> SendGridEmailChannel | None:
    """Build the SendGrid channel from SENDGRID_API_KEY / _API_HOST / _TIMEOUT; None without a key."""
    api_key = config.get("SENDGRID_API_KEY")
    if not api_key:
        return None
    return SendGridEmailChannel(api_key, host=config.get("SENDGRID_API_HOST") or DEFAULT_HOST,
                                timeout=float(config.get("SENDGRID_TIMEOUT") or DEFAULT_TIMEOUT))
