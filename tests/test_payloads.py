"""Hostile input: script in every public field renders inert, no open redirect after login, no line break in
an email header, and no spreadsheet formula in an exported cell."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from outreach.delivery.channels.base import OutgoingMessage
from outreach.delivery.channels.sendgrid_email import build_mail
from tests.conftest import ORGANIZER_PASSWORD, csrf_token
from tests.test_action_form import PERSON, WRITE_URL, filled, open_write_page, send, status_token
from tests.test_pages import ACTION_URL

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)//",
    "{{ 7*7 }}{% raw %}",
]
def assert_inert(html: str) -> None:
    for piece in ("<script>alert(1)", "<img src=x onerror", "<svg onload"):
        assert piece not in html, piece
    assert "49{% raw %}" not in html  # never evaluated as a template


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_in_the_write_form_renders_inert_everywhere(client, synced, db, payload):
    fields = {"first_name": payload, "last_name": payload, "city": payload, "street": payload,
              "personal_note": payload, "prefix": ""}
    # Shown back with an error first (the form keeps what was typed)...
    html = open_write_page(client).get_data(as_text=True)
    refused = client.post(WRITE_URL, data=filled(html, email="not-an-address", **fields))
    assert refused.status_code == 200
    assert_inert(refused.get_data(as_text=True))
    # ...then accepted, and shown on the status page and in the development outbox.
    data = filled(html, **fields)
    data["body_signer"] = data.get("body_signer", "") + payload
    response = client.post(WRITE_URL, data=data)
    token = status_token(response)
    status = client.get(f"/a/{token}").get_data(as_text=True)
    assert_inert(status)
    assert "&lt;" in status or "&#34;" in status or "&#39;" in status or payload in status
    assert_inert(client.get("/dev/outbox").get_data(as_text=True))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_in_lookup_and_subscribe_fields_renders_inert(client, synced, payload):
    token = csrf_token(client.get(ACTION_URL).get_data(as_text=True))
    for data in ({"zip_code": payload}, {"address": payload}, {"zip_code": "10001", "seat": payload}):
        assert_inert(client.post(ACTION_URL, data={"csrf_token": token, **data}).get_data(as_text=True))
    for url, data in (("/subscribe", {"phone": payload, "zip_code": payload, "language": payload, "consent": "y"}),
                      ("/unsubscribe", {"phone": payload})):
        html = client.get(url).get_data(as_text=True)
        response = client.post(url, data={"csrf_token": csrf_token(html), "website": payload, **data})
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True))
    api = client.get("/api/v1/lookup", query_string={"zip": payload, "campaign": payload})
    assert api.mimetype == "application/json"


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>', "<iframe src=//evil.example></iframe>", '<p style="x">y</p>',
])
def test_organizer_markdown_renders_inert(text):
    from outreach.campaigns.markdown import render_markdown

    html = str(render_markdown(text)).lower()
    for piece in ("<script", "javascript:", "onerror", "<iframe", "<img", "style="):
        assert piece not in html


# --- open redirects after login -------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example", "///evil.example",
                                    "/\t/evil.example", "http:evil.example", "//evil.example/%2F.."])
def test_login_never_redirects_off_site(client, organizer, target):
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200
    response = client.post("/login?" + f"next={target}", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": organizer.email,
        "password": ORGANIZER_PASSWORD})
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost") and not location.startswith("//") and "evil.example" not in location


# --- email headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Ana\r\nBcc: everyone@example.org", "Ana\nSubject: hi", "Ana\u2028Cc: x@example.org",
                                  "Ana\x00\rTo: x@example.org"])
def test_line_breaks_never_reach_a_mail_header(name):
    mail = build_mail(OutgoingMessage(delivery_id=1, delivery_key="0" * 32, to="target@example.gov\r\n", body="b",
                                      subject=f"Message from {name}", to_name=name, from_name=name,
                                      from_email="outreach@example.org", reply_to=f"ana@example.org\r\nBcc: x"))
    headers = [mail["subject"], mail["from"]["name"], mail["from"]["email"], mail["reply_to"]["email"],
               *[v for to in mail["personalizations"][0]["to"] for v in to.values()]]
    for value in headers:
        assert not any(c in value for c in "\r\n\x00\u2028\u2029"), value


def test_a_target_name_with_line_breaks_is_sent_on_one_line(app, client, synced, db, fake_sendgrid):
    """The organizer-entered target and the constituent's receipt, through the SendGrid SDK to the fake."""
    from outreach.delivery import outbox
    from outreach.delivery.channels.sendgrid_email import SendGridEmailChannel
    from outreach.models import Campaign, Medium, Target

    campaign = db.session.scalar(select(Campaign))
    campaign.targets.append(Target(title="Secretary\r\nBcc: all@example.org", name="Pat\nExample",
                                   email="secretary@example.gov"))
    db.session.commit()
    status_token(send(client)[1])
    channels = {Medium.EMAIL: SendGridEmailChannel(fake_sendgrid.api_key, host=fake_sendgrid.host, timeout=2)}
    for delivery_id in outbox.claim_due(10):
        outbox.dispatch(delivery_id, channels, app.config)
    assert len(fake_sendgrid.mails) == 2
    for mail in fake_sendgrid.mails:
        values = [mail["subject"], *mail["from"].values(), *mail.get("reply_to", {}).values(),
                  *[v for to in mail["personalizations"][0]["to"] for v in to.values()]]
        for value in values:
            assert "\r" not in value and "\n" not in value, value


def test_line_breaks_in_names_are_refused_by_the_form(client, synced, db):
    _, response = send(client, first_name="Ana\r\nBcc: everyone@example.org")
    assert response.status_code == 200 and "Write this on one line" in response.get_data(as_text=True)


# --- CSV export ------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_cells_never_start_a_formula(value):
    from outreach.campaigns.reports import csv_safe

    assert csv_safe(value).startswith("'")
    assert csv_safe("Ana") == "Ana"


def test_the_actions_export_escapes_formulas(admin_client, synced, db):
    from outreach.models import Campaign

    html = open_write_page(admin_client).get_data(as_text=True)
    data = filled(html, first_name="=HYPERLINK(\"http://evil.example\")", last_name="+SUM(A1)")
    status_token(admin_client.post(WRITE_URL, data=data))
    campaign = db.session.scalar(select(Campaign))
    response = admin_client.get(f"/dashboard/campaigns/{campaign.id}/actions.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and rows[0]["first_name"].startswith("'=") and rows[0]["last_name"].startswith("'+")
    for row in rows:
        for cell in row.values():
            assert not (cell or "").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert PERSON["email"] in {row["email"] for row in rows}
