"""Writing to one's members: the write form, its validation, the status page, deleting one's data, the dev outbox."""

from __future__ import annotations

import re
import secrets
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from outreach.delivery.worker import run_once
from outreach.models import Action, CampaignStatus, Delivery, DeliveryKind, DeliveryState, Medium
from tests.conftest import csrf_token
from tests.test_pages import ACTION_URL, parse, post_lookup, set_campaign_status

WRITE_URL = f"{ACTION_URL}/write"
IL9 = ["S001145", "D000563", "D000622"]  # Schakowsky (signed), Durbin, Duckworth
SIGNER_OPENING = "Thank you for signing the February 11, 2021 letter"
URGE_OPENING = "In February 2021, more than sixty Members of Congress asked"

PERSON = {
    "prefix": "Ms.", "first_name": "Ana", "last_name": "Quintero", "email": "ana.quintero@example.org",
    "street": "1234 Chicago Ave", "city": "Evanston", "zip_code": "60202", "phone": "(312) 555-0123",
}


# --- helpers -----------------------------------------------------------------------------------

def raw_text(node) -> str:
    """The text inside an element as typed (a textarea's first line break belongs to the markup)."""
    text = "".join(c for c in node.children if isinstance(c, str))
    return text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text


def open_write_page(client, zip_code="60202", **lookup):
    """Look a ZIP up on the action page, then press its "Write to them" button."""
    doc = parse(post_lookup(client, zip_code=zip_code, **lookup).get_data(as_text=True))
    start = doc.find("form", "write-start")
    assert start is not None, "the lookup page has no Write to them button"
    assert start.find("button").text() in ("Write to them", "Escríbales")
    data = {i.attrs["name"]: i.attrs.get("value", "") for i in start.find_all("input")}
    page = client.post(start.attrs["action"], data=data)
    assert page.status_code == 200
    return page


def form_data(html: str) -> dict:
    """Return what a browser would post from the write form as shown."""
    form = parse(html).find("form", "write")
    data: dict = {"members": []}
    for node in form.find_all("input"):
        name, kind = node.attrs.get("name"), node.attrs.get("type", "text")
        if kind == "checkbox":
            if "checked" in node.attrs:
                if name == "members":
                    data["members"].append(node.attrs["value"])
                else:
                    data[name] = node.attrs["value"]
        elif name:
            data[name] = node.attrs.get("value", "")
    for node in form.find_all("textarea"):
        data[node.attrs["name"]] = raw_text(node)
    for node in form.find_all("select"):
        selected = node.find("option", selected="") or node.find("option")
        data[node.attrs["name"]] = selected.attrs.get("value", "")
    return data


def filled(html: str, *, offices=True, script=False, sms_opt_in=False, **fields) -> dict:
    """The shown form, filled with PERSON, the choices made, then any field overridden."""
    data = {**form_data(html), **PERSON}
    for name, chosen in (("send_to_offices", offices), ("text_me_script", script), ("sms_opt_in", sms_opt_in)):
        if chosen:
            data[name] = "y"
        else:
            data.pop(name, None)
    data.update(fields)
    return data


def field_of(doc, name):
    """Return the .field element around the control with this name."""
    control = next(n for n in doc.iter() if n.attrs.get("name") == name)
    node = control
    while node is not None and "field" not in node.classes:
        node = node.parent
    assert node is not None, f"{name} is not inside a .field"
    return node


def errors_at(doc, name) -> list[str]:
    return [p.text() for p in field_of(doc, name).find_all("p", "error")]


def all_errors(doc) -> list[str]:
    return [p.text() for p in doc.find_all("p", "error")]


def value_of(doc, name) -> str:
    node = next(n for n in doc.iter() if n.attrs.get("name") == name)
    return raw_text(node) if node.tag == "textarea" else node.attrs.get("value", "")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def send(client, **kwargs):
    """Open the write page for 60202 and post it filled in; return (write page html, response)."""
    html = open_write_page(client).get_data(as_text=True)
    return html, client.post(WRITE_URL, data=filled(html, **kwargs))


def status_token(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/a/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


# --- the write page ----------------------------------------------------------------------------

def test_write_page_shows_the_district_members_and_both_messages(client, synced):
    page = open_write_page(client)
    assert page.headers["Cache-Control"] == "no-store"
    doc = parse(page.get_data(as_text=True))
    cards = {li.attrs["data-bioguide"]: li for li in doc.find("form", "write").find_all("li", "member")}
    assert list(cards) == IL9
    assert cards["S001145"].find("span", "name").text() == "Janice D. Schakowsky"
    assert cards["S001145"].find("p", "badge").text() == "Signed the letter"
    assert cards["D000563"].find("p", "badge").text().startswith("Not eligible")
    boxes = doc.find_all("input", type="checkbox", name="members")
    assert [b.attrs["value"] for b in boxes] == IL9
    assert all("checked" in b.attrs for b in boxes)

    signer, other = doc.find("textarea", name="body_signer"), doc.find("textarea", name="body_other")
    assert raw_text(signer).startswith(SIGNER_OPENING)
    assert raw_text(other).startswith(URGE_OPENING)
    # Each message's label says which members get it.
    assert doc.find("label", for_="body_signer").text().startswith("Message to Janice D. Schakowsky:")
    assert doc.find("label", for_="body_other").text().startswith("Message to Richard J. Durbin and Tammy Duckworth:")
    assert doc.find("label", for_="personal_note").text() == "Why this matters to you"
    assert value_of(doc, "zip_code") == "60202"
    assert [o.attrs["value"] for o in doc.find("select", name="prefix").find_all("option")] == [
        "", "Mr.", "Mrs.", "Miss", "Ms.", "Dr."]
    token = doc.find("input", name="form_token").attrs["value"]
    assert len(token) >= 30
    assert doc.find("input", name="seat").attrs["value"] == "IL-9"
    assert "A receipt goes to the email address you give." in doc.text()


def test_sms_opt_in_is_unchecked_with_its_consent_text_beside_it(client, synced, app):
    doc = parse(open_write_page(client).get_data(as_text=True))
    box = doc.find("input", name="sms_opt_in")
    assert box.attrs["type"] == "checkbox" and "checked" not in box.attrs
    consent = box.ancestor("label").text()
    for part in (app.config["ORG_NAME"], "recurring action alerts", "about 4 msgs/month",
                 "Msg & data rates may apply", "Reply HELP for help, STOP to cancel",
                 "Consent is not a condition of any purchase"):
        assert part in consent


def test_each_write_page_gets_a_new_form_token(client, synced):
    first = parse(open_write_page(client).get_data(as_text=True)).find("input", name="form_token").attrs["value"]
    second = parse(open_write_page(client).get_data(as_text=True)).find("input", name="form_token").attrs["value"]
    assert first != second


def test_write_button_only_for_one_confirmed_district(client, synced):
    split = parse(post_lookup(client, zip_code="10001").get_data(as_text=True))
    assert split.find("form", "write-start") is None
    picked = parse(post_lookup(client, zip_code="10001", seat="NY-12").get_data(as_text=True))
    start = picked.find("form", "write-start")
    assert start.find("input", name="seat").attrs["value"] == "NY-12"
    assert start.find("input", name="zip_code").attrs["value"] == "10001"
    assert start.find("input", name="csrf_token").attrs["value"]


def test_write_page_refuses_get_unknown_seats_and_missing_csrf(client, synced):
    assert client.get(WRITE_URL).status_code == 405
    token = csrf_token(client.get(ACTION_URL).get_data(as_text=True))
    assert client.post(WRITE_URL, data={"csrf_token": token, "seat": "IL-99", "zip_code": "60202"}).status_code == 404
    assert client.post(WRITE_URL, data={"csrf_token": token, "seat": "nonsense"}).status_code == 404
    assert client.post(WRITE_URL, data={"seat": "IL-9", "zip_code": "60202"}).status_code == 400


def test_a_campaign_closed_meanwhile_takes_nothing(client, synced, db):
    html = open_write_page(client).get_data(as_text=True)
    set_campaign_status(db, CampaignStatus.CLOSED)
    response = client.post(WRITE_URL, data=filled(html))
    assert response.status_code == 303 and response.headers["Location"] == ACTION_URL
    assert count(db, Action) == 0


# --- sending -----------------------------------------------------------------------------------

def test_happy_path_records_one_action_and_its_deliveries(client, synced, db, app):
    html, response = send(client, script=True, sms_opt_in=True, zip_code="60202-1234",
                          personal_note="My neighbor was detained after a traffic stop.")
    token = status_token(response)

    assert count(db, Action) == 1
    action = db.session.scalar(select(Action))
    assert action.status_token == token
    assert (action.state, action.district) == ("IL", 9)
    assert (action.prefix, action.first_name, action.last_name) == ("Ms.", "Ana", "Quintero")
    assert (action.email, action.street, action.city, action.zip_code) == (
        "ana.quintero@example.org", "1234 Chicago Ave", "Evanston", "60202-1234")
    assert action.phone == "+13125550123"
    assert action.sms_opt_in is True
    shown = parse(html).find("input", name="sms_opt_in").ancestor("label").text()
    assert action.sms_consent_text == shown
    assert app.config["ORG_NAME"] in action.sms_consent_text

    deliveries = db.session.scalars(select(Delivery).where(Delivery.action_id == action.id).order_by(Delivery.id)).all()
    assert len(deliveries) == 5
    offices = [d for d in deliveries if d.kind is DeliveryKind.OFFICE_MESSAGE]
    assert sorted(d.recipient_key for d in offices) == sorted(IL9)
    assert {(d.state, d.medium) for d in offices} == {(DeliveryState.HANDOFF, Medium.CWC)}
    by_member = {d.recipient_key: d for d in offices}
    assert SIGNER_OPENING in by_member["S001145"].body
    assert URGE_OPENING in by_member["D000563"].body
    assert "My neighbor was detained after a traffic stop." in by_member["D000622"].body
    receipts = [d for d in deliveries if d.kind is DeliveryKind.RECEIPT]
    assert [(d.state, d.medium) for d in receipts] == [(DeliveryState.PENDING, Medium.EMAIL)]
    scripts = [d for d in deliveries if d.kind is DeliveryKind.SCRIPT_SMS]
    assert [(d.state, d.medium) for d in scripts] == [(DeliveryState.PENDING, Medium.SMS)]


def test_edited_messages_and_unchecked_members_are_respected(client, synced, db):
    html = open_write_page(client).get_data(as_text=True)
    data = filled(html, body_other="Please cosponsor the repeal of 287(g).", members=["S001145", "D000622"])
    status_token(client.post(WRITE_URL, data=data))
    offices = {d.recipient_key: d for d in db.session.scalars(
        select(Delivery).where(Delivery.kind == DeliveryKind.OFFICE_MESSAGE))}
    assert set(offices) == {"S001145", "D000622"}
    assert "Please cosponsor the repeal of 287(g)." in offices["D000622"].body
    assert URGE_OPENING not in offices["D000622"].body
    assert SIGNER_OPENING in offices["S001145"].body


def test_a_repeated_post_creates_nothing_and_lands_on_the_same_page(client, synced, db):
    html = open_write_page(client).get_data(as_text=True)
    data = filled(html, script=True)
    first = client.post(WRITE_URL, data=data)
    second = client.post(WRITE_URL, data=data)
    assert status_token(first) == status_token(second)
    assert count(db, Action) == 1
    assert count(db, Delivery) == 5


@pytest.mark.parametrize("token", ["", "short", "has spaces in it, which no token has"])
def test_a_tampered_form_token_is_refused(client, synced, db, token):
    html = open_write_page(client).get_data(as_text=True)
    assert client.post(WRITE_URL, data=filled(html, form_token=token)).status_code == 400
    assert count(db, Action) == 0


def test_text_only_needs_no_address_and_sends_no_office_message(client, synced, db):
    _, response = send(client, offices=False, script=True, last_name="", email="", street="", city="")
    status_token(response)
    action = db.session.scalar(select(Action))
    assert (action.last_name, action.email, action.street) == (None, None, None)
    kinds = [d.kind for d in db.session.scalars(select(Delivery))]
    assert kinds == [DeliveryKind.SCRIPT_SMS]


# --- validation --------------------------------------------------------------------------------

OFFICE_REQUIRED = [
    ("first_name", "Enter your first name."),
    ("last_name", "Enter your last name."),
    ("email", "Enter your email address."),
    ("street", "Enter your street address."),
    ("city", "Enter your city."),
    ("zip_code", "Enter your ZIP code."),
]
SCRIPT_REQUIRED = [
    ("first_name", "Enter your first name."),
    ("phone", "Enter your mobile phone number."),
    ("zip_code", "Enter your ZIP code."),
]


def assert_refused(db, response, name, message):
    """The form came back with exactly this error next to this field, and nothing was recorded."""
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    assert errors_at(doc, name) == [message]
    assert all_errors(doc) == [message]
    assert count(db, Action) == 0
    assert count(db, Delivery) == 0
    return doc


@pytest.mark.parametrize(("name", "message"), OFFICE_REQUIRED)
def test_sending_to_offices_requires_name_email_and_address(client, synced, db, name, message):
    _, response = send(client, phone="", **{name: ""})
    doc = assert_refused(db, response, name, message)
    # Everything else typed is still there.
    for other in ("first_name", "last_name", "email", "street", "city", "zip_code"):
        if other != name:
            assert value_of(doc, other) == PERSON[other]
    assert raw_text(doc.find("textarea", name="body_signer")).startswith(SIGNER_OPENING)


@pytest.mark.parametrize(("name", "message"), SCRIPT_REQUIRED)
def test_the_text_requires_first_name_phone_and_zip(client, synced, db, name, message):
    _, response = send(client, offices=False, script=True, last_name="", email="", street="", city="",
                       **{name: ""})
    doc = assert_refused(db, response, name, message)
    kept = [n for n in ("first_name", "phone", "zip_code") if n != name]
    assert all(value_of(doc, n) == PERSON[n] for n in kept)
    assert "checked" in doc.find("input", name="text_me_script").attrs
    assert "checked" not in doc.find("input", name="send_to_offices").attrs


def test_sms_alerts_need_a_phone_number(client, synced, db):
    _, response = send(client, sms_opt_in=True, phone="")
    assert_refused(db, response, "phone", "Enter your mobile phone number.")


def test_choosing_nothing_is_refused(client, synced, db):
    _, response = send(client, offices=False, script=False)
    assert_refused(db, response, "send_to_offices",
                   "Choose at least one: send your message to their offices, or get a text with the script.")


def test_unchecking_every_member_is_refused(client, synced, db):
    _, response = send(client, members=[])
    doc = assert_refused(db, response, "members", "Choose at least one of your members of Congress.")
    assert not [b for b in doc.find_all("input", name="members") if "checked" in b.attrs]


def test_bad_email_is_refused_and_kept(client, synced, db):
    _, response = send(client, email="ana@@example")
    doc = assert_refused(db, response, "email", "Enter an email address like name@example.com.")
    assert value_of(doc, "email") == "ana@@example"


@pytest.mark.parametrize("phone", ["+44 20 7946 0958", "+1 416 967 1111"])
def test_non_us_phone_is_refused(client, synced, db, phone):
    _, response = send(client, script=True, phone=phone)
    doc = assert_refused(db, response, "phone", "We can only text U.S. phone numbers. Enter a U.S. mobile number.")
    assert value_of(doc, "phone") == phone


def test_impossible_phone_is_refused(client, synced, db):
    _, response = send(client, script=True, phone="555-12")
    assert_refused(db, response, "phone", "Enter a phone number like 312-555-0123.")


def test_zip_from_another_state_is_refused(client, synced, db):
    _, response = send(client, zip_code="10001")
    doc = assert_refused(db, response, "zip_code", "ZIP code 10001 is not in IL, where these members serve. "
                                                   "Check it, or look up your members again.")
    assert value_of(doc, "zip_code") == "10001"


def test_malformed_zip_is_refused(client, synced, db):
    _, response = send(client, zip_code="6020")
    assert_refused(db, response, "zip_code", "Enter a five-digit ZIP code, like 60202.")


@pytest.mark.parametrize("name", ["first_name", "last_name", "city", "street"])
def test_line_breaks_in_single_line_fields_are_refused(client, synced, db, name):
    _, response = send(client, **{name: "Ana\r\nBcc: everyone@example.org"})
    assert_refused(db, response, name, "Write this on one line, without special characters.")


def test_control_characters_in_a_message_are_refused(client, synced, db):
    _, response = send(client, personal_note="It matters\x00 to me")
    assert_refused(db, response, "personal_note", "Remove the special characters from this text.")


@pytest.mark.parametrize(("name", "limit"), [("personal_note", 1000), ("first_name", 80), ("city", 80),
                                             ("street", 200), ("body_other", 5000)])
def test_every_field_has_a_length_limit(client, synced, db, name, limit):
    _, response = send(client, **{name: "a" * (limit + 1)})
    assert_refused(db, response, name, f"Use {limit} characters or fewer.")


def test_a_blank_message_is_refused_when_sending_to_offices(client, synced, db):
    _, response = send(client, body_signer="   ")
    assert_refused(db, response, "body_signer", "Write your message, or keep the one we suggested.")


def test_a_tampered_member_is_refused(client, synced, db):
    _, response = send(client, members=["S001145", "N000002"])
    assert response.status_code == 200
    assert errors_at(parse(response.get_data(as_text=True)), "members")
    assert count(db, Action) == 0


def test_a_refusal_from_the_service_sits_next_to_its_field(client, synced, db, monkeypatch):
    from outreach.actions.services import ActionRejected
    from outreach.web import actions

    def refuse(submission):
        raise ActionRejected("street", "This address cannot be used.")

    monkeypatch.setattr(actions, "submit_action", refuse)
    _, response = send(client)
    doc = assert_refused(db, response, "street", "This address cannot be used.")
    assert value_of(doc, "street") == PERSON["street"]


def test_spanish_page_and_errors(client, synced, db):
    client.get(f"{ACTION_URL}?lang=es")
    html = open_write_page(client).get_data(as_text=True)
    doc = parse(html)
    assert doc.find("h1").text() == "Escríbales a sus miembros del Congreso"
    assert raw_text(doc.find("textarea", name="body_signer")).startswith("Gracias por firmar la carta")
    assert doc.find("label", for_="body_other").text().startswith("Mensaje para Richard J. Durbin y Tammy Duckworth:")
    assert "unos 4 mensajes al mes" in doc.find("input", name="sms_opt_in").ancestor("label").text()
    response = client.post(WRITE_URL, data=filled(html, script=True, first_name="", phone="+44 20 7946 0958"))
    doc = parse(response.get_data(as_text=True))
    assert errors_at(doc, "first_name") == ["Escriba su nombre."]
    assert errors_at(doc, "phone") == ["Solo podemos enviar mensajes de texto a números de EE. UU. "
                                       "Escriba un número de celular de EE. UU."]
    assert count(db, Action) == 0


# --- the status page ---------------------------------------------------------------------------

def test_status_page_shows_handoffs_with_contacts_and_copy_text(client, synced):
    _, response = send(client, script=True)
    page = client.get(f"/a/{status_token(response)}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    doc = parse(page.get_data(as_text=True))
    rows = {li.attrs["data-recipient"]: li for li in doc.find_all("li", "delivery")
            if li.attrs["data-kind"] == "office_message"}
    assert list(rows) == IL9
    schakowsky = rows["S001145"]
    assert schakowsky.find("h3").text() == "Your message to Janice D. Schakowsky"
    assert schakowsky.find("p", "delivery-state").text().startswith("Ready for you to send")
    assert schakowsky.find("a", "call").attrs["href"] == "tel:+12022252111"
    assert schakowsky.find("a", "button").attrs["href"].startswith("https://")
    text = raw_text(schakowsky.find("textarea"))
    assert text.startswith("Dear Representative Janice D. Schakowsky,")
    assert SIGNER_OPENING in text and text.rstrip().endswith("Ana Quintero\nEvanston")
    assert "readonly" in schakowsky.find("textarea").attrs
    copy = schakowsky.find("button", "copy")
    assert copy.text() == "Copy the message"
    assert copy.attrs["data-copy"] == schakowsky.find("textarea").attrs["id"]
    assert "hidden" in copy.attrs  # shown by the page's script only, so it never appears without JavaScript
    assert rows["D000563"].find("a", "call").attrs["href"].startswith("tel:+1202224")

    others = {li.attrs["data-kind"]: li.find("p", "delivery-state").text()
              for li in doc.find_all("li", "delivery") if li.attrs["data-kind"] != "office_message"}
    assert others == {"receipt": "Waiting to be sent", "script_sms": "Waiting to be sent"}


def test_share_links_invite_without_personal_data(client, synced):
    _, response = send(client)
    html = client.get(f"/a/{status_token(response)}").get_data(as_text=True)
    share = parse(html).find("section", "share")
    assert share.find("input", id="share-link").attrs["value"] == f"http://localhost{ACTION_URL}"
    hrefs = [a.attrs["href"] for a in share.find_all("a")]
    sms = next(h for h in hrefs if h.startswith("sms:"))
    mail = next(h for h in hrefs if h.startswith("mailto:"))
    assert sms.startswith("sms:?&body=") and " " not in sms
    assert mail.startswith("mailto:?subject=") and "&body=" in mail and " " not in mail
    for link in (sms, mail):
        decoded = unquote(link)
        assert f"http://localhost{ACTION_URL}" in decoded
        assert "End the 287(g) program" in decoded
        for personal in ("Ana", "Quintero", "example.org", "Chicago Ave", "555"):
            assert personal not in decoded


def test_unknown_status_token_is_404(client, synced):
    assert client.get("/a/not-a-real-token").status_code == 404


def test_delete_my_data_erases_it_from_the_database_and_the_page(client, synced, db):
    _, response = send(client, script=True, personal_note="My cousin was deported.")
    token = status_token(response)
    page = client.get(f"/a/{token}").get_data(as_text=True)
    form = parse(page).find("section", "your-data").find("form")
    assert form.attrs["action"] == f"/a/{token}/delete"
    erased = client.post(form.attrs["action"], data={"csrf_token": csrf_token(page)})
    assert erased.status_code == 303 and erased.headers["Location"] == f"/a/{token}"

    db.session.expire_all()
    action = db.session.scalar(select(Action))
    assert action.erased_at is not None
    for name in ("prefix", "first_name", "last_name", "email", "street", "city", "zip_code", "phone",
                 "personal_note", "sms_consent_text"):
        assert getattr(action, name) is None, name
    for delivery in action.deliveries:
        assert (delivery.body, delivery.subject, delivery.recipient_name) == ("", "", "")
    assert {d.state for d in action.deliveries if d.kind is not DeliveryKind.OFFICE_MESSAGE} == {DeliveryState.SKIPPED}

    after = client.get(f"/a/{token}")
    assert after.headers["Cache-Control"] == "no-store"
    html = after.get_data(as_text=True)
    doc = parse(html)
    assert doc.find("h1").text() == "Your data was deleted"
    for personal in ("Ana", "Quintero", "ana.quintero", "Chicago Ave", "Evanston", "60202", "555", "cousin",
                     SIGNER_OPENING):
        assert personal not in html, personal
    assert doc.find("textarea") is None
    assert doc.find("section", "your-data") is None


def test_delete_needs_the_csrf_token(client, synced, db):
    _, response = send(client)
    token = status_token(response)
    assert client.post(f"/a/{token}/delete").status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(Action)).first_name == "Ana"


# --- privacy and the dev outbox ----------------------------------------------------------------

@pytest.fixture
def short_retention(app_config):
    app_config["RETENTION_DAYS"] = 45


def test_privacy_page_says_what_is_kept_and_for_how_long(short_retention, client, synced):
    home = parse(client.get("/").get_data(as_text=True))
    assert home.find("footer").find("a").attrs["href"] == "/privacy"
    text = parse(client.get("/privacy").get_data(as_text=True)).text()
    assert "We erase your street address and phone number 45 days after your messages are delivered." in text
    assert "for 4 years" in text
    assert "is not stored" in text
    assert "The organizers of the campaign" in text and "The offices you write to" in text
    assert "Delete my data" in text
    spanish = parse(client.get("/privacy?lang=es").get_data(as_text=True)).text()
    assert "Borramos su dirección y su número de teléfono 45 días después" in spanish
    assert "durante 4 años" in spanish


def test_dev_outbox_lists_console_messages(client, synced, app):
    _, response = send(client, script=True)
    status_token(response)
    assert run_once(app) == 2  # the receipt and the script; office messages are hand-offs
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    items = parse(page.get_data(as_text=True)).find_all("li", "outbox-item")
    kinds = sorted((i.find("dd", "kind").text(), i.find("dd", "medium").text(), i.find("dd", "state").text())
                   for i in items)
    assert kinds == [("receipt", "email", "sent"), ("script_sms", "sms", "sent")]
    receipt = next(i for i in items if i.find("dd", "kind").text() == "receipt")
    assert receipt.find("dd", "subject").text() == "Your message about: End the 287(g) program"
    assert "/a/" in receipt.find("pre", "body").text()


PRODUCTION = {"OUTREACH_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
              "SENDGRID_API_KEY": "SG.test", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "test",
              "TWILIO_FROM_NUMBER": "+15005550006"}


@pytest.fixture
def production(app_config):
    app_config.update(PRODUCTION)


def test_dev_outbox_is_404_in_production(production, client, db):
    db.session.add(Delivery(kind=DeliveryKind.RECEIPT, medium=Medium.EMAIL, recipient_key="constituent",
                            subject="Visible only in development", provider="console", state=DeliveryState.SENT))
    db.session.commit()
    response = client.get("/dev/outbox")
    assert response.status_code == 404
    assert "Visible only in development" not in response.get_data(as_text=True)


# --- custom email targets ----------------------------------------------------------------------

def test_custom_targets_get_the_message_by_email_with_reply_to_the_constituent(app, client, synced, db,
                                                                               fake_sendgrid):
    from outreach.delivery import outbox
    from outreach.delivery.channels.sendgrid_email import SendGridEmailChannel
    from outreach.models import Campaign, Delivery, DeliveryKind, Medium, Target

    campaign = db.session.scalar(select(Campaign))
    campaign.targets.append(Target(title="Secretary", name="Pat Example", email="secretary@example.gov"))
    db.session.commit()

    html, response = send(client)
    assert "also goes by email to:" in html and "Secretary Pat Example" in html
    status_token(response)

    target_email = db.session.scalar(select(Delivery).where(Delivery.kind == DeliveryKind.TARGET_EMAIL))
    assert target_email.state.value == "pending" and target_email.medium is Medium.EMAIL
    assert target_email.body.startswith("Dear Secretary Pat Example,")
    channels = {Medium.EMAIL: SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=2)}
    for delivery_id in outbox.claim_due(10):
        outbox.dispatch(delivery_id, channels, app.config)
    mails = {m["personalizations"][0]["to"][0]["email"]: m for m in fake_sendgrid.mails}
    assert set(mails) == {"secretary@example.gov", PERSON["email"]}
    assert mails["secretary@example.gov"]["reply_to"]["email"] == PERSON["email"]
    assert "reply_to" not in mails[PERSON["email"]]
