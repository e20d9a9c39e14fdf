"""The CWC channel: XML that validates against the House schema, and one classification per chamber answer."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import requests
from lxml import etree

from outreach.delivery.channels.base import Constituent, CwcEnvelope, Found, OutgoingMessage, Outcome
from outreach.delivery.channels.cwc import (
    HOUSE_DEFAULT_PREFIX, MAX_TEXT, TRIM_NOTE, CWCChannel, CwcMessageError, CwcOfficeListError, DeliveryAgent,
    build_cwc_xml, cwc_channel_from_config, cwc_prefix, error_texts, fetch_office_codes, office_code,
)

RNG_PATH = Path(__file__).resolve().parents[2] / "shared" / "docs" / "cwc-2.0-house.rng"
KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
STREET = "1234 West Sheridan Road"
EMAIL = "jesus.garcia@example.org"
AGENT = DeliveryAgent(name="Outreach Test Delivery Agent", ack_email="cwc-ack@example.org",
                      contact_name="Outreach Operator", contact_email="cwc@example.org",
                      contact_phone="+12025550100", organization="Outreach Test Organization")
PERSON = Constituent(prefix="Mr.", first_name="Jesús", last_name="García", email=EMAIL, address1=STREET,
                     city="Chicago", state="IL", zip_code="60640", phone="+13125550123")
STATEMENT = "End the 287(g) program, end Secure Communities, and stop honoring ICE detainers."


def message(office: str = "HIL09", person: Constituent = PERSON, statement: str = STATEMENT,
            note: str | None = "Our neighbors deserve due process.", subject: str = "End 287(g) now",
            key: str = KEY, campaign: str = "end-287g-end-287g") -> OutgoingMessage:
    envelope = CwcEnvelope(office_code=office, campaign_id=campaign, constituent=person,
                           organization_statement=statement, constituent_message=note,
                           delivery_date=date(2026, 3, 4))
    return OutgoingMessage(delivery_id=11, delivery_key=key, to=office, body=statement, subject=subject,
                           created_at=datetime(2026, 3, 4, 12, tzinfo=timezone.utc), cwc=envelope)


@pytest.fixture(scope="module")
def house_schema() -> etree.RelaxNG:
    if not RNG_PATH.is_file():
        pytest.fail(f"the CWC schema is missing: {RNG_PATH} (../shared/docs/cwc-2.0-house.rng)", pytrace=False)
    return etree.RelaxNG(etree.parse(str(RNG_PATH)))


def valid_document(schema: etree.RelaxNG, xml: bytes) -> etree._Element:
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    document = etree.fromstring(xml)
    assert schema.validate(document), [entry.message for entry in schema.error_log]
    return document


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def channel(fake_cwc):
    return CWCChannel(fake_cwc.house_url, fake_cwc.house_key, fake_cwc.senate_url, fake_cwc.senate_key,
                      DeliveryAgent(**fake_cwc.agent), timeout=2.0)


# --- office codes ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "code"), [
    (("house", "IL", 9, None), "HIL09"),
    (("house", "WY", 0, None), "HWY00"),
    (("house", "DC", 0, None), "HDC00"),
    (("house", "AS", 0, None), "HAQ00"),
    (("house", "PR", None, None), "HPR00"),
    (("house", "CA", 28, None), "HCA28"),
    (("senate", "MN", None, 1), "SMN01"),
    (("senate", "CA", None, 3), "SCA03"),
    (("senate", "il", None, 2), "SIL02"),
])
def test_office_code(args, code):
    assert office_code(*args) == code


@pytest.mark.parametrize("args", [("senate", "MN", None, None), ("senate", "MN", None, 4), ("house", "ILL", 9, None),
                                  ("house", "IL", 100, None), ("governor", "IL", 1, None)])
def test_office_code_refuses_what_is_no_seat(args):
    with pytest.raises(ValueError):
        office_code(*args)


# --- the XML ---------------------------------------------------------------------------------------

AT_LARGE = [("AK", "HAK00"), ("DE", "HDE00"), ("ND", "HND00"), ("SD", "HSD00"), ("VT", "HVT00"), ("WY", "HWY00"),
            ("DC", "HDC00"), ("PR", "HPR00"), ("GU", "HGU00"), ("VI", "HVI00"), ("MP", "HMP00"), ("AS", "HAQ00")]

XML_CASES = {
    "accents": dict(),
    "accented full name": dict(person=replace(PERSON, prefix="Ms.", first_name="Nanette", last_name="Diaz Barragán",
                                              city="San Pedro", state="CA", zip_code="90731")),
    "apostrophe": dict(person=replace(PERSON, first_name="Beto", last_name="O'Rourke", city="El Paso", state="TX",
                                      zip_code="79901"), note="I can't stay quiet: it's our town's future."),
    "15,000-character message": dict(statement="Stop 287(g). " * 1200, note="x" * 15000),
    "ZIP+4": dict(person=replace(PERSON, zip_code="60640-1234")),
    "nine-digit ZIP": dict(person=replace(PERSON, zip_code="606401234")),
    "no phone": dict(person=replace(PERSON, phone=None)),
    "phone outside North America": dict(person=replace(PERSON, phone="+442071234567")),
    "empty personal message": dict(note=""),
    "no personal message": dict(note=None),
    "personal message only": dict(statement="", note="Please act on this."),
    "short personal message": dict(note="Yes!"),
    "two-letter city": dict(person=replace(PERSON, city="Ed", state="KY", zip_code="41425")),
    "short street": dict(person=replace(PERSON, address1="9")),
    "no prefix": dict(person=replace(PERSON, prefix="")),
    "lowercase prefix": dict(person=replace(PERSON, prefix="dr")),
    "control characters": dict(person=replace(PERSON, first_name="Jes\x00ús", city="Chi\x1bcago"),
                               note="Line one\r\nline two\x0b\x07 and a tab\there\ufffe."),
    "short subject": dict(subject="ICE"),
    "empty subject": dict(subject=""),
    "long fields": dict(person=replace(PERSON, last_name="L" * 700, address1="A" * 700), subject="S" * 700,
                        campaign="c" * 700),
    **{f"at-large {code}": dict(office=code, person=replace(PERSON, state=state, zip_code="99501"))
       for state, code in AT_LARGE},
}


@pytest.mark.parametrize("case", XML_CASES)
def test_every_house_message_validates(house_schema, case):
    document = valid_document(house_schema, build_cwc_xml(message(**XML_CASES[case]), AGENT))

    assert document.findtext("CWCVersion") == "2.0"
    assert document.findtext("Delivery/DeliveryId") == KEY
    assert document.findtext("Delivery/DeliveryDate") == "20260304"
    assert document.findtext("Delivery/DeliveryAgent") == AGENT.name
    assert document.findtext("Delivery/DeliveryAgentContact/DeliveryAgentContactPhone") == "202-555-0100"
    assert document.findtext("Message/LibraryOfCongressTopics/LibraryOfCongressTopic") == "Immigration"


def test_names_keep_accents_and_apostrophes(house_schema):
    barragan = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["accented full name"]), AGENT))
    rourke = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["apostrophe"]), AGENT))
    garcia = build_cwc_xml(message(), AGENT)

    assert barragan.findtext("Constituent/LastName") == "Diaz Barragán"
    assert rourke.findtext("Constituent/LastName") == "O'Rourke"
    assert rourke.findtext("Message/ConstituentMessage") == "I can't stay quiet: it's our town's future."
    assert "Jesús García".split()[0].encode() in garcia  # UTF-8, not character references
    assert etree.fromstring(garcia).findtext("Constituent/FirstName") == "Jesús"


def test_long_texts_are_cut_with_a_note(house_schema):
    document = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["15,000-character message"]), AGENT))

    for tag in ("OrganizationStatement", "ConstituentMessage"):
        text = document.findtext(f"Message/{tag}")
        assert len(text) <= MAX_TEXT
        assert text.endswith(TRIM_NOTE)
    # The statement is cut at a word boundary.
    head = document.findtext("Message/OrganizationStatement").removesuffix(TRIM_NOTE)
    source = XML_CASES["15,000-character message"]["statement"]
    assert source.startswith(head) and source[len(head)] == " "
    long_fields = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["long fields"]), AGENT))
    assert len(long_fields.findtext("Constituent/LastName")) == 500
    assert len(long_fields.findtext("Message/Subject")) == 500


def test_contact_fields(house_schema):
    with_phone = valid_document(house_schema, build_cwc_xml(message(), AGENT))
    without = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["no phone"]), AGENT))
    foreign = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["phone outside North America"]), AGENT))
    zip4 = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["nine-digit ZIP"]), AGENT))

    assert with_phone.findtext("Constituent/Phone") == "312-555-0123"
    assert without.find("Constituent/Phone") is None
    assert foreign.find("Constituent/Phone") is None
    assert zip4.findtext("Constituent/Zip") == "60640-1234"
    assert with_phone.findtext("Constituent/Email") == EMAIL
    assert with_phone.findtext("Constituent/Address1") == STREET


def test_message_texts(house_schema):
    both = valid_document(house_schema, build_cwc_xml(message(), AGENT))
    empty = valid_document(house_schema, build_cwc_xml(message(note=""), AGENT))
    only_own = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["personal message only"]), AGENT))
    short = valid_document(house_schema, build_cwc_xml(message(note="Yes!"), AGENT))
    controls = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["control characters"]), AGENT))

    assert [child.tag for child in both.find("Message")][-2:] == ["OrganizationStatement", "ConstituentMessage"]
    assert empty.find("Message/ConstituentMessage") is None
    assert empty.findtext("Message/OrganizationStatement") == STATEMENT
    assert only_own.find("Message/OrganizationStatement") is None
    assert short.findtext("Message/ConstituentMessage") == "Personal note: Yes!"
    assert controls.findtext("Message/ConstituentMessage") == "Line one\nline two and a tab\there."
    assert controls.findtext("Constituent/FirstName") == "Jesús"
    assert controls.findtext("Constituent/City") == "Chicago"
    with pytest.raises(CwcMessageError, match="no text"):
        build_cwc_xml(message(statement=" ", note=None), AGENT)


def test_short_fields_are_completed_honestly(house_schema):
    city = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["two-letter city"]), AGENT))
    street = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["short street"]), AGENT))
    subject = valid_document(house_schema, build_cwc_xml(message(subject="ICE"), AGENT))
    no_subject = valid_document(house_schema, build_cwc_xml(message(subject=""), AGENT))

    assert city.findtext("Constituent/City") == "Ed, KY"
    assert street.findtext("Constituent/Address1") == "9, Chicago"
    assert subject.findtext("Message/Subject") == "ICE: message from a constituent"
    assert no_subject.findtext("Message/Subject") == "Message from a constituent"


def test_prefixes(house_schema):
    none = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["no prefix"]), AGENT))
    doctor = valid_document(house_schema, build_cwc_xml(message(**XML_CASES["lowercase prefix"]), AGENT))

    assert none.findtext("Constituent/Prefix") == HOUSE_DEFAULT_PREFIX == "Mx."
    assert doctor.findtext("Constituent/Prefix") == "Dr."
    assert [cwc_prefix(p, "senate") for p in ("Mr", "mrs.", "MISS", "ms.", "Doctor")] == \
        ["Mr.", "Mrs.", "Miss", "Ms.", "Dr."]
    assert cwc_prefix("", "senate") is None and cwc_prefix("Rev.", "senate") is None
    assert cwc_prefix("Rev.", "house") == "Rev."
    with pytest.raises(CwcMessageError, match="Prefix"):
        build_cwc_xml(message(office="SIL02", person=replace(PERSON, prefix="")), AGENT)


@pytest.mark.parametrize(("change", "field"), [
    (dict(first_name=" "), "FirstName"), (dict(last_name=""), "LastName"), (dict(email="not-an-address"), "Email"),
    (dict(zip_code="6064"), "Zip"), (dict(state="XX"), "StateAbbreviation"), (dict(city=""), "City"),
    (dict(address1=""), "Address1"),
])
def test_unbuildable_messages_name_the_field_not_the_value(change, field):
    person = replace(PERSON, **change)
    with pytest.raises(CwcMessageError) as error:
        build_cwc_xml(message(person=person), AGENT)
    assert field in str(error.value)
    for value in change.values():
        if value.strip():
            assert value not in str(error.value)


def test_bad_delivery_agent_is_refused_at_construction():
    with pytest.raises(ValueError, match="phone"):
        CWCChannel("http://127.0.0.1:1", "k", None, None, replace(AGENT, contact_phone="12345"))
    with pytest.raises(ValueError, match="name"):
        CWCChannel("http://127.0.0.1:1", "k", None, None, replace(AGENT, name="Ab"))


# --- the channel against the fake ------------------------------------------------------------------

def test_house_accepted(channel, fake_cwc):
    result = channel.send(message())

    assert (result.outcome, result.provider_id) == (Outcome.ACCEPTED, KEY)
    [sent] = fake_cwc.house_messages
    assert (sent["delivery_id"], sent["office"]) == (KEY, "HIL09")
    assert etree.fromstring(sent["xml"]).findtext("Constituent/LastName") == "García"
    assert fake_cwc.requests[-1]["status"] == 200


def test_senate_accepted(channel, fake_cwc):
    result = channel.send(message(office="SIL02"))

    assert (result.outcome, result.provider_id) == (Outcome.ACCEPTED, KEY)
    assert [(m["delivery_id"], m["office"]) for m in fake_cwc.senate_messages] == [(KEY, "SIL02")]
    assert fake_cwc.requests[-1]["status"] == 201
    assert not fake_cwc.house_messages


def test_senate_resend_answered_409_is_accepted(channel, fake_cwc):
    first = channel.send(message(office="SNY01"))
    again = channel.send(message(office="SNY01"))

    assert first.outcome is again.outcome is Outcome.ACCEPTED
    assert [r["status"] for r in fake_cwc.requests] == [201, 409]
    assert len(fake_cwc.senate_messages) == 1


def test_senate_message_without_an_accepted_prefix_is_not_sent(channel, fake_cwc):
    result = channel.send(message(office="SIL02", person=replace(PERSON, prefix="")))

    assert result.outcome is Outcome.FAILED
    assert "Prefix" in result.error
    assert fake_cwc.requests == []


def test_400_keeps_the_error_texts(channel, fake_cwc):
    not_on_cwc = channel.send(message(office="HIL01"))
    fake_cwc.script("house", [400])
    scripted = channel.send(message())

    assert not_on_cwc.outcome is Outcome.FAILED
    assert not_on_cwc.error == "cwc house: HTTP 400: MemberOffice HIL01 is not an active office"
    assert (scripted.outcome, scripted.error) == (Outcome.FAILED, "cwc house: HTTP 400: Scripted answer")
    assert fake_cwc.house_messages == []


def test_delivery_agent_mismatch_fails(fake_cwc):
    stranger = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, None, None,
                          replace(AGENT, name="Somebody Else Inc."), timeout=2.0)

    result = stranger.send(message())

    assert (result.outcome, result.error) == (Outcome.FAILED, "cwc house: HTTP 400: DeliveryAgent Mismatch")


def test_schema_error_texts_lose_quoted_values_and_are_capped():
    body = (b"<Errors><Error>Type token doesn't allow value 'jesus.garcia@example.org'</Error>"
            b"<Error>Element Phone failed to validate content 312-555-0123</Error></Errors>")
    assert error_texts(body) == ["Type token doesn't allow value '…'", "Element Phone failed to validate content …"]
    assert error_texts(b"<Errors><Error>Type string doesn't allow value 'O'Rourke'</Error></Errors>") == \
        ["Type string doesn't allow value '…'"]
    assert error_texts(b"not xml") == []

    class Answer:
        status_code = 400
        headers: dict = {}
        content = b"<Errors>" + b"<Error>Element City failed to validate content</Error>" * 50 + b"</Errors>"

    from outreach.delivery.channels.cwc import _classify
    result = _classify("house", Answer(), KEY)
    assert result.outcome is Outcome.FAILED and len(result.error) <= 500 and result.error.endswith("…")


def test_5xx_is_unknown(channel, fake_cwc):
    fake_cwc.script("house", [500])
    fake_cwc.script("senate", ["500-accepted"])

    house = channel.send(message())
    senate = channel.send(message(office="SIL03"))

    assert (house.outcome, house.error) == (Outcome.UNKNOWN, "cwc house: HTTP 500")
    assert (senate.outcome, senate.error) == (Outcome.UNKNOWN, "cwc senate: HTTP 500")


def test_timeout_is_unknown_and_the_resend_reuses_the_delivery_id(fake_cwc):
    channel = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, fake_cwc.senate_url, fake_cwc.senate_key,
                         DeliveryAgent(**fake_cwc.agent), timeout=0.5)
    fake_cwc.script("house", ["hang-accepted"])
    fake_cwc.script("senate", ["hang-accepted"])

    house = channel.send(message())
    senate = channel.send(message(office="SIL02"))
    fake_cwc.release()

    assert (house.outcome, house.error) == (Outcome.UNKNOWN, "cwc house: timed out waiting for an answer")
    assert senate.outcome is Outcome.UNKNOWN
    # CWC cannot be asked: reconciling says "not found", and the outbox sends again with the same id.
    assert channel.reconcile(message()).found is Found.NO
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    assert channel.send(message(office="SIL02")).outcome is Outcome.ACCEPTED

    assert fake_cwc.delivery_ids("house") == [KEY, KEY]
    assert fake_cwc.delivery_ids("senate") == [KEY, KEY]
    assert [r["status"] for r in fake_cwc.requests if r["chamber"] == "senate"][-1] == 409
    assert len(fake_cwc.house_messages) == len(fake_cwc.senate_messages) == 1
    assert [d["delivery_id"] for d in fake_cwc.duplicates] == [KEY]


def test_lost_request_is_delivered_by_the_resend(fake_cwc):
    channel = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, None, None, DeliveryAgent(**fake_cwc.agent),
                         timeout=0.5)
    fake_cwc.script("house", ["hang"])

    assert channel.send(message()).outcome is Outcome.UNKNOWN
    fake_cwc.release()
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    assert len(fake_cwc.house_messages) == 1 and fake_cwc.duplicates == []


def test_429_is_retry(channel, fake_cwc):
    fake_cwc.script("senate", [429], retry_after=30)

    result = channel.send(message(office="SIL02"))

    assert (result.outcome, result.retry_after) == (Outcome.RETRY, 30.0)
    assert fake_cwc.senate_messages == []


def test_refused_connection_and_bad_key_are_retry(fake_cwc):
    refused = CWCChannel(f"http://127.0.0.1:{closed_port()}", "k", None, None, AGENT, timeout=1.0)
    wrong_key = CWCChannel(fake_cwc.house_url, "wrong-key", None, None, AGENT, timeout=1.0)

    assert (refused.send(message()).outcome, refused.send(message()).error) == \
        (Outcome.RETRY, "cwc house: could not connect")
    assert wrong_key.send(message()).outcome is Outcome.RETRY


def test_unconfigured_chamber_fails(fake_cwc):
    house_only = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, None, None, AGENT)
    senate_only = CWCChannel(None, None, fake_cwc.senate_url, fake_cwc.senate_key, AGENT)

    assert (house_only.send(message(office="SIL02")).error) == "cwc senate: chamber not configured"
    assert house_only.send(message(office="SIL02")).outcome is Outcome.FAILED
    assert senate_only.send(message()).outcome is Outcome.FAILED
    assert fake_cwc.requests == []


def test_fetch_office_codes(fake_cwc):
    fake_cwc.house_offices = {"HIL09", "HAQ00"}

    assert fetch_office_codes(fake_cwc.house_url, fake_cwc.house_key, "house") == {"HIL09", "HAQ00"}
    assert fetch_office_codes(fake_cwc.senate_url, fake_cwc.senate_key, "senate", timeout=2) == \
        {"SCA03", "SCO03", "SIL02", "SIL03", "SNY01"}
    assert [r["path"] for r in fake_cwc.requests] == ["/v2/offices", "/api/active_offices"]


def test_fetch_office_codes_failures_are_clear_and_keyless(fake_cwc):
    with pytest.raises(CwcOfficeListError) as bad_key:
        fetch_office_codes(fake_cwc.house_url, "secret-wrong-key", "house")
    with pytest.raises(CwcOfficeListError) as refused:
        fetch_office_codes(f"http://127.0.0.1:{closed_port()}", "secret-wrong-key", "house", timeout=1)
    fake_cwc.senate_offices = set()
    with pytest.raises(CwcOfficeListError, match="empty"):
        fetch_office_codes(fake_cwc.senate_url, fake_cwc.senate_key, "senate")

    assert str(bad_key.value) == "CWC house office list: HTTP 401"
    assert str(refused.value) == "CWC house office list: cwc house: could not connect"
    assert refused.value.__suppress_context__
    for error in (bad_key.value, refused.value):
        assert "secret-wrong-key" not in str(error)


def test_no_personal_data_xml_or_key_in_logs_or_errors(fake_cwc, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    # Start from a logger without the redaction filter (an earlier test may have installed it): the channel
    # itself must install it.
    monkeypatch.setattr(logging.getLogger("urllib3.connectionpool"), "filters", [])
    channel = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, fake_cwc.senate_url, fake_cwc.senate_key,
                         DeliveryAgent(**fake_cwc.agent), timeout=0.5)
    refused = CWCChannel(f"http://127.0.0.1:{closed_port()}", fake_cwc.house_key, None, None, AGENT, timeout=0.5)
    fake_cwc.script("house", [500, "hang", 400, 429])
    results = [channel.send(message()) for _ in range(5)]
    fake_cwc.release()
    results += [channel.send(message(office="SIL02")), channel.send(message(office="SIL02")),
                channel.send(message(office="HIL01")), refused.send(message()),
                channel.send(message(office="SIL02", person=replace(PERSON, prefix="")))]
    fetch_office_codes(fake_cwc.house_url, fake_cwc.house_key, "house")
    fetch_office_codes(fake_cwc.senate_url, fake_cwc.senate_key, "senate")

    assert {r.outcome for r in results} == set(Outcome)
    assert any("urllib3" in record.name for record in caplog.records)  # the request lines were logged...
    secrets = [fake_cwc.house_key, fake_cwc.senate_key, "<?xml", "<CWC", "Jesús", "García", "Garc", STREET,
               "Sheridan", EMAIL, "3125550123", "312-555-0123", "60640"]
    texts = [record.getMessage() for record in caplog.records] + [r.error or "" for r in results]
    for text in texts:
        for secret in secrets:
            assert secret not in text, (secret, text)
    assert repr(channel).count("key") == 0


# --- the fake's own gates (so a channel bug cannot hide behind a lenient fake) ---------------------------

def test_fake_rejects_bad_key_content_type_and_invalid_xml(fake_cwc):
    xml = build_cwc_xml(message(), AGENT)
    url = fake_cwc.house_url + "/v2/validate"
    headers = {"Content-Type": "application/xml"}

    assert requests.post(url, params={"apikey": fake_cwc.house_key}, data=xml, headers=headers,
                         timeout=2).status_code == 200
    assert requests.post(url, params={"apikey": "nope"}, data=xml, headers=headers, timeout=2).status_code == 401
    assert requests.post(url, params={"apikey": fake_cwc.house_key}, data=xml,
                         headers={"Content-Type": "text/plain"}, timeout=2).status_code == 415
    broken = xml.replace(b"<City>Chicago</City>", b"<City>Ch</City>")
    answer = requests.post(url, params={"apikey": fake_cwc.house_key}, data=broken, headers=headers, timeout=2)
    assert answer.status_code == 400
    assert error_texts(answer.content) and "City" in " ".join(error_texts(answer.content))
    senate = xml.replace(b"HIL09", b"SIL02").replace(b"<Prefix>Mr.</Prefix>", b"<Prefix>Rev.</Prefix>")
    assert fake_cwc.validate(senate, "senate") == ["Prefix must be one of Mr., Mrs., Miss, Ms., Dr."]
    assert fake_cwc.validate(senate, "house")  # the House grammar refuses S codes...
    assert fake_cwc.validate(xml, "senate")  # ...and the Senate one H codes
    assert fake_cwc.validate(senate.replace(b"Rev.", b"Ms."), "senate") == []
    assert fake_cwc.house_messages == []


# --- configuration ---------------------------------------------------------------------------------

def test_channel_from_config(fake_cwc):
    agent = {"CWC_DELIVERY_AGENT_NAME": "Outreach Test Delivery Agent",
             "CWC_DELIVERY_AGENT_EMAIL": "cwc@example.org", "CWC_DELIVERY_AGENT_PHONE": "202-555-0100"}
    house = {"CWC_HOUSE_API_URL": fake_cwc.house_url, "CWC_HOUSE_API_KEY": fake_cwc.house_key}

    assert cwc_channel_from_config({}) is None
    assert cwc_channel_from_config(agent) is None
    assert cwc_channel_from_config({**house, "CWC_DELIVERY_AGENT_NAME": "Outreach Test Delivery Agent"}) is None
    assert cwc_channel_from_config({"CWC_HOUSE_API_URL": fake_cwc.house_url, **agent}) is None
    channel = cwc_channel_from_config({**house, **agent, "ORG_NAME": "Outreach Test Organization",
                                       "CWC_TIMEOUT": 3.0})
    assert channel is not None and channel.name == "cwc"
    assert channel.timeouts == (3.0, 3.0)
    assert channel.configured("house") and not channel.configured("senate")
    assert channel.send(message()).outcome is Outcome.ACCEPTED
    sent = etree.fromstring(fake_cwc.house_messages[0]["xml"])
    assert sent.findtext("Delivery/Organization") == "Outreach Test Organization"
    from_env = cwc_channel_from_config({**fake_cwc.env(), "CWC_TIMEOUT": None})
    assert from_env.timeout == 15.0 and from_env.configured("senate")
    assert from_env.send(message(office="SIL02")).outcome is Outcome.ACCEPTED
