"""Provider callbacks: Twilio inbound texts and message status, and SendGrid's Event Webhook.

Every request is signed by its provider and checked before anything changes, which is why this blueprint, and
only this one, is exempt from CSRF. Providers retry on errors, so a verified request is answered 204 even when
it names a delivery we do not know; applying a report twice changes nothing (`record_status` never moves a
delivery backwards, `suppress` is idempotent, SendGrid events are de-duplicated by `sg_event_id`).
"""

from __future__ import annotations

import binascii
import json
import logging
import re
from functools import lru_cache

from flask import Blueprint, Response, abort, current_app, request
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from twilio.request_validator import RequestValidator

from outreach.delivery.outbox import already_seen, record_status, remember_event, suppress
from outreach.extensions import csrf
from outreach.models import DeliveryState, Medium
from outreach.sms.keywords import InboundText, handle_inbound

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

_DELIVERY_KEY = re.compile(r"^[0-9a-f]{32}$")
_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]]+@[^\s<>\"'(),;:\[\]]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# --- Twilio ----------------------------------------------------------------------------------------

TWILIO_STATES = {
    "queued": DeliveryState.SENT, "accepted": DeliveryState.SENT, "scheduled": DeliveryState.SENT,
    "sending": DeliveryState.SENT, "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED, "read": DeliveryState.DELIVERED,
    "undelivered": DeliveryState.FAILED, "failed": DeliveryState.FAILED, "canceled": DeliveryState.FAILED,
}
TWILIO_OPTED_OUT = "21610"  # "Attempt to send to unsubscribed recipient": the number texted STOP


def twilio_signature_valid() -> bool:
    """Check X-Twilio-Signature against the URL Twilio was given (PUBLIC_BASE_URL) and the form fields."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set")
        return False
    if not signature:
        return False
    # Twilio signs the URL it called, which behind a proxy is not request.url (scheme, host, port differ).
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(token).validate(url, request.form, signature)


@bp.post("/twilio/status")
def twilio_status():
    """Apply a Twilio message status callback to the delivery named by the `d` query parameter."""
    if not twilio_signature_valid():
        log.warning("Twilio status callback with a missing or invalid signature refused")
        abort(403)
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower()
    error_code = (request.form.get("ErrorCode") or "").strip()
    key = request.args.get("d", "")
    state = TWILIO_STATES.get(status)
    if error_code == TWILIO_OPTED_OUT and request.form.get("To"):
        suppress(Medium.SMS, request.form["To"], f"opted out ({TWILIO_OPTED_OUT})")
    if state is None or not _DELIVERY_KEY.match(key):
        log.info("Twilio status %r ignored (no delivery to apply it to)", status[:20])
        return "", 204
    error = None
    if state is DeliveryState.FAILED:
        error = f"Twilio {status}" + (f", error {error_code[:10]}" if error_code else "")
    record_status(key, state, provider_id=(request.form.get("MessageSid") or None), error=error)
    return "", 204


# Replies go through the outbox (recorded, sent exactly once), never as TwiML: the answer is always empty.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@bp.post("/twilio/sms")
def twilio_sms():
    """Apply a text someone sent the program's number: keywords, a ZIP code, or a message for the inbox."""
    if not twilio_signature_valid():
        log.warning("Twilio inbound text with a missing or invalid signature refused")
        abort(403)
    form = request.form
    outcome = handle_inbound(InboundText(
        phone=form.get("From", ""), body=form.get("Body", ""),
        sid=form.get("MessageSid") or form.get("SmsMessageSid") or None,
        opt_out_type=form.get("OptOutType") or None))
    log.info("Twilio inbound text %s: %s", (form.get("MessageSid") or "")[:40], outcome)
    return Response(EMPTY_TWIML, mimetype="text/xml")


# --- SendGrid ------------------------------------------------------------------------------------

SENDGRID_STATES = {
    "processed": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "bounce": DeliveryState.FAILED,
    "dropped": DeliveryState.FAILED,
}
SENDGRID_OPT_OUTS = frozenset({"spamreport", "unsubscribe", "group_unsubscribe"})


@lru_cache(maxsize=4)
def _event_webhook(public_key: str) -> EventWebhook:
    return EventWebhook(public_key)


def sendgrid_signature_valid(payload: bytes) -> bool:
    """Check SendGrid's ECDSA signature over the timestamp header and the raw body."""
    public_key = current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    signature = request.headers.get(EventWebhookHeader.SIGNATURE, "")
    timestamp = request.headers.get(EventWebhookHeader.TIMESTAMP, "")
    if not public_key:
        log.warning("SendGrid webhook refused: SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
        return False
    if not signature or not timestamp:
        return False
    try:
        verifier = _event_webhook(public_key.strip())
    except Exception:  # noqa: BLE001  (cryptography raises several types for a malformed key)
        log.error("SendGrid webhook refused: SENDGRID_WEBHOOK_PUBLIC_KEY is not a valid public key")
        return False
    try:
        # The SDK concatenates text; a body that is not UTF-8 cannot be one SendGrid signed.
        return verifier.verify_signature(payload.decode("utf-8"), signature, timestamp)
    except (UnicodeDecodeError, binascii.Error, ValueError, TypeError):
        return False


@bp.post("/sendgrid/events")
def sendgrid_events():
    """Apply a signed batch of SendGrid Event Webhook events; each event at most once."""
    payload = request.get_data(cache=True)
    if not sendgrid_signature_valid(payload):
        log.warning("SendGrid event batch with a missing or invalid signature refused")
        abort(403)
    try:
        events = json.loads(payload)
    except ValueError:
        abort(400)
    if not isinstance(events, list):
        abort(400)
    applied = 0
    for event in events:
        if isinstance(event, dict) and apply_sendgrid_event(event):
            applied += 1
    log.info("SendGrid event batch: %d events, %d applied", len(events), applied)
    return "", 204


def apply_sendgrid_event(event: dict) -> bool:
    """Apply one Event Webhook event unless it was seen before; return whether it was new."""
    event_id = event.get("sg_event_id")
    event_id = event_id[:200] if isinstance(event_id, str) and event_id else None
    if event_id is not None and already_seen("sendgrid", event_id):
        return False
    _apply_sendgrid_effects(event)
    if event_id is not None:
        remember_event("sendgrid", event_id)
    return True


def _apply_sendgrid_effects(event: dict) -> None:
    kind = str(event.get("event") or "")
    if kind in SENDGRID_OPT_OUTS and isinstance(event.get("email"), str) and event["email"]:
        suppress(Medium.EMAIL, event["email"], f"sendgrid {kind}")
    state = SENDGRID_STATES.get(kind)
    key = event.get("delivery_key")
    if state is None or not isinstance(key, str) or not _DELIVERY_KEY.match(key):
        return
    error = None
    if state is DeliveryState.FAILED:
        error = f"SendGrid {kind}: {_reason(event)}".rstrip(": ")
    message_id = event.get("sg_message_id")
    # sg_message_id is the X-Message-Id the send got, plus ".<filter and server>".
    provider_id = message_id.split(".", 1)[0] if isinstance(message_id, str) and message_id else None
    record_status(key, state, provider_id=provider_id, error=error)


def _reason(event: dict) -> str:
    """Return a bounce or drop reason fit for operators: no address, one line, short."""
    parts = [str(event.get(name)) for name in ("type", "status", "reason") if event.get(name)]
    text = " ".join(parts)
    return _CONTROL.sub(" ", _ADDRESS.sub("[address]", text))[:300]
