"""The Twilio channel: the real SDK against the fake Twilio, one classification per provider answer."""

from __future__ import annotations

import logging
import socket
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from outreach.delivery.channels.base import Found, OutgoingMessage, Outcome
from outreach.delivery.channels.http import retry_after_seconds
from outreach.delivery.channels.twilio_sms import TwilioSMSChannel, twilio_channel_from_config

TO = "+13125550123"
TO_DIGITS = "3125550123"
BODY = "Tell Rep. Example to end 287(g) — reply STOP to stop"
KEY = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://outreach.example.org"


def message(to: str = TO, body: str = BODY, key: str = KEY, created_at: datetime | None = None,
            delivery_id: int = 7) -> OutgoingMessage:
    return OutgoingMessage(delivery_id=delivery_id, delivery_key=key, to=to, body=body,
                           created_at=created_at or datetime.now(timezone.utc) - timedelta(seconds=5))


@pytest.fixture
def channel(fake_twilio):
    return TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                            api_base=fake_twilio.base_url, status_callback_base=PUBLIC, timeout=2.0)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- sending ---------------------------------------------------------------------------------------

def test_accepted_with_sid_and_status_callback(channel, fake_twilio):
    result = channel.send(message())

    assert result.outcome is Outcome.ACCEPTED
    [sent] = fake_twilio.messages
    assert result.provider_id == sent["sid"]
    assert sent["sid"].startswith("SM") and len(sent["sid"]) == 34
    assert (sent["to"], sent["body"], sent["from"]) == (TO, BODY, fake_twilio.from_number)
    callback = urlsplit(sent["status_callback"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"{PUBLIC}/webhooks/twilio/status"
    assert parse_qs(callback.query) == {"d": [KEY]}
    assert sent["messaging_service_sid"] is None


def test_no_status_callback_without_public_base(fake_twilio):
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url)
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    assert fake_twilio.messages[0]["status_callback"] is None


def test_messaging_service_sent_instead_of_from(fake_twilio):
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               messaging_service_sid=fake_twilio.messaging_service_sid, api_base=fake_twilio.base_url)
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    [sent] = fake_twilio.messages
    assert sent["messaging_service_sid"] == fake_twilio.messaging_service_sid
    assert sent["from"] is None


def test_429_is_retry(channel, fake_twilio):
    fake_twilio.script([429])
    result = channel.send(message())
    assert result.outcome is Outcome.RETRY
    assert result.retry_after is None
    assert result.error == "twilio 20429: too many requests"
    assert fake_twilio.messages == []


def test_429_retry_after_header_is_honoured(channel, fake_twilio):
    fake_twilio.script([429], retry_after=7)
    result = channel.send(message())
    assert (result.outcome, result.retry_after) == (Outcome.RETRY, 7.0)


def test_retry_after_forms():
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("garbage") is None
    later = (datetime.now(timezone.utc) + timedelta(seconds=60)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 50 < retry_after_seconds(later) <= 60


@pytest.mark.parametrize("accepted", [False, True])
def test_500_is_unknown(channel, fake_twilio, accepted):
    fake_twilio.script([500], accepted_on_500=accepted)
    result = channel.send(message())
    assert result.outcome is Outcome.UNKNOWN
    assert result.provider_id is None
    assert result.error == "twilio HTTP 500"
    assert len(fake_twilio.messages) == int(accepted)


def test_503_is_unknown(channel, fake_twilio):
    fake_twilio.script([503])
    assert channel.send(message()).outcome is Outcome.UNKNOWN


def test_hang_past_timeout_is_unknown(fake_twilio):
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url, timeout=0.5)
    fake_twilio.script(["hang"], hang_seconds=2.0)
    started = time.monotonic()
    result = channel.send(message())
    assert time.monotonic() - started < 1.5
    assert result.outcome is Outcome.UNKNOWN
    assert result.error == "twilio: timed out waiting for an answer"


def test_opt_out_21610_is_failed_and_opt_out(channel, fake_twilio):
    fake_twilio.script([21610])
    result = channel.send(message())
    assert (result.outcome, result.opt_out) == (Outcome.FAILED, True)
    assert result.error == "twilio 21610: unsubscribed recipient"


@pytest.mark.parametrize("code", [21211, 21614, 21408, 21612, 21606])
def test_permanent_errors_are_failed(channel, fake_twilio, code):
    fake_twilio.script([code])
    result = channel.send(message())
    assert (result.outcome, result.opt_out) == (Outcome.FAILED, False)
    assert result.error.startswith(f"twilio {code}")


def test_invalid_number_rejected_by_twilio_is_failed(channel, fake_twilio):
    result = channel.send(message(to="+1312"))  # the fake validates E.164 like Twilio: 21211
    assert (result.outcome, result.error) == (Outcome.FAILED, "twilio 21211: invalid To number")


def test_wrong_credentials_retry(fake_twilio):
    channel = TwilioSMSChannel(fake_twilio.account_sid, "wrong-token", from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url)
    result = channel.send(message())
    assert (result.outcome, result.error) == (Outcome.RETRY, "twilio 20003: authentication failed")
    assert fake_twilio.messages == []


def test_connection_refused_is_retry():
    channel = TwilioSMSChannel("AC" + "1" * 32, "token", from_number="+15005550006",
                               api_base=f"http://127.0.0.1:{closed_port()}", timeout=1.0)
    result = channel.send(message())
    assert (result.outcome, result.error) == (Outcome.RETRY, "twilio: could not connect")


def test_error_texts_hold_no_phone_number_or_body(channel, fake_twilio):
    # Twilio's own 21211/21614/21408/21612 messages quote the To number; the SDK's exception text holds it too.
    fake_twilio.script([21211, 21614, 21408, 21612, 21610, 429, 500, 404, "hang"], hang_seconds=0.1)
    errors = [channel.send(message()).error for _ in range(9)]
    assert all(errors)
    for error in errors:
        assert TO_DIGITS not in error and "287(g)" not in error
    [request] = [r for r in fake_twilio.requests if r["outcome"] == 21211]
    assert request["to"] == TO  # the fake did see the number: the channel dropped it


def test_debug_logs_hold_no_phone_number(channel, fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    # Even an operator who turns the SDK's logger up gets no request lines (they carry the To number).
    caplog.set_level(logging.DEBUG, logger="twilio.http_client")
    fake_twilio.script([201, 21211, 500])
    for _ in range(3):
        channel.send(message())
    channel.reconcile(message())
    channel.reconcile(message(body="not sent"))
    assert any("Messages.json" in record.getMessage() for record in caplog.records)  # the lines were captured
    assert TO_DIGITS not in caplog.text
    assert "287(g)" not in caplog.text


# --- reconciling -----------------------------------------------------------------------------------

def test_reconcile_finds_an_accepted_message(channel, fake_twilio):
    fake_twilio.script(["500-accepted"])
    assert channel.send(message()).outcome is Outcome.UNKNOWN
    answer = channel.reconcile(message())
    assert answer.found is Found.YES
    assert answer.provider_id == fake_twilio.messages[0]["sid"]
    lists = [r for r in fake_twilio.requests if r["kind"] == "list"]
    assert lists and lists[0]["to"] == TO


def test_reconcile_finds_a_message_accepted_before_a_timeout(fake_twilio):
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url, timeout=0.5)
    fake_twilio.script(["hang-accepted"], hang_seconds=1.0)
    assert channel.send(message()).outcome is Outcome.UNKNOWN
    assert channel.reconcile(message()).found is Found.YES


def test_reconcile_no_when_absent(channel, fake_twilio):
    channel.send(message(to="+13125550199"))           # another recipient
    channel.send(message(body="a different text"))     # another text to the same one
    assert channel.reconcile(message()).found is Found.NO


def test_reconcile_ignores_messages_before_the_delivery(channel, fake_twilio):
    channel.send(message())
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert channel.reconcile(message(created_at=later)).found is Found.NO


def test_reconcile_finds_a_message_twilio_has_not_sent_yet(fake_twilio):
    fake_twilio.send_immediately = False  # queued: no date_sent, so a DateSent filter misses it
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url)
    sid = channel.send(message()).provider_id
    assert channel.reconcile(message()).provider_id == sid


def test_reconcile_failed_message_counts_as_absent_but_undelivered_as_found(channel, fake_twilio):
    sid = channel.send(message()).provider_id
    fake_twilio.set_status(sid, "failed")
    assert channel.reconcile(message()).found is Found.NO
    fake_twilio.set_status(sid, "undelivered")
    assert channel.reconcile(message()).found is Found.YES


def test_reconcile_tolerates_smart_encoding_and_trial_prefix(channel, fake_twilio):
    channel.send(message(body="Sent from your Twilio trial account - Tell Rep. Example to end 287(g) - reply STOP"))
    assert channel.reconcile(message(body="Tell Rep. Example to end 287(g) — reply STOP")).found is Found.YES


@pytest.mark.parametrize("answer", [500, 429, "hang"])
def test_reconcile_cannot_tell_when_the_list_fails(fake_twilio, answer):
    channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token, from_number=fake_twilio.from_number,
                               api_base=fake_twilio.base_url, timeout=0.5)
    channel.send(message())
    fake_twilio.script_list([answer], hang_seconds=1.0)
    assert channel.reconcile(message()).found is Found.CANNOT_TELL


def test_reconcile_cannot_tell_when_the_window_holds_too_many(channel, fake_twilio):
    for number in range(50):
        channel.send(message(body=f"other text {number}"))
    assert channel.reconcile(message()).found is Found.CANNOT_TELL


def test_reconcile_cannot_tell_without_a_creation_time(channel, fake_twilio):
    channel.send(message())
    no_time = OutgoingMessage(delivery_id=1, delivery_key=KEY, to=TO, body=BODY)
    assert channel.reconcile(no_time).found is Found.CANNOT_TELL
    assert not any(r["kind"] == "list" for r in fake_twilio.requests)


# --- construction and configuration ----------------------------------------------------------------

def test_building_does_no_io_and_quiets_the_sdk_logger():
    logging.getLogger("twilio.http_client").setLevel(logging.DEBUG)
    channel = TwilioSMSChannel("AC" + "1" * 32, "token", from_number="+15005550006",
                               api_base=f"http://127.0.0.1:{closed_port()}")
    assert channel.name == "twilio"
    assert channel.http_client.timeout == 10.0
    assert logging.getLogger("twilio.http_client").level == logging.WARNING


def test_from_config(fake_twilio):
    config = {**fake_twilio.env(), "PUBLIC_BASE_URL": PUBLIC + "/", "TWILIO_TIMEOUT": "3"}
    channel = twilio_channel_from_config(config)
    assert channel.http_client.timeout == 3.0
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    assert fake_twilio.messages[0]["status_callback"] == f"{PUBLIC}/webhooks/twilio/status?d={KEY}"
    service = twilio_channel_from_config({**fake_twilio.env(messaging_service=True), "TWILIO_FROM_NUMBER": None})
    assert service.messaging_service_sid == fake_twilio.messaging_service_sid and service.from_number is None
    assert twilio_channel_from_config({**config, "TWILIO_AUTH_TOKEN": ""}) is None
    assert twilio_channel_from_config({**config, "TWILIO_FROM_NUMBER": None}) is None
    assert twilio_channel_from_config({}) is None


def test_fake_rate_window(channel, fake_twilio):
    for _ in range(3):
        channel.send(message())
    assert fake_twilio.count_by_to() == {TO: 3}
    assert fake_twilio.max_in_window(60) == 3
    assert len(fake_twilio.create_times()) == 3


def test_coexists_with_the_census_fake(fake_twilio, fake_census, channel):
    assert fake_twilio.base_url != fake_census.base_url.rsplit("/", 1)[0]
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    answer = requests.get(fake_census.base_url + "/geographies/onelineaddress", timeout=2,
                          params={"address": "x", "benchmark": "b", "format": "json"})
    assert answer.json()["result"]["addressMatches"] == []
