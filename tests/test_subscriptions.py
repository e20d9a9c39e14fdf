"""Joining and leaving on the web (/subscribe, /unsubscribe, the action form's box), consent evidence and its
database guarantee, and how long the program's texts are."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outreach.models import (
    Action,
    ConsentRecord,
    Delivery,
    DeliveryKind,
    Subscriber,
    SubscriberStatus,
)
from outreach.models.base import utcnow
from outreach.sms import fold_to_gsm7, is_gsm7, segments, subscriptions
from outreach.sms.subscriptions import (
    ACTION_FORM_DISCLOSURE_VERSION,
    WEB_FORM_DISCLOSURE_VERSION,
    Joined,
    already_subscribed_text,
    confirmation_texts,
    help_text,
    opt_out_confirmation_text,
    zip_saved_text,
    zip_unknown_text,
)
from tests.conftest import csrf_token
from tests.test_action_form import WRITE_URL, errors_at, filled, open_write_page, send, status_token
from tests.test_pages import parse
from tests.test_sms_keywords import (
    ORG_NAME,
    PHONE,
    Phone,
    assert_no_phone_numbers,
    count,
    kinds,
    ok,
    sms,
    subscriber,
    suppressed,
)

SUBSCRIBE = "/subscribe"
UNSUBSCRIBE = "/unsubscribe"
BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) TestBrowser/1.0"}
CLIENT_IP = "203.0.113.7"


@pytest.fixture
def app_config(fake_twilio):
    return {**fake_twilio.env(), "TWILIO_TIMEOUT": 2, "PUBLIC_BASE_URL": "https://outreach.example.org",
            "ORG_NAME": ORG_NAME, "ORG_HELP_CONTACT": "help@example.org"}


@pytest.fixture
def phone(app, fake_twilio):
    return Phone(app, fake_twilio)


def open_form(client, path=SUBSCRIBE, lang: str | None = None):
    page = client.get(path + (f"?lang={lang}" if lang else ""), headers=BROWSER)
    assert page.status_code == 200
    return parse(page.get_data(as_text=True)), page


def post_subscribe(client, lang=None, **fields):
    doc, page = open_form(client, lang=lang)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "phone": "(312) 555-0123", "zip_code": "60202",
            "language": "en", "consent": "y", **fields}
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(SUBSCRIBE, data=data, headers=BROWSER, environ_base={"REMOTE_ADDR": CLIENT_IP})
    return doc, response


def shown_disclosure(doc) -> str:
    return doc.find("span", id="sms-consent").text()


# --- the /subscribe page -----------------------------------------------------------------------------

def test_subscribe_page_shows_the_form_and_the_disclosure(client, synced):
    doc, page = open_form(client)
    assert page.headers["Cache-Control"] == "no-store"
    form = doc.find("form", "subscribe")
    assert form.attrs["method"] == "post" and form.find("input", name="csrf_token").attrs["value"]
    assert form.find("input", name="phone").attrs["type"] == "tel"
    assert form.find("input", name="zip_code") is not None
    assert [r.attrs["value"] for r in form.find_all("input", name="language")] == ["en", "es"]
    assert "checked" in form.find("input", name="language", value="en").attrs
    box = form.find("input", name="consent")
    assert box.attrs["type"] == "checkbox" and "checked" not in box.attrs
    text = shown_disclosure(doc)
    for part in (ORG_NAME, "recurring automated action alerts", "about 4 msgs/month", "Msg & data rates may apply",
                 "Reply HELP for help, STOP to cancel", "Consent is not a condition of any purchase"):
        assert part in text
    assert box.ancestor("label").find("span", id="sms-consent") is not None  # the box's own label


def test_subscribe_page_in_spanish(client, synced):
    doc, _ = open_form(client, lang="es")
    assert doc.find("h1").text() == "Reciba alertas por mensaje de texto"
    assert "checked" in doc.find("input", name="language", value="es").attrs
    text = shown_disclosure(doc)
    assert "Pueden aplicarse tarifas por mensajes y datos" in text and ORG_NAME in text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_subscribe_happy_path_stores_consent_as_shown_and_sends_one_confirmation(client, db, app, synced, phone,
                                                                                  lang):
    doc, response = post_subscribe(client, lang=lang if lang == "es" else None, language=lang)
    assert response.status_code == 303 and response.headers["Location"] == "/subscribe/done"
    assert "555" not in response.headers["Location"]

    row = subscriber(db)
    assert row.status is SubscriberStatus.ACTIVE and row.locale == lang
    assert (row.zip_code, row.state, row.district) == ("60202", "IL", 9)
    consent = row.consent
    assert consent.source == "web_form" and consent.phone == PHONE
    assert consent.disclosure_text == shown_disclosure(doc)  # exactly the words beside the box
    assert consent.disclosure_version == WEB_FORM_DISCLOSURE_VERSION
    assert consent.ip_address == CLIENT_IP and consent.user_agent == BROWSER["User-Agent"]
    assert consent.recorded_at is not None and consent.source_detail is None

    received = phone.new_texts()
    with app.test_request_context():
        assert received == confirmation_texts(lang, zip_known=True)
    assert len(received) == 1 and "ZIP" not in received[0] and "codigo postal" not in received[0]
    done = parse(client.get(response.headers["Location"]).get_data(as_text=True))
    assert done.find("p", "done") is not None


def test_subscribe_without_a_zip_asks_for_it_by_text(client, db, synced, phone):
    _, response = post_subscribe(client, zip_code="")
    assert response.status_code == 303
    assert subscriber(db).zip_code is None
    received = phone.new_texts()
    assert len(received) == 1 and "ZIP" in received[0]
    ok(sms(client, "60202"))
    assert (subscriber(db).state, subscriber(db).district) == ("IL", 9)


def test_subscribe_with_a_split_zip_keeps_the_district_unknown(client, db, synced):
    _, response = post_subscribe(client, zip_code="60640")
    assert response.status_code == 303
    assert (subscriber(db).zip_code, subscriber(db).state, subscriber(db).district) == ("60640", "IL", None)


ERRORS = {
    "no phone": ({"phone": ""}, "phone", "Enter your mobile phone number.", "Escriba su número de celular."),
    "bad phone": ({"phone": "12345"}, "phone", "Enter a phone number like 312-555-0123.",
                  "Escriba un número de teléfono como 312-555-0123."),
    "foreign phone": ({"phone": "+44 20 7946 0958"}, "phone",
                      "We can only text U.S. phone numbers. Enter a U.S. mobile number.",
                      "Solo podemos enviar mensajes de texto a números de EE. UU. Escriba un número de celular de "
                      "EE. UU."),
    "bad zip": ({"zip_code": "6020"}, "zip_code", "Enter a five-digit ZIP code, like 60202.",
                "Escriba un código postal de cinco dígitos, como 60202."),
    "unknown zip": ({"zip_code": "99999"}, "zip_code", "We could not find ZIP code 99999. Check it and try again.",
                    "No encontramos el código postal 99999. Revíselo e inténtelo de nuevo."),
    "no consent": ({"consent": None}, "consent", "Check the box to agree to get our texts.",
                   "Marque la casilla para aceptar recibir nuestros mensajes."),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("case", list(ERRORS))
def test_subscribe_errors_show_next_to_their_field_and_store_nothing(client, db, synced, case, lang):
    fields, name, english, spanish = ERRORS[case]
    _, response = post_subscribe(client, lang=lang if lang == "es" else None, **fields)
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    assert errors_at(doc, name) == [english if lang == "en" else spanish]
    assert len(doc.find_all("p", "error")) == 1
    assert doc.find("input", name=name).attrs.get("aria-invalid") == "true"
    assert (count(db, Subscriber), count(db, ConsentRecord), count(db, Delivery)) == (0, 0, 0)


def test_subscribe_refuses_a_post_without_csrf(client, db, synced):
    response = client.post(SUBSCRIBE, data={"phone": "(312) 555-0123", "consent": "y", "language": "en"})
    assert response.status_code == 400
    assert count(db, Subscriber) == 0


def test_subscribing_again_changes_nothing_and_sends_nothing(client, db, synced, phone):
    post_subscribe(client)
    assert len(phone.new_texts()) == 1
    _, response = post_subscribe(client, zip_code="10001", language="es")
    assert response.status_code == 303 and response.headers["Location"] == "/subscribe/done"
    assert phone.new_texts() == []
    row = subscriber(db)
    assert (row.locale, row.zip_code) == ("en", "60202")
    assert count(db, ConsentRecord) == 1


def test_subscribing_after_an_opt_out_rejoins_with_new_evidence(client, db, synced, phone):
    post_subscribe(client)
    assert len(phone.new_texts()) == 1
    ok(sms(client, "STOP"))
    assert len(phone.new_texts()) == 1
    assert suppressed(db)

    _, response = post_subscribe(client, zip_code="")
    assert response.status_code == 303
    row = subscriber(db)
    assert row.status is SubscriberStatus.ACTIVE and row.opted_out_at is None and not suppressed(db)
    consents = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert len(consents) == 2 and row.consent_id == consents[1].id
    assert row.zip_code == "60202"  # kept from the first subscription
    received = phone.new_texts()
    assert len(received) == 1 and "ZIP" not in received[0]


# --- /unsubscribe --------------------------------------------------------------------------------------

def post_unsubscribe(client, number="(312) 555-0123", with_csrf=True):
    _, page = open_form(client, UNSUBSCRIBE)
    data = {"phone": number}
    if with_csrf:
        data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    return client.post(UNSUBSCRIBE, data=data)


def test_web_unsubscribe_opts_out_with_one_confirmation(client, db, app, synced, phone):
    post_subscribe(client)
    phone.new_texts()
    response = post_unsubscribe(client)
    assert response.status_code == 303 and response.headers["Location"] == "/unsubscribe/done"
    assert subscriber(db).status is SubscriberStatus.OPTED_OUT and suppressed(db)
    with app.test_request_context():
        assert phone.new_texts() == [opt_out_confirmation_text("en")]
    post_unsubscribe(client)
    ok(sms(client, "HELP"))
    assert phone.new_texts() == []
    assert count(db, ConsentRecord) == 1  # evidence kept after the opt-out


def test_web_unsubscribe_says_the_same_for_a_number_we_do_not_know(client, db, synced, phone):
    post_subscribe(client, phone="(773) 555-0188")
    known = post_unsubscribe(client, "(773) 555-0188")
    unknown = post_unsubscribe(client)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get(unknown.headers["Location"])
    assert page.status_code == 200 and "555" not in page.get_data(as_text=True)
    # The number we did not know is suppressed all the same, and gets no text.
    assert suppressed(db) and subscriber(db) is None and phone.new_texts() == []


def test_web_unsubscribe_errors_and_csrf(client, db, synced):
    response = post_unsubscribe(client, "12345")
    assert response.status_code == 200
    assert errors_at(parse(response.get_data(as_text=True)), "phone") == ["Enter a phone number like 312-555-0123."]
    assert post_unsubscribe(client, with_csrf=False).status_code == 400
    assert not suppressed(db)


# --- the action form's opt-in -----------------------------------------------------------------------------

def test_action_form_opt_in_subscribes_with_the_actions_consent_text(client, db, app, synced, phone):
    html, response = send(client, sms_opt_in=True, zip_code="60202-1234")
    status_token(response)
    action = db.session.scalar(select(Action))
    row = subscriber(db)
    assert row is not None and row.status is SubscriberStatus.ACTIVE
    assert (row.zip_code, row.state, row.district, row.locale) == ("60202", "IL", 9, "en")
    assert row.source_campaign_id == action.campaign_id
    consent = row.consent
    assert consent.disclosure_text == action.sms_consent_text
    assert consent.disclosure_version == ACTION_FORM_DISCLOSURE_VERSION and consent.source == "action_form"
    assert consent.campaign_id == action.campaign_id and consent.phone == PHONE
    assert consent.user_agent is not None

    confirmation = db.session.scalar(select(Delivery).where(Delivery.kind == DeliveryKind.SMS_CONFIRMATION))
    assert confirmation.subscriber_id == row.id and confirmation.action_id is None
    assert len(phone.new_texts()) == 1

    # The same form posted again returns the first action: no second subscription or confirmation.
    assert client.post(WRITE_URL, data=filled(html, sms_opt_in=True, zip_code="60202-1234")).status_code == 303
    assert count(db, Subscriber) == 1 and count(db, ConsentRecord) == 1 and phone.new_texts() == []


def test_action_form_without_the_box_subscribes_no_one(client, db, synced, phone):
    html = open_write_page(client).get_data(as_text=True)
    status_token(client.post(WRITE_URL, data=filled(html, script=True)))
    assert count(db, Subscriber) == 0 and count(db, ConsentRecord) == 0
    assert DeliveryKind.SMS_CONFIRMATION not in kinds(db)


# --- the database refuses a subscription without consent evidence ------------------------------------------

def test_a_subscriber_without_consent_evidence_cannot_be_stored(db):
    db.session.add(Subscriber(phone=PHONE, status=SubscriberStatus.ACTIVE, locale="en", created_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(db, Subscriber) == 0


def test_consent_evidence_needs_its_disclosure_text(db):
    db.session.add(ConsentRecord(phone=PHONE, source="web_form", disclosure_version=WEB_FORM_DISCLOSURE_VERSION))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("first_opted_out", [False, True])
def test_a_join_racing_another_for_the_same_number_stores_one_subscription(app, db, synced, monkeypatch,
                                                                           first_opted_out):
    """The other request committed the number after this one looked: the insert fails, and is read again."""
    with app.test_request_context():
        subscriptions.subscribe_from_web(PHONE, "en", None, "first words")
        if first_opted_out:
            subscriptions.unsubscribe_from_web(PHONE)
    real, reads = subscriptions.subscriber_for, []

    def stale_first_read(number, lock=True):
        reads.append(number)
        return None if len(reads) == 1 else real(number, lock)

    monkeypatch.setattr(subscriptions, "subscriber_for", stale_first_read)
    with app.test_request_context():
        result = subscriptions.subscribe_from_web(PHONE, "en", None, "second words")
    assert len(reads) == 2
    assert result.outcome is (Joined.REJOINED if first_opted_out else Joined.ALREADY_ACTIVE)
    assert count(db, Subscriber) == 1 and subscriber(db).status is SubscriberStatus.ACTIVE
    confirmations = count(db, Delivery, Delivery.kind == DeliveryKind.SMS_CONFIRMATION)
    assert confirmations == (2 if first_opted_out else 1)
    disclosures = [c.disclosure_text for c in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))]
    assert disclosures == (["first words", "second words"] if first_opted_out else ["first words"])
    assert subscriber(db).consent.disclosure_text == disclosures[-1]


# --- how long the texts are ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("", 0), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2), ("a" + "€" * 80, 2),        # extension characters take two septets
    ("a" * 152 + "€" + "a" * 152, 3),                         # 306 septets, but the € is not cut in two
    ("ó" * 70, 1), ("ó" * 71, 2), ("ó" * 134, 2), ("ó" * 135, 3),   # one UCS-2 character makes it all UCS-2
    ("a" * 69 + "ó", 1), ("a" * 159 + "ó", 3),
    ("😀" * 35, 1), ("😀" * 36, 2), ("a" * 66 + "😀" + "a" * 66, 3),  # a surrogate pair: two units, never split
])
def test_segments(text, expected):
    assert segments(text) == expected


def test_gsm7_alphabet_and_folding():
    assert is_gsm7("¿Qué? ¡Ñandú! ü è é à @£$¥ {[~]} €") is False  # ú is not GSM-7
    assert is_gsm7(fold_to_gsm7("¿Qué? ¡Ñandú! ü è é à @£$¥ {[~]} €"))
    assert fold_to_gsm7("acción, información, “sí” – ok…") == 'accion, informacion, "si" - ok...'
    assert fold_to_gsm7("ñ é ü ¿ ¡") == "ñ é ü ¿ ¡"


@pytest.mark.parametrize("org", [ORG_NAME, "Immigrant Justice Coalition", "The Illinois Coalition for Immigrant "
                                                                         "and Refugee Rights"])
@pytest.mark.parametrize("locale", ["en", "es"])
def test_confirmations_fit_one_segment_or_split_on_purpose(app, org, locale):
    app.config["ORG_NAME"] = org
    with app.test_request_context():
        for zip_known in (True, False):
            texts = confirmation_texts(locale, zip_known)
            assert 1 <= len(texts) <= 2
            assert all(is_gsm7(t) for t in texts)
            if len(org) <= 27:
                assert [segments(t) for t in texts] == [1] * len(texts), texts
            else:
                assert sum(segments(t) for t in texts) <= 3
            first = texts[0]
            assert first.startswith(f"{org}: ")
            assert ("Msg & data rates may apply" if locale == "en" else "Pueden aplicar tarifas de msj/datos") in first
            assert "STOP" in first and ("HELP" if locale == "en" else "AYUDA") in first
            assert ("4 msgs/mo" if locale == "en" else "4 msjs/mes") in first
            asks_zip = "ZIP" in " ".join(texts) if locale == "en" else "codigo postal" in " ".join(texts)
            assert asks_zip is not zip_known
        # The default name keeps the English confirmation, ZIP request included, in one text.
        if org == ORG_NAME and locale == "en":
            assert len(confirmation_texts(locale, zip_known=False)) == 1
        for text in (help_text(locale), opt_out_confirmation_text(locale), already_subscribed_text(locale),
                     zip_saved_text(locale, "60202"), zip_unknown_text(locale, "60202")):
            assert is_gsm7(text) and segments(text) <= 2


# --- privacy ----------------------------------------------------------------------------------------------

def test_no_phone_number_in_logs_on_the_web_paths(client, db, synced, phone, caplog):
    caplog.set_level(logging.DEBUG)
    post_subscribe(client)
    post_subscribe(client)
    post_unsubscribe(client)
    post_subscribe(client, zip_code="99999")
    post_unsubscribe(client, "(773) 555-0188")
    send(client, sms_opt_in=True, phone="(312) 555-0123")
    phone.new_texts()
    assert any("subscriber" in r.getMessage() for r in caplog.records)
    assert_no_phone_numbers(caplog.records)
