"""A local stand-in for SendGrid: the v3 Mail Send endpoint, and signed Event Webhook requests.

Load it with ``pytest_plugins = ["tests.fakes.sendgrid"]`` (or ``-p tests.fakes.sendgrid``) and ask for the
``fake_sendgrid`` fixture. The real SDK talks to it over HTTP on 127.0.0.1::

    def test_something(fake_sendgrid):
        channel = SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=0.5)
        fake_sendgrid.script([429, 202])          # the next two answers; then 202 again
        assert channel.send(message).outcome is Outcome.RETRY
        assert channel.send(message).outcome is Outcome.ACCEPTED
        assert fake_sendgrid.mails[0]["custom_args"]["delivery_key"] == message.delivery_key

Like the real API it checks ``Authorization: Bearer <key>`` first (401 otherwise), answers an accepted mail with
``202`` and an empty body plus an ``X-Message-Id`` header, and answers errors with ``{"errors": [{"message",
"field", "help"}]}``. It is stricter than SendGrid where that catches our bugs: a control character (CR, LF…) in
a name, subject or address, or a comma or semicolon in a recipient name (which SendGrid accepts and then drops as
"Invalid"), gets a 400.

Scripted outcomes, consumed one per request: an HTTP status (``202`` accepts; ``429`` carries rate-limit
headers; other codes carry a SendGrid-shaped error, and a ``400`` names the recipient's address the way some real
errors do), or ``"hang"``: hold the answer for up to MAX_HANG_SECONDS, then accept the mail anyway — what a
client that timed out cannot know. Hung requests are released when the test ends.

Signed webhooks: ``fake_sendgrid.signer`` (also the ``sendgrid_webhook_signer`` fixture) holds a test P-256 key.
``public_key_base64`` is what SendGrid's console shows (base64 DER SubjectPublicKeyInfo, the body of the PEM),
and ``sign(payload, timestamp)`` signs exactly as SendGrid does: ECDSA with SHA-256 over the timestamp string
followed by the raw payload, DER-encoded, base64.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "SG.fake-key.for-tests-only"
MAIL_SEND_PATH = "/v3/mail/send"
MAX_HANG_SECONDS = 3.0
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")

ERROR_MESSAGES = {
    400: ("personalizations.0.to.0.email", "Does not contain a valid address: {to}"),
    401: (None, "The provided authorization grant is invalid, expired, or revoked"),
    403: (None, "access forbidden"),
    413: (None, "The JSON payload you have included in your request is too large."),
    429: (None, "too many requests"),
    500: (None, "Internal server error"),
    502: (None, "Bad gateway"),
    503: (None, "Service unavailable"),
}


class EventWebhookSigner:
    """A test P-256 key pair that signs Event Webhook requests the way SendGrid does."""

    def __init__(self) -> None:
        self._private_key = ec.generate_private_key(ec.SECP256R1())
        der = self._private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.public_key_base64 = base64.b64encode(der).decode("ascii")

    def sign(self, payload: bytes, timestamp: str | int) -> str:
        """Return the base64 DER ECDSA-SHA256 signature of timestamp + payload."""
        signature = self._private_key.sign(str(timestamp).encode("utf-8") + payload, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")

    def headers(self, payload: bytes, timestamp: str | int | None = None) -> dict[str, str]:
        """Return the two headers SendGrid sends with a signed batch of events."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        return {SIGNATURE_HEADER: self.sign(payload, timestamp), TIMESTAMP_HEADER: timestamp,
                "Content-Type": "application/json"}


def event(kind: str, email: str, delivery_key: str | None = None, *, message_id: str = "fakeMessageId",
          event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """Return one Event Webhook event in SendGrid's shape (custom args flattened into the event)."""
    record: dict[str, Any] = {
        "email": email,
        "timestamp": int(time.time()),
        "smtp-id": f"<{message_id}@ismtpd0001p1mdw1.sendgrid.net>",
        "event": kind,
        "sg_event_id": event_id or base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("="),
        "sg_message_id": f"{message_id}.recvd-5f7d8c9b4-abcde-1-6502F2E1-3.0",
    }
    if delivery_key is not None:
        record["delivery_key"] = delivery_key
    if kind == "bounce":
        record.setdefault("type", "bounce")
        record.setdefault("status", "5.1.1")
        record.setdefault("reason", f"550 5.1.1 <{email}>: Recipient address rejected: User unknown")
        record.setdefault("bounce_classification", "Invalid Address")
    if kind == "dropped":
        record.setdefault("reason", "Bounced Address")
    record.update(fields)
    return record


class FakeSendGrid:
    """The fake Mail Send API: script outcomes, then read `mails` (accepted) and `requests` (all)."""

    def __init__(self, server: HTTPServer, signer: EventWebhookSigner, api_key: str = API_KEY) -> None:
        self.server = server
        self.signer = signer
        self.api_key = api_key
        self.host = f"http://127.0.0.1:{server.port}"
        self.mails: list[dict[str, Any]] = []          # accepted request bodies, in order
        self.message_ids: list[str] = []               # the X-Message-Id given to each accepted mail
        self.requests: list[dict[str, Any]] = []       # every request: headers and parsed body
        self._script: deque[int | str] = deque()
        self._release = threading.Event()
        self._lock = threading.Lock()
        server.expect_request(MAIL_SEND_PATH, method="POST").respond_with_handler(self._handle)

    def script(self, outcomes: Iterable[int | str]) -> None:
        """Queue the answers to the next requests: HTTP statuses or "hang"; afterwards every mail gets 202."""
        self._script.extend(outcomes)

    def release(self) -> None:
        """Let hung requests finish now."""
        self._release.set()

    def events(self, index: int, *kinds: str, **fields: Any) -> list[dict[str, Any]]:
        """Return Event Webhook events for the accepted mail at `index`, as SendGrid would report them."""
        mail, message_id = self.mails[index], self.message_ids[index]
        to = mail["personalizations"][0]["to"][0]["email"]
        key = (mail.get("custom_args") or {}).get("delivery_key")
        return [event(kind, to, key, message_id=message_id, **fields) for kind in kinds]

    # --- answering -------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        with self._lock:
            self.requests.append({"headers": dict(request.headers), "json": body})
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401)
        outcome = self._script.popleft() if self._script else 202
        if outcome == "hang":
            self._release.wait(MAX_HANG_SECONDS)
            outcome = 202
        if outcome != 202:
            return _error(int(outcome), body)
        problem = _validate(body)
        if problem:
            return _error(400, body, problem)
        message_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        with self._lock:
            self.mails.append(body)
            self.message_ids.append(message_id)
        return Response("", status=202, headers={"X-Message-Id": message_id})


def _recipient(body: Any) -> str:
    try:
        return body["personalizations"][0]["to"][0]["email"]
    except (TypeError, KeyError, IndexError):
        return ""


def _error(status: int, body: Any = None, problem: tuple[str | None, str] | None = None) -> Response:
    field, message = problem or ERROR_MESSAGES.get(status, (None, "error"))
    payload = {"errors": [{"message": message.format(to=_recipient(body)), "field": field, "help": None}]}
    headers = {}
    if status == 429:
        headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": str(int(time.time()) + 2)}
    return Response(json.dumps(payload), status=status, content_type="application/json", headers=headers)


def _validate(body: Any) -> tuple[str, str] | None:
    """Return (field, message) for a request SendGrid would refuse, or that would reach a header unsafely."""
    if not isinstance(body, dict):
        return "", "Bad Request"
    personalizations = body.get("personalizations")
    if not personalizations or not personalizations[0].get("to"):
        return "personalizations", "The personalizations field is required and must have at least one personalization."
    sender = body.get("from") or {}
    if not sender.get("email"):
        return "from.email", "The from object must be provided for every email send."
    if not body.get("subject"):
        return "subject", "The subject is required."
    content = body.get("content") or []
    if not content or not all(part.get("type") and part.get("value") for part in content):
        return "content", "The content value must be a string at least one character in length."
    fields = {"from.email": sender.get("email"), "from.name": sender.get("name"), "subject": body["subject"]}
    for i, to in enumerate(personalizations[0]["to"]):
        fields[f"personalizations.0.to.{i}.email"] = to.get("email")
        fields[f"personalizations.0.to.{i}.name"] = to.get("name")
        if to.get("name") and re.search(r"[,;]", to["name"]):
            return f"personalizations.0.to.{i}.name", "(fake) a comma or semicolon makes SendGrid drop the mail"
    if "reply_to" in body:
        fields["reply_to.email"] = body["reply_to"].get("email")
        fields["reply_to.name"] = body["reply_to"].get("name")
    for field, value in fields.items():
        if value and _CONTROL.search(value):
            return field, "(fake) a control character would reach a mail header"
    return None


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sendgrid_httpserver() -> Iterator[HTTPServer]:
    """The fake's own server (not the shared `httpserver`), threaded so a hung answer blocks no one."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="session")
def sendgrid_webhook_signer() -> EventWebhookSigner:
    """A test key pair for signed Event Webhook requests."""
    return EventWebhookSigner()


@pytest.fixture
def fake_sendgrid(sendgrid_httpserver: HTTPServer,
                  sendgrid_webhook_signer: EventWebhookSigner) -> Iterator[FakeSendGrid]:
    """A fresh fake SendGrid on 127.0.0.1: nothing scripted, every authorised valid mail gets 202."""
    sendgrid_httpserver.clear()
    fake = FakeSendGrid(sendgrid_httpserver, sendgrid_webhook_signer)
    yield fake
    fake.release()
    sendgrid_httpserver.clear()
