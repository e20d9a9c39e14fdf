"""Provider webhooks: signed exactly as Twilio and SendGrid sign them; anything unsigned changes nothing."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from outreach.delivery.channels.base import OutgoingMessage, Outcome
from outreach.delivery.channels.sendgrid_email import SendGridEmailChannel
from outreach.models import Delivery, DeliveryKind, DeliveryState, Medium, ProviderEvent, Suppression
from tests.fakes.sendgrid import EventWebhookSigner, event

AUTH_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://outreach.example.org"
PHONE = "+13125550123"
EMAIL = "ana.garcia@example.org"
STATUS_PATH = "/webhooks/twilio/status"
EVENTS_PATH = "/webhooks/sendgrid/events"


@pytest.fixture
def app_config(sendgrid_webhook_signer):
    return {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SENDGRID_WEBHOOK_PUBLIC_KEY": sendgrid_webhook_signer.public_key_base64}


@pytest.fixture(autouse=True)
def webhooks_registered(app):
    if "webhooks" not in app.blueprints:
        from outreach.web import webhooks
        app.register_blueprint(webhooks.bp)


def make_delivery(db, medium=Medium.SMS, state=DeliveryState.SENDING, **fields) -> Delivery:
    kind = DeliveryKind.SCRIPT_SMS if medium is Medium.SMS else DeliveryKind.RECEIPT
    delivery = Delivery(kind=kind, medium=medium, recipient_key="constituent", body="Call your members",
                        state=state, **fields)
    db.session.add(delivery)
    db.session.commit()
    return delivery


def reload(db, delivery: Delivery) -> Delivery:
    db.session.expire_all()
    return db.session.get(Delivery, delivery.id)


def suppressions(db) -> list[tuple[Medium, str, str]]:
    db.session.expire_all()
    return [(s.medium, s.address, s.reason) for s in db.session.scalars(select(Suppression))]


# --- Twilio ------------------------------------------------------------------------------------

def twilio_post(client, key: str | None, status: str, token: str = AUTH_TOKEN, signature: str | None = None,
                base_url: str = PUBLIC_BASE_URL, **fields):
    """POST a status callback signed as Twilio signs it: HMAC-SHA1 over the configured URL and sorted params."""
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": status, "SmsStatus": status, "To": PHONE,
              "From": "+13125550000", "AccountSid": "AC" + "b" * 32, "ApiVersion": "2010-04-01", **fields}
    query = f"?{urlencode({'d': key})}" if key else ""
    url = base_url + STATUS_PATH + query
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    # The app sees plain http on another host (behind a proxy): the signature must still hold.
    return client.post(STATUS_PATH + query, data=params, headers=headers, base_url="http://10.0.0.5:8000")


def test_twilio_delivered_then_a_late_sent_leaves_it_delivered(client, db):
    delivery = make_delivery(db)

    assert twilio_post(client, delivery.key, "delivered").status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.DELIVERED
    assert row.provider_id == "SM" + "a" * 32
    assert row.finished_at is not None

    assert twilio_post(client, delivery.key, "sent").status_code == 204
    assert reload(db, delivery).state is DeliveryState.DELIVERED


@pytest.mark.parametrize("status", ["queued", "accepted", "sending", "sent"])
def test_twilio_in_flight_statuses_mean_sent(client, db, status):
    delivery = make_delivery(db, state=DeliveryState.UNKNOWN)
    assert twilio_post(client, delivery.key, status).status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.SENT and row.sent_at is not None


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_twilio_failure_records_the_error_code(client, db, status):
    delivery = make_delivery(db, state=DeliveryState.SENT)
    assert twilio_post(client, delivery.key, status, ErrorCode="30003").status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.FAILED
    assert "30003" in row.last_error and PHONE not in row.last_error
    assert suppressions(db) == []


def test_twilio_21610_fails_the_delivery_and_suppresses_the_number(client, db):
    delivery = make_delivery(db, state=DeliveryState.SENT)
    assert twilio_post(client, delivery.key, "failed", ErrorCode="21610").status_code == 204
    assert reload(db, delivery).state is DeliveryState.FAILED
    assert suppressions(db) == [(Medium.SMS, PHONE, "opted out (21610)")]
    # Twilio repeats callbacks; the second one changes nothing and does not fail.
    assert twilio_post(client, delivery.key, "failed", ErrorCode="21610").status_code == 204
    assert len(suppressions(db)) == 1


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong token", "other host", "tampered"])
def test_twilio_bad_signature_is_refused_and_changes_nothing(client, db, case):
    delivery = make_delivery(db, state=DeliveryState.SENT)
    kwargs = {"missing": {"signature": ""}, "garbage": {"signature": "bm90IGEgc2lnbmF0dXJl"},
              "wrong token": {"token": "someone-else"}, "other host": {"base_url": "http://10.0.0.5:8000"},
              "tampered": {}}[case]
    if case == "tampered":
        # Signed for "sent", then the body is changed to "failed" with 21610.
        good = RequestValidator(AUTH_TOKEN).compute_signature(
            f"{PUBLIC_BASE_URL}{STATUS_PATH}?d={delivery.key}",
            {"MessageSid": "SM" + "a" * 32, "MessageStatus": "sent", "SmsStatus": "sent", "To": PHONE,
             "From": "+13125550000", "AccountSid": "AC" + "b" * 32, "ApiVersion": "2010-04-01"})
        kwargs = {"signature": good, "ErrorCode": "21610"}
        response = twilio_post(client, delivery.key, "failed", **kwargs)
    else:
        response = twilio_post(client, delivery.key, "failed", ErrorCode="21610", **kwargs)

    assert response.status_code == 403
    row = reload(db, delivery)
    assert row.state is DeliveryState.SENT and row.last_error is None
    assert suppressions(db) == []


def test_twilio_signature_covers_the_query_string(client, db):
    """A callback signed for one delivery cannot be replayed against another."""
    first, second = make_delivery(db, state=DeliveryState.SENT), make_delivery(db, state=DeliveryState.SENT)
    params = {"MessageSid": "SM1", "MessageStatus": "failed", "To": PHONE}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE_URL}{STATUS_PATH}?d={first.key}", params)
    response = client.post(f"{STATUS_PATH}?d={second.key}", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert reload(db, second).state is DeliveryState.SENT


def test_twilio_refused_when_no_auth_token_is_configured(app, client, db):
    app.config["TWILIO_AUTH_TOKEN"] = None
    delivery = make_delivery(db, state=DeliveryState.SENT)
    assert twilio_post(client, delivery.key, "delivered").status_code == 403
    assert reload(db, delivery).state is DeliveryState.SENT


def test_twilio_unknown_or_missing_delivery_key_is_acknowledged(client, db):
    assert twilio_post(client, "f" * 32, "delivered").status_code == 204
    assert twilio_post(client, None, "delivered").status_code == 204
    assert twilio_post(client, "not-a-key", "delivered").status_code == 204


def test_twilio_callback_needs_no_csrf_token(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True
    delivery = make_delivery(db)
    assert twilio_post(client, delivery.key, "sent").status_code == 204


# --- SendGrid ----------------------------------------------------------------------------------

def sendgrid_post(client, signer: EventWebhookSigner, events, timestamp: str = "1700000000", headers=None):
    payload = json.dumps(events).encode() + b"\r\n"
    return client.post(EVENTS_PATH, data=payload,
                       headers=headers if headers is not None else signer.headers(payload, timestamp))


def test_sendgrid_processed_then_delivered(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.UNKNOWN)
    response = sendgrid_post(client, sendgrid_webhook_signer, [
        event("processed", EMAIL, delivery.key, message_id="Msg123"),
        event("delivered", EMAIL, delivery.key, message_id="Msg123")])

    assert response.status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.DELIVERED
    assert row.provider_id == "Msg123"


def test_sendgrid_processed_settles_an_unknown_send(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.UNKNOWN)
    assert sendgrid_post(client, sendgrid_webhook_signer, [event("processed", EMAIL, delivery.key)]).status_code == 204
    assert reload(db, delivery).state is DeliveryState.SENT


def test_sendgrid_duplicate_events_are_applied_once(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    bounce = event("bounce", EMAIL, delivery.key, event_id="evt-bounce-1", reason="550 first")
    again = dict(bounce, reason="550 second")  # same sg_event_id: SendGrid resending the batch

    assert sendgrid_post(client, sendgrid_webhook_signer, [bounce, again]).status_code == 204
    assert sendgrid_post(client, sendgrid_webhook_signer, [again]).status_code == 204

    row = reload(db, delivery)
    assert row.state is DeliveryState.FAILED
    assert "550 first" in row.last_error
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 1


def test_sendgrid_an_event_that_failed_midway_is_applied_when_resent(app, client, db, sendgrid_webhook_signer,
                                                                       monkeypatch):
    """An event is remembered only once applied: if applying it fails, SendGrid's retry is not skipped as seen."""
    from outreach.web import webhooks

    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    bounce = event("bounce", EMAIL, delivery.key, event_id="evt-bounce-midway")

    def database_gone(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(webhooks, "record_status", database_gone)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert sendgrid_post(client, sendgrid_webhook_signer, [bounce]).status_code == 500  # SendGrid will retry
    assert reload(db, delivery).state is DeliveryState.SENT
    monkeypatch.undo()

    assert sendgrid_post(client, sendgrid_webhook_signer, [bounce]).status_code == 204
    assert reload(db, delivery).state is DeliveryState.FAILED
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 1


def test_sendgrid_a_repeated_event_is_not_applied_again(client, db, sendgrid_webhook_signer):
    """Seen events are skipped, not merely harmless: a re-queued delivery is not failed by an old bounce."""
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    bounce = event("bounce", EMAIL, delivery.key, event_id="evt-bounce-2")
    assert sendgrid_post(client, sendgrid_webhook_signer, [bounce]).status_code == 204
    assert reload(db, delivery).state is DeliveryState.FAILED

    row = reload(db, delivery)  # an operator sends it again
    row.state, row.finished_at, row.last_error = DeliveryState.SENDING, None, None
    db.session.commit()
    assert sendgrid_post(client, sendgrid_webhook_signer, [bounce]).status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.SENDING and row.last_error is None


def test_sendgrid_duplicate_opt_out_suppresses_once(client, db, sendgrid_webhook_signer):
    spam = event("spamreport", EMAIL, None, event_id="evt-spam-1")
    for _ in range(2):
        assert sendgrid_post(client, sendgrid_webhook_signer, [spam]).status_code == 204
    assert suppressions(db) == [(Medium.EMAIL, EMAIL, "sendgrid spamreport")]


def test_sendgrid_bounce_fails_without_the_address_in_the_error(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    assert sendgrid_post(client, sendgrid_webhook_signer, [event("bounce", EMAIL, delivery.key)]).status_code == 204

    row = reload(db, delivery)
    assert row.state is DeliveryState.FAILED
    assert "bounce" in row.last_error and "Recipient address rejected" in row.last_error
    assert EMAIL not in row.last_error and "@" not in row.last_error
    assert suppressions(db) == []


def test_sendgrid_dropped_fails(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENDING)
    assert sendgrid_post(client, sendgrid_webhook_signer, [event("dropped", EMAIL, delivery.key)]).status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.FAILED and "Bounced Address" in row.last_error


@pytest.mark.parametrize("kind", ["spamreport", "unsubscribe", "group_unsubscribe"])
def test_sendgrid_opt_outs_write_a_suppression(client, db, sendgrid_webhook_signer, kind):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.DELIVERED)
    assert sendgrid_post(client, sendgrid_webhook_signer, [event(kind, EMAIL, delivery.key)]).status_code == 204
    assert suppressions(db) == [(Medium.EMAIL, EMAIL, f"sendgrid {kind}")]
    assert reload(db, delivery).state is DeliveryState.DELIVERED


def test_sendgrid_late_processed_does_not_undo_delivered(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    sendgrid_post(client, sendgrid_webhook_signer, [event("delivered", EMAIL, delivery.key)])
    sendgrid_post(client, sendgrid_webhook_signer, [event("processed", EMAIL, delivery.key),
                                                    event("deferred", EMAIL, delivery.key),
                                                    event("open", EMAIL, delivery.key)])
    assert reload(db, delivery).state is DeliveryState.DELIVERED


def test_sendgrid_events_without_our_key_are_acknowledged(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    response = sendgrid_post(client, sendgrid_webhook_signer, [
        event("delivered", EMAIL, None), event("delivered", EMAIL, "../../etc"), "not an event"])
    assert response.status_code == 204
    assert reload(db, delivery).state is DeliveryState.SENT


def test_sendgrid_bad_signatures_are_refused_and_change_nothing(client, db, sendgrid_webhook_signer):
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    events = [event("bounce", EMAIL, delivery.key), event("spamreport", EMAIL, delivery.key)]
    payload = json.dumps(events).encode()
    good = sendgrid_webhook_signer.headers(payload, "1700000000")
    stranger = EventWebhookSigner().headers(payload, "1700000000")
    signature, timestamp = "X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"
    attempts = [
        ({}, payload),                                          # unsigned
        ({timestamp: "1700000000"}, payload),                   # no signature
        ({signature: good[signature]}, payload),                # no timestamp
        ({**good, timestamp: "1700000001"}, payload),           # timestamp changed
        (good, payload.replace(b"bounce", b"delivered")),       # body changed
        (stranger, payload),                                    # someone else's key
        ({**good, signature: "not base64!"}, payload),          # garbage
        ({**good, signature: "MEUCIQ=="}, payload),             # truncated DER
        (good, payload + b"\xff"),                              # not UTF-8
    ]
    for headers, body in attempts:
        response = client.post(EVENTS_PATH, data=body, headers=headers)
        assert response.status_code == 403, headers
    assert reload(db, delivery).state is DeliveryState.SENT
    assert suppressions(db) == []
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 0


def test_sendgrid_refused_without_a_configured_key(app, client, db, sendgrid_webhook_signer):
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = None
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.SENT)
    assert sendgrid_post(client, sendgrid_webhook_signer, [event("bounce", EMAIL, delivery.key)]).status_code == 403
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = "not a key"
    assert sendgrid_post(client, sendgrid_webhook_signer, [event("bounce", EMAIL, delivery.key)]).status_code == 403
    assert reload(db, delivery).state is DeliveryState.SENT


def test_sendgrid_signed_but_malformed_body_is_a_400(client, db, sendgrid_webhook_signer):
    for payload in (b"{not json", b'{"event": "delivered"}'):
        response = client.post(EVENTS_PATH, data=payload, headers=sendgrid_webhook_signer.headers(payload))
        assert response.status_code == 400


def test_sendgrid_own_published_signature_verifies(app, client, db):
    """The key, timestamp, body and signature from sendgrid-python's unit tests, produced by SendGrid itself."""
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = (
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8"
        "eNEc6wEA3F+g==")
    payload = json.dumps([{
        "email": "hello@world.com", "event": "dropped", "reason": "Bounced Address",
        "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>", "timestamp": 1600112492,
    }], sort_keys=True, separators=(",", ":")) + "\r\n"
    headers = {"X-Twilio-Email-Event-Webhook-Signature":
               "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=",
               "X-Twilio-Email-Event-Webhook-Timestamp": "1600112502"}
    assert client.post(EVENTS_PATH, data=payload.encode(), headers=headers).status_code == 204
    assert client.post(EVENTS_PATH, data=payload.encode() + b" ", headers=headers).status_code == 403


def test_sendgrid_events_need_no_csrf_token(app, client, db, sendgrid_webhook_signer):
    app.config["WTF_CSRF_ENABLED"] = True
    assert sendgrid_post(client, sendgrid_webhook_signer, []).status_code == 204


def test_send_through_the_fake_then_settle_by_webhook(client, db, fake_sendgrid):
    """End to end: an unclear send (500) is settled by the events SendGrid reports for it."""
    delivery = make_delivery(db, Medium.EMAIL, state=DeliveryState.UNKNOWN)
    channel = SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=2.0)
    outgoing = OutgoingMessage(delivery_id=delivery.id, delivery_key=delivery.key, to=EMAIL, body="Thank you",
                               subject="Receipt", from_email="outreach@example.org")
    assert channel.send(outgoing).outcome is Outcome.ACCEPTED
    events = fake_sendgrid.events(0, "processed", "delivered")

    assert sendgrid_post(client, fake_sendgrid.signer, events).status_code == 204
    row = reload(db, delivery)
    assert row.state is DeliveryState.DELIVERED
    assert row.provider_id == fake_sendgrid.message_ids[0]


def test_webhook_logs_hold_no_numbers_or_addresses(client, db, sendgrid_webhook_signer, caplog):
    caplog.set_level(logging.DEBUG)
    sms, mail = make_delivery(db), make_delivery(db, Medium.EMAIL)
    twilio_post(client, sms.key, "failed", ErrorCode="21610")
    twilio_post(client, sms.key, "failed", signature="bad")
    sendgrid_post(client, sendgrid_webhook_signer, [event("bounce", EMAIL, mail.key),
                                                    event("unsubscribe", EMAIL, mail.key)])
    sendgrid_post(client, sendgrid_webhook_signer, [], headers={})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "refused" in text
    for secret in (PHONE, PHONE[2:], EMAIL, "Call your members"):
        assert secret not in text
