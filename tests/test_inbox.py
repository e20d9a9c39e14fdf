"""The organizers' SMS inbox: newest first, paginated, numbers masked, mark read with CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import html as lxml_html

from outreach.models import ConsentRecord, InboundMessage, Subscriber, SubscriberStatus
from outreach.web.dashboard import inbox as inbox_module
from outreach.web.dashboard.inbox import mask_phone
from tests.conftest import csrf_token

START = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("phone, masked", [
    ("+13125550100", "+•••••••0100"),
    ("+1 (312) 555-0100", "+• (•••) •••-0100"),
    ("0100", "0100"),
    ("", ""),
    (None, ""),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.fixture
def messages(db):
    consent = ConsentRecord(phone="+13125550100", source="web_form", disclosure_text="yes", disclosure_version="1")
    subscriber = Subscriber(phone="+13125550100", consent=consent, status=SubscriberStatus.ACTIVE)
    db.session.add(subscriber)
    db.session.flush()
    rows = [
        InboundMessage(phone="+13125550100", body="Where is the rally?", received_at=START,
                       subscriber_id=subscriber.id, provider_id="SM1"),
        InboundMessage(phone="+17735550199", body="<b>who is this</b>", received_at=START + timedelta(hours=1),
                       provider_id="SM2"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def rows_of(response):
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    return doc, doc.xpath("//table[contains(@class, 'inbox')]/tbody/tr")


def test_login_required(client, db):
    assert client.get("/dashboard/inbox").status_code in (302, 401)


def test_newest_first_with_masked_numbers(dashboard_client, messages):
    response = dashboard_client.get("/dashboard/inbox")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    doc, rows = rows_of(response)
    assert [r.get("id") for r in rows] == [f"message-{messages[1].id}", f"message-{messages[0].id}"]
    newest, oldest = rows
    assert newest.xpath(".//span[contains(@class, 'masked')]")[0].text == "+•••••••0199"
    assert "not a subscriber" in newest.text_content() and "subscriber, active" in oldest.text_content()
    # The full number is only inside the closed "Show number" disclosure; the body is escaped text.
    assert newest.xpath(".//details/span")[0].text == "+17735550199"
    assert newest.xpath(".//details")[0].get("open") is None
    assert newest.xpath(".//td[@class='body']")[0].text == "<b>who is this</b>"
    assert all("unread" in r.get("class") for r in rows)
    assert "2 unread of 2" in doc.text_content()


def test_mark_read_and_unread_with_csrf(dashboard_client, db, messages):
    html = dashboard_client.get("/dashboard/inbox").get_data(as_text=True)
    token = csrf_token(html)
    target = messages[0].id
    response = dashboard_client.post(f"/dashboard/inbox/{target}/read", data={"csrf_token": token, "read": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#message-{target}")
    db.session.expire_all()
    assert db.session.get(InboundMessage, target).read_at is not None
    assert db.session.get(InboundMessage, messages[1].id).read_at is None
    doc, rows = rows_of(dashboard_client.get("/dashboard/inbox"))
    assert "1 unread of 2" in doc.text_content()
    assert "read" == rows[1].get("class") and "Mark as unread" in rows[1].text_content()

    dashboard_client.post(f"/dashboard/inbox/{target}/read", data={"csrf_token": token, "read": "0"})
    db.session.expire_all()
    assert db.session.get(InboundMessage, target).read_at is None


def test_mark_read_without_csrf_is_refused(dashboard_client, db, messages):
    response = dashboard_client.post(f"/dashboard/inbox/{messages[0].id}/read", data={"read": "1"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(InboundMessage, messages[0].id).read_at is None


def test_mark_read_of_a_missing_message_is_404(dashboard_client, messages):
    token = csrf_token(dashboard_client.get("/dashboard/inbox").get_data(as_text=True))
    assert dashboard_client.post("/dashboard/inbox/999999/read", data={"csrf_token": token}).status_code == 404


def test_pages(dashboard_client, db, monkeypatch):
    monkeypatch.setattr(inbox_module, "PER_PAGE", 2)
    db.session.add_all([InboundMessage(phone="+13125550100", body=f"m{i}", received_at=START + timedelta(minutes=i))
                        for i in range(5)])
    db.session.commit()

    def bodies(page: int) -> list[str]:
        _, rows = rows_of(dashboard_client.get(f"/dashboard/inbox?page={page}"))
        return [r.xpath(".//td[@class='body']")[0].text for r in rows]

    assert [bodies(1), bodies(2), bodies(3)] == [["m4", "m3"], ["m2", "m1"], ["m0"]]
    assert bodies(99) == ["m0"] and bodies(0) == ["m4", "m3"]  # out of range: the nearest page
    doc, _ = rows_of(dashboard_client.get("/dashboard/inbox?page=2"))
    assert doc.xpath("//a[@rel='prev']/@href") == ["/dashboard/inbox?page=1"]
    assert doc.xpath("//a[@rel='next']/@href") == ["/dashboard/inbox?page=3"]


def test_empty_inbox(dashboard_client, db):
    assert "No texts yet." in dashboard_client.get("/dashboard/inbox").get_data(as_text=True)
