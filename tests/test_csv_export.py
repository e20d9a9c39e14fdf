"""CSV export of a campaign's actions: formula cells escaped, login required, an attachment, streamed."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from outreach.actions.services import erase_action
from outreach.campaigns import reports
from outreach.campaigns.reports import csv_safe
from tests.report_factories import builtin_campaign, make_action


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+13125550100", "'+13125550100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Ana", "Ana"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (9, "9"),
    (-1, "'-1"),
])
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


@pytest.fixture
def campaign(db, synced):
    return builtin_campaign()


def export_url(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}/actions.csv"


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_login_required(client, campaign):
    response = client.get(export_url(campaign))
    assert response.status_code in (302, 401)
    assert "text/csv" not in response.headers.get("Content-Type", "")


def test_unknown_campaign_is_404(dashboard_client, campaign):
    assert dashboard_client.get("/dashboard/campaigns/999999/actions.csv").status_code == 404


def test_export_is_an_attachment_with_a_row_per_action(dashboard_client, db, campaign):
    make_action(campaign, at=datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc), email="ana@example.org",
                phone="+13125550100", text_me_script=True)
    make_action(campaign, demand=1, seat=("DC", 0), locale="es", first_name="Luz", last_name="Ortiz",
                at=datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    response = dashboard_client.get(export_url(campaign))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="end-ice-entanglement-actions.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    rows = read_csv(response)
    assert list(rows[0]) == list(reports.EXPORT_COLUMNS)
    first, second = rows
    assert first["created_at"] == "2026-03-01T23:59:00Z"
    assert first["demand"] == campaign.demands[0].slug and (first["state"], first["district"]) == ("IL", "9")
    assert first["members_messaged"] == "S001145 D000563 D000622"
    assert "S001145:handoff" in first["delivery_states"] and "script_sms:pending" in first["delivery_states"]
    assert "receipt:pending" in first["delivery_states"]
    assert (first["first_name"], first["email"], first["phone"]) == ("Ana", "ana@example.org", "'+13125550100")
    assert (second["demand"], second["locale"], second["members_messaged"]) == (
        campaign.demands[1].slug, "es", "N000147")


def test_formula_cells_from_constituents_are_escaped(dashboard_client, db, campaign):
    make_action(campaign, first_name="=HYPERLINK(\"http://evil.example\",\"click\")", last_name="@SUM(1+1)",
                email="-x@example.org")
    row = read_csv(dashboard_client.get(export_url(campaign)))[0]
    assert row["first_name"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert row["last_name"] == "'@SUM(1+1)" and row["email"] == "'-x@example.org"


def test_erased_contact_details_are_not_exported(dashboard_client, db, campaign):
    erased = make_action(campaign, email="gone@example.org", phone="+13125550111", text_me_script=True)
    retained = make_action(campaign, email="kept@example.org", phone="+13125550122", text_me_script=True)
    erase_action(erased)
    retained.phone = None  # as retention leaves it (erase_expired_contact_details)
    db.session.commit()
    rows = read_csv(dashboard_client.get(export_url(campaign)))
    assert [(r["first_name"], r["email"], r["phone"], r["data_erased"]) for r in rows] == [
        ("", "", "", "yes"), ("Ana", "kept@example.org", "", "no")]
    assert rows[0]["state"] == "IL"  # anonymous facts stay


def test_large_exports_are_read_in_batches(dashboard_client, db, campaign, monkeypatch):
    monkeypatch.setattr(reports, "EXPORT_BATCH", 2)
    made = [make_action(campaign, first_name=f"P{i}") for i in range(5)]
    rows = read_csv(dashboard_client.get(export_url(campaign)))
    assert [r["first_name"] for r in rows] == [f"P{i}" for i in range(5)]
    assert len(made) == 5
