"""The SendGrid channel: the real SDK against the fake Mail Send API on 127.0.0.1, every outcome classified."""

from __future__ import annotations

import socket

import pytest

from outreach.delivery.channels.base import Found, OutgoingMessage, Outcome
from outreach.delivery.channels.sendgrid_email import SendGridEmailChannel, sendgrid_channel_from_config

TO = "ana.garcia@example.org"
REPLY_TO = "ana.reply@example.net"
KEY = "0123456789abcdef0123456789abcdef"


def message(**changes) -> OutgoingMessage:
    values = dict(delivery_id=1, delivery_key=KEY, to=TO, body="Please end 287(g).\nThank you.",
                  subject="End 287(g)", to_name="Ana Garcia", from_name="Outreach", from_email="outreach@example.org",
                  reply_to=REPLY_TO)
    values.update(changes)
    return OutgoingMessage(**values)


@pytest.fixture
def channel(fake_sendgrid):
    return SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=2.0)


@pytest.fixture
def impatient_channel(fake_sendgrid):
    """A channel that gives up before the fake's hang (MAX_HANG_SECONDS) ends."""
    return SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_accepted_mail_carries_reply_to_custom_args_and_the_message_id(channel, fake_sendgrid):
    result = channel.send(message())

    assert result.outcome is Outcome.ACCEPTED
    assert result.provider_id == fake_sendgrid.message_ids[0]
    [mail] = fake_sendgrid.mails
    assert mail["personalizations"] == [{"to": [{"email": TO, "name": "Ana Garcia"}]}]
    assert mail["from"] == {"email": "outreach@example.org", "name": "Outreach"}
    assert mail["reply_to"] == {"email": REPLY_TO}
    assert mail["subject"] == "End 287(g)"
    assert mail["content"] == [{"type": "text/plain", "value": "Please end 287(g).\nThank you."}]
    assert mail["custom_args"] == {"delivery_key": KEY}
    headers = fake_sendgrid.requests[0]["headers"]
    assert headers["Authorization"] == f"Bearer {fake_sendgrid.api_key}"


def test_no_reply_to_when_none_is_given(channel, fake_sendgrid):
    assert channel.send(message(reply_to=None)).outcome is Outcome.ACCEPTED
    assert "reply_to" not in fake_sendgrid.mails[0]


def test_line_breaks_in_names_and_subject_never_reach_a_header(channel, fake_sendgrid):
    result = channel.send(message(
        to_name="Ana\r\nBcc: victim@example.com", from_name="Org\nX-Injected: 1",
        subject="Hello\r\nBcc: victim@example.com\u2028there", to=TO + "\r\n"))

    assert result.outcome is Outcome.ACCEPTED  # the fake answers 400 to any control character in a header field
    [mail] = fake_sendgrid.mails
    to = mail["personalizations"][0]["to"][0]
    fields = [to["name"], to["email"], mail["from"]["name"], mail["subject"]]
    assert not any(ch in field for field in fields for ch in "\r\n\u2028")
    assert to["email"] == TO
    assert mail["subject"] == "Hello Bcc: victim@example.com there"
    assert mail["from"]["name"] == "Org X-Injected: 1"


def test_commas_in_a_recipient_name_do_not_split_the_address(channel, fake_sendgrid):
    # SendGrid accepts then drops ("Invalid") a mail whose recipient name holds a comma or a semicolon.
    assert channel.send(message(to_name="Durbin, Richard; Office")).outcome is Outcome.ACCEPTED
    assert fake_sendgrid.mails[0]["personalizations"][0]["to"][0]["name"] == "Durbin Richard Office"


def test_too_many_requests_is_retried_after_the_reset(channel, fake_sendgrid):
    fake_sendgrid.script([429])
    result = channel.send(message())

    assert result.outcome is Outcome.RETRY
    assert result.retry_after is not None and 0 <= result.retry_after <= 3
    assert fake_sendgrid.mails == []
    assert channel.send(message()).outcome is Outcome.ACCEPTED  # the script is used up: 202 again


def test_connection_refused_is_retried(fake_sendgrid):
    channel = SendGridEmailChannel(fake_sendgrid.api_key, host=f"http://127.0.0.1:{free_port()}", timeout=0.5)
    result = channel.send(message())
    assert result.outcome is Outcome.RETRY
    assert "refused" in result.error


def test_a_connect_timeout_is_retried_because_no_request_went_out(channel, fake_sendgrid, monkeypatch):
    port = fake_sendgrid.server.port
    connect = socket.socket.connect  # already the network guard's

    def slow(sock, address):
        if isinstance(address, tuple) and address[1] == port:
            raise socket.timeout("timed out")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", slow)
    result = channel.send(message())
    assert result.outcome is Outcome.RETRY
    assert fake_sendgrid.requests == []


def test_no_answer_in_time_is_unknown_even_if_sendgrid_then_accepts(impatient_channel, fake_sendgrid):
    fake_sendgrid.script(["hang"])
    result = impatient_channel.send(message())

    assert result.outcome is Outcome.UNKNOWN
    assert "0.5 s" in result.error
    fake_sendgrid.release()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unknown(channel, fake_sendgrid, status):
    fake_sendgrid.script([status])
    result = channel.send(message())
    assert result.outcome is Outcome.UNKNOWN
    assert result.error.startswith(f"SendGrid {status}")


@pytest.mark.parametrize("status", [400, 403, 413])
def test_other_client_errors_fail_without_any_address_in_the_error(channel, fake_sendgrid, status):
    fake_sendgrid.script([status])
    result = channel.send(message())

    assert result.outcome is Outcome.FAILED
    assert result.error.startswith(f"SendGrid {status}")
    for address in (TO, REPLY_TO, "outreach@example.org", "@"):
        assert address not in result.error


def test_the_400_error_names_the_field_but_not_the_address(channel, fake_sendgrid):
    fake_sendgrid.script([400])
    result = channel.send(message())
    # The fake's 400 echoes the recipient's address, as some of SendGrid's messages do.
    assert "personalizations.0.to.0.email" in result.error
    assert "[address]" in result.error
    assert TO not in result.error


def test_a_wrong_key_fails_and_says_which_setting(fake_sendgrid):
    channel = SendGridEmailChannel("SG.wrong", host=fake_sendgrid.host, timeout=2.0)
    result = channel.send(message())
    assert result.outcome is Outcome.FAILED
    assert "401" in result.error and "SENDGRID_API_KEY" in result.error


def test_every_scripted_outcome_in_a_row(impatient_channel, fake_sendgrid):
    fake_sendgrid.script([202, 429, 500, "hang", 400])
    outcomes = [impatient_channel.send(message(delivery_key=f"{i:032x}")).outcome for i in range(5)]
    fake_sendgrid.release()
    assert outcomes == [Outcome.ACCEPTED, Outcome.RETRY, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.FAILED]


def test_reconcile_cannot_tell(channel, fake_sendgrid):
    assert channel.reconcile(message()).found is Found.CANNOT_TELL
    assert fake_sendgrid.requests == []  # nothing to ask: the Event Webhook settles unknown sends


def test_factory_needs_a_key_and_sets_host_and_timeout():
    assert sendgrid_channel_from_config({}) is None
    assert sendgrid_channel_from_config({"SENDGRID_API_KEY": ""}) is None
    channel = sendgrid_channel_from_config({"SENDGRID_API_KEY": "SG.x", "SENDGRID_API_HOST": "http://127.0.0.1:9/",
                                            "SENDGRID_TIMEOUT": "2.5"})
    assert channel.name == "sendgrid"
    assert channel.host == "http://127.0.0.1:9"
    assert channel.client.client.timeout == 2.5
    default = sendgrid_channel_from_config({"SENDGRID_API_KEY": "SG.x"})
    assert default.host == "https://api.sendgrid.com" and default.client.client.timeout == 10.0


def test_the_channel_is_chosen_when_a_key_is_configured():
    from outreach.delivery.channels import channels_from_config
    from outreach.models import Medium

    channels = channels_from_config({"OUTREACH_ENV": "development", "SENDGRID_API_KEY": "SG.x"})
    assert channels[Medium.EMAIL].name == "sendgrid"
