"""The report page, its roster-change warning, and the Congress data page."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml import html as lxml_html

from outreach.congress.roster import current_roster
from outreach.models import DataSync
from tests.report_factories import builtin_campaign, make_action


@pytest.fixture
def campaign(db, synced):
    return builtin_campaign()


def report_url(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}/report"


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    main = doc.find(".//main")
    # The coming Content-Security-Policy forbids inline styles, scripts and handlers.
    assert not main.xpath(".//*[@style]") and not main.xpath(".//script")
    assert not main.xpath(".//@*[starts-with(name(), 'on')]")
    return doc


def cell(doc, table_class: str, row_label: str) -> list[str]:
    rows = doc.xpath(f"//table[contains(@class, '{table_class}')]//tr[th[normalize-space()='{row_label}']]")
    assert rows, f"no row {row_label!r} in {table_class}"
    return [td.text_content().strip() for td in rows[0].findall("td")]


@pytest.mark.parametrize("path", ["/dashboard/campaigns/1/report", "/dashboard/data"])
def test_login_required(client, synced, path):
    assert client.get(path).status_code in (302, 401)


def test_unknown_campaign_is_404(dashboard_client, synced):
    assert dashboard_client.get("/dashboard/campaigns/999999/report").status_code == 404


def test_report_of_the_builtin_campaign_without_actions(dashboard_client, campaign):
    doc = page(dashboard_client, report_url(campaign))
    assert doc.findtext(".//h1") == campaign.title
    assert doc.xpath("//a[@href=$u]", u=f"/dashboard/campaigns/{campaign.id}/actions.csv")
    assert "No actions yet." in doc.text_content()
    assert [cell(doc, "by-demand", d.title) for d in campaign.demands] == [["0"]] * 3
    # The state map is drawn even with no actions; the freshness panel reads the fixture sync.
    assert doc.xpath("//*[local-name()='svg']/*[local-name()='title'][text()='Actions by state']")
    text = doc.text_content()
    assert "119th" in text and "CA-14" in text and "H001096: malformed contact_form ignored" in text
    # Seeding may or may not take a launch snapshot; either way the page says which, and warns of nothing.
    assert ("No seat has changed hands" if campaign.launch_roster else "no launch snapshot") in text
    assert not doc.xpath("//*[contains(@class, 'roster-warning')]")


def test_report_shows_the_numbers(dashboard_client, db, campaign):
    make_action(campaign, at=datetime(2026, 3, 1, 12, tzinfo=timezone.utc), email="ana@example.org")
    make_action(campaign, demand=1, seat=("DC", 0), at=datetime(2026, 3, 3, 12, tzinfo=timezone.utc))
    campaign.status = campaign.status.CLOSED  # closed: the chart ends at the last action, not today
    db.session.commit()
    doc = page(dashboard_client, report_url(campaign))
    assert cell(doc, "by-demand", campaign.demands[0].title) == ["1"]
    assert cell(doc, "by-demand", campaign.demands[1].title) == ["1"]
    assert cell(doc, "by-state", "IL") == ["1"] and cell(doc, "by-state", "DC") == ["1"]
    assert cell(doc, "daily", "2026-03-02") == ["0"]
    assert cell(doc, "deliveries-by-state", "handoff") == ["4"]
    assert cell(doc, "deliveries-by-state", "pending") == ["1"]
    assert cell(doc, "deliveries-by-medium", "email") == ["1"]
    assert cell(doc, "signer-split", "Signed the letter") == ["1", "1", "1"]
    member = doc.xpath("//table[contains(@class, 'by-member')]//tr[@data-bioguide='S001145']/td")
    assert [td.text_content().strip() for td in member][:3] == ["Signed", "1", "1"]
    bars = doc.xpath("//*[local-name()='g'][@class='bars']/*[local-name()='rect']")
    assert [b.get("data-count") for b in bars] == ["1", "0", "1"]
    tile = doc.xpath("//*[local-name()='g'][@data-state='IL']")[0]
    assert tile.get("data-bucket") != "0"


def test_roster_change_since_launch_is_a_warning(dashboard_client, db, campaign):
    make_action(campaign, at=datetime(2026, 3, 1, 12, tzinfo=timezone.utc))
    roster = current_roster()
    roster["IL-9"] = "B000574"       # someone else held IL-9 at launch (a person the data knows)
    roster["CA-14"] = "S001193"      # CA-14 was filled at launch and is vacant now
    campaign.launch_roster = roster
    campaign.launched_at = datetime(2026, 2, 1, tzinfo=timezone.utc)
    db.session.commit()
    doc = page(dashboard_client, report_url(campaign))
    warning = doc.xpath("//*[contains(@class, 'roster-warning')]")
    assert warning and warning[0].get("role") == "alert"
    assert cell(doc, "data", "IL-9") == ["Earl Blumenauer (B000574)", "Janice D. Schakowsky (S001145)", "0"]
    assert cell(doc, "data", "CA-14") == ["S001193 (S001193)", "vacant", "0"]


def test_no_warning_when_the_roster_is_unchanged(dashboard_client, db, campaign):
    campaign.launch_roster = current_roster()
    db.session.commit()
    doc = page(dashboard_client, report_url(campaign))
    assert not doc.xpath("//*[contains(@class, 'roster-warning')]")
    assert "No seat has changed hands" in doc.text_content()


def test_no_snapshot_says_so(dashboard_client, db, campaign):
    campaign.launch_roster = None
    db.session.commit()
    doc = page(dashboard_client, report_url(campaign))
    assert not doc.xpath("//*[contains(@class, 'roster-warning')]")
    assert "no launch snapshot" in doc.text_content()


def test_data_status_page(dashboard_client, synced):
    doc = page(dashboard_client, "/dashboard/data")
    text = doc.text_content()
    assert doc.findtext(".//h1") == "Congress data"
    for seat in ("CA-14", "AS-0", "GU-0", "MP-0", "PR-0", "VI-0"):
        assert seat in text
    assert "6 vacant" in text and "10 senators" in text
    assert "H001096: malformed contact_form ignored" in text


def test_data_status_before_any_sync(dashboard_client, db):
    assert db.session.query(DataSync).count() == 0
    assert "never been synced" in page(dashboard_client, "/dashboard/data").text_content()


def test_old_data_gets_a_notice(dashboard_client, db, synced):
    from datetime import timedelta

    from outreach.models.base import utcnow

    doc = page(dashboard_client, "/dashboard/data")
    assert not doc.xpath("//*[contains(@class, 'stale')]") and "less than an hour ago" in doc.text_content()
    last = db.session.query(DataSync).one()
    last.synced_at = utcnow() - timedelta(days=10)
    db.session.commit()
    doc = page(dashboard_client, "/dashboard/data")
    assert "last synced 10 days ago" in doc.xpath("//*[contains(@class, 'stale')]")[0].text_content()
