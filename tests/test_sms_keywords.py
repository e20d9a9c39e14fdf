"""Inbound texts: signed exactly as Twilio signs them, answered through the outbox, counted at the fake Twilio."""

from __future__ import annotations

import logging
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from outreach.delivery.outbox import suppress
from outreach.delivery.worker import run_once
from outreach.models import (
    ConsentRecord,
    Delivery,
    DeliveryKind,
    InboundMessage,
    Medium,
    ProviderEvent,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from outreach.sms.keywords import Keyword, classify, normalize
from outreach.sms.subscriptions import (
    KEYWORD_DISCLOSURE_VERSION,
    confirmation_texts,
    help_text,
    opt_out_confirmation_text,
)

PUBLIC_BASE_URL = "https://outreach.example.org"
SMS_PATH = "/webhooks/twilio/sms"
PHONE = "+13125550123"
OTHER_PHONE = "+17735550188"
PROGRAM_NUMBER = "+15005550006"
ORG_NAME = "Outreach (development)"
HELP_CONTACT = "help@example.org"

OPT_OUT_PHRASINGS = [
    "STOP", "stop", "  Stop.  ", "STOPALL", "Unsubscribe", "CANCEL", "end", "Quit!", "REVOKE", "OptOut",
    "opt out", "Opt-Out", "OPT OUT!", "stop texting me", "Stop texting me!!", "NO MÁS", "no más", "No mas",
    "¡No más!", "Alto", "ALTO.", "parar", "PARAR", "cancelar", "Cancelar!",
]
JOIN_PHRASINGS = [("JOIN", "en"), ("join", "en"), (" Join! ", "en"), ("ÚNETE", "es"), ("únete", "es"),
                  ("UNETE", "es"), ("Únete.", "es"), ("UNIRME", "es"), ("unirme", "es")]
OPT_IN_WORDS = ["START", "start", "Yes", "YES!", "UNSTOP", "unstop"]
HELP_WORDS = [("HELP", "en"), ("help", "en"), ("Info", "en"), ("INFO?", "en"), ("AYUDA", "es"), ("ayuda", "es")]


@pytest.fixture
def app_config(fake_twilio):
    return {**fake_twilio.env(), "TWILIO_TIMEOUT": 2, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "ORG_NAME": ORG_NAME,
            "ORG_HELP_CONTACT": HELP_CONTACT}


# --- helpers (tests/test_subscriptions.py uses them too) ---------------------------------------

def sms(client, body: str, phone: str = PHONE, sid: str | None = None, token: str | None = None,
        signature: str | None = None, base_url: str = PUBLIC_BASE_URL, **extra):
    """POST an inbound text signed as Twilio signs it: HMAC-SHA1 over the configured URL and sorted fields."""
    params = {"ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "MessageSid": sid or "SM" + uuid.uuid4().hex,
              "AccountSid": "AC" + "0" * 31 + "1", "From": phone, "To": PROGRAM_NUMBER, "Body": body,
              "NumSegments": "1", "ApiVersion": "2010-04-01", **extra}
    params["SmsMessageSid"] = params["MessageSid"]
    if signature is None:
        signature = RequestValidator(token or client.application.config["TWILIO_AUTH_TOKEN"]).compute_signature(
            base_url + SMS_PATH, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    # The app sees plain http on another host (behind a proxy): the signature must still hold.
    return client.post(SMS_PATH, data=params, headers=headers, base_url="http://10.0.0.5:8000")


def ok(response) -> None:
    """Assert the answer Twilio gets: 200 and an empty TwiML document (replies go through the outbox)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response" and len(root) == 0 and not (root.text or "").strip()


def drain(app) -> None:
    """Run the worker until nothing is due."""
    for _ in range(20):
        if not run_once(app):
            return
    raise AssertionError("the outbox never emptied")


class Phone:
    """What one number received at the fake Twilio, read after the worker ran."""

    def __init__(self, app, fake, phone: str = PHONE):
        self.app, self.fake, self.phone, self.seen = app, fake, phone, 0

    def new_texts(self) -> list[str]:
        drain(self.app)
        bodies = [m["body"] for m in self.fake.messages if m["to"] == self.phone]
        fresh, self.seen = bodies[self.seen:], len(bodies)
        return fresh


@pytest.fixture
def phone(app, fake_twilio):
    return Phone(app, fake_twilio)


def subscriber(db, number: str = PHONE) -> Subscriber | None:
    db.session.expire_all()
    return db.session.scalar(select(Subscriber).where(Subscriber.phone == number))


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def suppressed(db, number: str = PHONE) -> bool:
    return count(db, Suppression, Suppression.medium == Medium.SMS, Suppression.address == number) == 1


def kinds(db) -> list[DeliveryKind]:
    db.session.expire_all()
    return [d.kind for d in db.session.scalars(select(Delivery).order_by(Delivery.id))]


def join_by_text(client, phone_, word: str = "JOIN") -> list[str]:
    ok(sms(client, word, phone=phone_.phone))
    return phone_.new_texts()


# --- normalizing ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ("  ¡No  MÁS! ", "no mas"), ("Opt-out.", "opt out"), ("ÚNETE", "unete"), ("STOP 🙏", "stop"),
    ("60202-1234", "60202 1234"), ("", ""),
])
def test_normalize(body, expected):
    assert normalize(body) == expected


@pytest.mark.parametrize("body", ["stop it now", "please stop", "I want to join", "help me", "602021", "6020",
                                  "yes please", "stop, I said", "Hello!"])
def test_texts_with_more_than_a_keyword_are_not_keywords(body):
    assert classify(body).keyword is Keyword.NONE


# --- joining by text -------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "locale"), JOIN_PHRASINGS)
def test_join_keyword_subscribes_with_evidence_and_one_confirmation(client, db, app, synced, phone, word, locale):
    received = join_by_text(client, phone, word)

    row = subscriber(db)
    assert row.status is SubscriberStatus.ACTIVE and row.locale == locale and row.zip_code is None
    with app.test_request_context():
        expected = confirmation_texts(locale, zip_known=False)
    assert received == expected
    assert 1 <= len(received) <= 2 and kinds(db) == [DeliveryKind.SMS_CONFIRMATION] * len(expected)
    if locale == "en":
        assert len(received) == 1  # the English confirmation, ZIP request included, fits one segment
    text = " ".join(received)
    assert ORG_NAME in text and "STOP" in text and ("HELP" in text or "AYUDA" in text)
    assert ("ZIP" in text) if locale == "en" else ("codigo postal" in text)

    consent = row.consent
    assert consent.source == "keyword" and consent.phone == PHONE
    assert consent.source_detail == word
    assert consent.disclosure_text == text and consent.disclosure_version == KEYWORD_DISCLOSURE_VERSION
    assert consent.recorded_at is not None and consent.ip_address is None


def test_repeated_join_gets_a_short_reply_not_a_second_confirmation(client, db, synced, phone):
    assert len(join_by_text(client, phone)) == 1
    again = join_by_text(client, phone, "únete")
    assert len(again) == 1 and "already" not in again[0]  # the word's language: Spanish
    assert "Ya " in again[0] or "ya " in again[0]
    assert kinds(db) == [DeliveryKind.SMS_CONFIRMATION, DeliveryKind.SMS_REPLY]
    assert count(db, ConsentRecord) == 1 and count(db, Subscriber) == 1


# --- opting out ------------------------------------------------------------------------------------

@pytest.mark.parametrize("word", OPT_OUT_PHRASINGS)
def test_opt_out_word_stops_everything_with_exactly_one_confirmation(client, db, app, synced, phone, word):
    join_by_text(client, phone)

    ok(sms(client, word))
    with app.test_request_context():
        assert phone.new_texts() == [opt_out_confirmation_text("en")]
    row = subscriber(db)
    assert row.status is SubscriberStatus.OPTED_OUT and row.opted_out_at is not None
    assert suppressed(db)

    # None after it: not HELP, not a ZIP code, not another STOP, not a random text.
    for body in ("HELP", "AYUDA", "60202", word, "STOP", "hello, who is this?"):
        ok(sms(client, body))
    assert phone.new_texts() == []
    # Nothing even queued (the worker's suppression check is a second line, not the only one).
    assert kinds(db) == [DeliveryKind.SMS_CONFIRMATION, DeliveryKind.SMS_OPT_OUT_CONFIRMATION]
    assert subscriber(db).zip_code is None
    # The random text and the ZIP are kept for the organizers (an opted-out person may still write to us).
    assert sorted(m.body for m in db.session.scalars(select(InboundMessage))) == ["60202", "hello, who is this?"]
    # The consent evidence outlives the subscription.
    assert count(db, ConsentRecord, ConsentRecord.phone == PHONE) == 1


@pytest.mark.parametrize("word", ["STOP", "no más"])
def test_spanish_subscriber_gets_the_opt_out_confirmation_in_spanish(client, db, app, synced, phone, word):
    join_by_text(client, phone, "ÚNETE")
    ok(sms(client, word))
    received = phone.new_texts()
    with app.test_request_context():
        assert received == [opt_out_confirmation_text("es")]
    assert "suscripcion" in received[0]


def test_opt_out_of_a_number_we_do_not_know_suppresses_it_and_sends_nothing(client, db, synced, phone):
    ok(sms(client, "STOP"))
    assert suppressed(db) and phone.new_texts() == [] and count(db, Subscriber) == 0
    ok(sms(client, "HELP"))
    assert phone.new_texts() == []



def test_a_pending_text_is_not_sent_after_stop(client, db, synced, phone):
    ok(sms(client, "JOIN"))            # the confirmation waits in the outbox…
    ok(sms(client, "STOP"))            # …and the person stops before the worker runs
    received = phone.new_texts()
    assert len(received) == 1 and "unsubscribed" in received[0]


def test_a_number_suppressed_by_twilio_21610_gets_nothing_even_if_still_marked_active(client, db, synced, phone):
    join_by_text(client, phone)
    suppress(Medium.SMS, PHONE, "opted out (21610)")
    for body in ("HELP", "60202", "START then?"):
        ok(sms(client, body))
    assert phone.new_texts() == []
    # Not even queued: the outbox would skip them, but the keyword handling already treats the number as out.
    assert kinds(db) == [DeliveryKind.SMS_CONFIRMATION]
    assert subscriber(db).zip_code is None
    assert sorted(m.body for m in db.session.scalars(select(InboundMessage))) == ["60202", "START then?"]


# --- opting back in --------------------------------------------------------------------------------

@pytest.mark.parametrize("word", OPT_IN_WORDS)
def test_start_yes_unstop_opt_back_in_with_one_confirmation(client, db, synced, phone, word):
    join_by_text(client, phone)
    ok(sms(client, "STOP"))
    assert len(phone.new_texts()) == 1

    ok(sms(client, word))
    received = phone.new_texts()
    assert len(received) == 1 and "joined" in received[0]
    row = subscriber(db)
    assert row.status is SubscriberStatus.ACTIVE and row.opted_out_at is None
    assert not suppressed(db)
    consents = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert len(consents) == 2 and row.consent_id == consents[1].id and consents[1].source_detail == word

    ok(sms(client, "STOP"))
    assert len(phone.new_texts()) == 1  # one per opt-out, again


def test_join_after_stop_rejoins_in_the_words_language(client, db, synced, phone):
    join_by_text(client, phone)
    ok(sms(client, "stop"))
    phone.new_texts()
    received = join_by_text(client, phone, "Unirme")
    assert subscriber(db).locale == "es" and subscriber(db).status is SubscriberStatus.ACTIVE
    assert 1 <= len(received) <= 2 and all("Congreso" in t for t in received)


def test_start_from_an_active_subscriber_says_already_subscribed_and_yes_goes_to_the_inbox(client, db, synced,
                                                                                            phone):
    join_by_text(client, phone)
    ok(sms(client, "START"))
    assert [t for t in phone.new_texts() if "already" in t] != []
    ok(sms(client, "YES"))
    assert phone.new_texts() == []
    assert [m.body for m in db.session.scalars(select(InboundMessage))] == ["YES"]


def test_start_from_a_number_we_never_subscribed_only_lifts_its_suppression(client, db, synced, phone):
    suppress(Medium.SMS, PHONE, "opted out (21610)")
    ok(sms(client, "START"))
    assert not suppressed(db) and count(db, Subscriber) == 0 and phone.new_texts() == []


# --- help --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "locale"), HELP_WORDS)
def test_help_words_answer_with_the_help_contact(client, db, app, synced, phone, word, locale):
    join_by_text(client, phone)
    ok(sms(client, word))
    received = phone.new_texts()
    with app.test_request_context():
        assert received == [help_text(locale)]
    assert HELP_CONTACT in received[0] and ORG_NAME in received[0] and "STOP" in received[0]
    assert kinds(db)[-1] is DeliveryKind.SMS_REPLY


def test_help_from_a_number_we_do_not_know_is_answered_and_kept(client, db, synced, phone, app):
    ok(sms(client, "HELP"))
    received = phone.new_texts()
    with app.test_request_context():
        assert received == [help_text("en")]
    assert [(m.body, m.subscriber_id) for m in db.session.scalars(select(InboundMessage))] == [("HELP", None)]
    assert count(db, Subscriber) == 0


# --- anything else -----------------------------------------------------------------------------------

def test_other_texts_land_in_the_inbox_without_a_reply(client, db, synced, phone):
    join_by_text(client, phone)
    ok(sms(client, "Can I bring my cousin to the town hall?", sid="SM" + "c" * 32))
    assert phone.new_texts() == []
    message = db.session.scalar(select(InboundMessage))
    assert message.body == "Can I bring my cousin to the town hall?"
    assert message.subscriber_id == subscriber(db).id and message.provider_id == "SM" + "c" * 32
    assert message.read_at is None and message.phone == PHONE


# --- ZIP codes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "place"), [
    ("60202", ("60202", "IL", 9)),
    (" 60202-1234 ", ("60202", "IL", 9)),
    ("20001", ("20001", "DC", 0)),
    ("60640", ("60640", "IL", None)),    # split between IL-5 and IL-9: the state stays, the district is unknown
    ("82063", ("82063", None, None)),    # in Colorado and Wyoming: neither is known
])
def test_a_zip_reply_sets_zip_state_and_district(client, db, synced, phone, body, place):
    join_by_text(client, phone)
    ok(sms(client, body))
    row = subscriber(db)
    assert (row.zip_code, row.state, row.district) == place
    received = phone.new_texts()
    assert len(received) == 1 and place[0] in received[0] and "saved" in received[0]


def test_an_unknown_zip_changes_nothing_and_says_so(client, db, synced, phone):
    join_by_text(client, phone)
    ok(sms(client, "60202"))
    phone.new_texts()
    ok(sms(client, "99999"))
    assert (subscriber(db).zip_code, subscriber(db).district) == ("60202", 9)
    received = phone.new_texts()
    assert len(received) == 1 and "could not find" in received[0]


def test_a_zip_from_a_number_we_do_not_know_goes_to_the_inbox(client, db, synced, phone):
    ok(sms(client, "60202"))
    assert phone.new_texts() == [] and count(db, InboundMessage) == 1


# --- Twilio's own opt-out handling ---------------------------------------------------------------------

def test_opt_out_type_stop_is_recorded_and_nothing_is_sent(client, db, synced, phone):
    join_by_text(client, phone)
    ok(sms(client, "STOP", OptOutType="STOP"))
    assert phone.new_texts() == []
    assert subscriber(db).status is SubscriberStatus.OPTED_OUT and suppressed(db)
    assert "Twilio" in db.session.scalar(select(Suppression.reason))

    ok(sms(client, "START", OptOutType="START"))
    assert phone.new_texts() == []
    assert subscriber(db).status is SubscriberStatus.ACTIVE and not suppressed(db)
    assert count(db, ConsentRecord) == 2

    ok(sms(client, "HELP", OptOutType="HELP"))
    assert phone.new_texts() == []
    assert DeliveryKind.SMS_REPLY not in kinds(db) and DeliveryKind.SMS_OPT_OUT_CONFIRMATION not in kinds(db)


# --- retried webhooks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["JOIN", "STOP", "HELP", "60202", "see you saturday"])
def test_a_retried_webhook_is_applied_once(client, db, synced, phone, body):
    if body != "JOIN":
        join_by_text(client, phone)
    sid = "SM" + "d" * 32
    for _ in range(3):
        ok(sms(client, body, sid=sid))
    assert len(phone.new_texts()) == (0 if body == "see you saturday" else 1)
    assert count(db, ProviderEvent, ProviderEvent.event_id == sid) == 1
    assert count(db, InboundMessage) == (1 if body == "see you saturday" else 0)


# --- signatures -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["missing", "garbage", "wrong token", "other host", "tampered", "no token set"])
def test_a_bad_signature_gets_403_and_changes_nothing(client, db, app, synced, phone, case):
    join_by_text(client, phone)
    before = (count(db, Delivery), count(db, Suppression), count(db, InboundMessage), count(db, ProviderEvent))
    kwargs = {"missing": {"signature": ""}, "garbage": {"signature": "bm90IGEgc2lnbmF0dXJl"},
              "wrong token": {"token": "someone-else"}, "other host": {"base_url": "http://10.0.0.5:8000"},
              "tampered": {}, "no token set": {}}[case]
    if case == "tampered":
        params = {"MessageSid": "SM" + "e" * 32, "From": PHONE, "To": PROGRAM_NUMBER, "Body": "HELP"}
        signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(
            PUBLIC_BASE_URL + SMS_PATH, params)
        response = client.post(SMS_PATH, data={**params, "Body": "STOP"}, headers={"X-Twilio-Signature": signature})
    else:
        if case == "no token set":
            app.config["TWILIO_AUTH_TOKEN"] = None
            kwargs = {"token": "0123456789abcdef0123456789abcdef"}
        response = sms(client, "STOP", **kwargs)
    assert response.status_code == 403
    assert subscriber(db).status is SubscriberStatus.ACTIVE
    assert (count(db, Delivery), count(db, Suppression), count(db, InboundMessage),
            count(db, ProviderEvent)) == before
    assert phone.new_texts() == []


# --- privacy ----------------------------------------------------------------------------------------------

PHONE_FORMS = [PHONE, PHONE[1:], PHONE[2:], "312-555-0123", "(312) 555-0123", "555-0123", "5550123",
               "%2B13125550123"]


def assert_no_phone_numbers(records) -> None:
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += str(record.exc_info[1])
        digits = re.sub(r"\D", "", text)
        leaked = [form for form in PHONE_FORMS if form in text] + (["digits"] if "3125550123" in digits else [])
        assert not leaked, f"{record.name}: {text}"


def test_no_phone_number_reaches_a_log(client, db, synced, phone, caplog):
    caplog.set_level(logging.DEBUG)
    for body in ("JOIN", "60202", "HELP", "hello", "YES", "STOP", "HELP", "START", "STOP"):
        ok(sms(client, body))
        phone.new_texts()
    sms(client, "STOP", signature="bm90IGEgc2lnbmF0dXJl")
    ok(sms(client, "STOP", phone=OTHER_PHONE))
    assert len(caplog.records) > 5  # the flow did log: the check below is not vacuous
    assert_no_phone_numbers(caplog.records)
