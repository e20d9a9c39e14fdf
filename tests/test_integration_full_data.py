"""The acceptance cases of the action-pages issue, on the full data from OUTREACH_DATA_DIR."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def api(full_app):
    client = full_app.test_client()

    def get(**params):
        response = client.get("/api/v1/lookup", query_string=params)
        return response.status_code, response.get_json()

    return get


def members_by_id(body):
    return {m["bioguide_id"]: m for m in body["members"]}


def test_sync_counts_the_seats(full_app):
    report = full_app.config["FULL_SYNC_REPORT"]
    assert report.congress == 119
    assert report.counts["house_seats_filled"] == 431
    assert report.counts["house_seats_vacant"] == 4
    assert sorted(report.vacancies) == ["CA-14", "FL-20", "GA-13", "TX-23"]
    assert report.counts["delegates_filled"] == 6
    assert report.counts["senators"] == 100
    assert report.counts["zip_rows"] == 42033


def test_60202_is_schakowsky_who_signed(api):
    status, body = api(zip="60202", campaign="end-ice-entanglement")
    assert status == 200
    assert body["ambiguous"] is False
    assert body["districts"] == [{"state": "IL", "district": 9, "vacant": False}]
    members = members_by_id(body)
    schakowsky = members.pop("S001145")
    assert schakowsky["name"] == "Janice D. Schakowsky"
    assert schakowsky["chamber"] == "house" and schakowsky["district"] == 9
    assert schakowsky["signature"]["status"] == "signed"
    assert "2021" in schakowsky["signature"]["source"]
    assert {m["chamber"] for m in members.values()} == {"senate"}
    assert {m["signature"]["status"] for m in members.values()} == {"not_eligible"}
    assert len(members) == 2


def test_10001_is_ambiguous_between_ny10_and_ny12(api):
    status, body = api(zip="10001")
    assert status == 200
    assert body["ambiguous"] is True
    assert [(d["state"], d["district"]) for d in body["districts"]] == [("NY", 10), ("NY", 12)]
    house = [m for m in body["members"] if m["chamber"] == "house"]
    assert sorted(m["district"] for m in house) == [10, 12]
    assert "signature" not in body["members"][0]


def test_20001_is_norton_and_no_senators(api):
    status, body = api(zip="20001", campaign="end-ice-entanglement")
    assert status == 200
    assert [m["name"] for m in body["members"]] == ["Eleanor Holmes Norton"]
    assert body["members"][0]["district"] == 0
    assert body["members"][0]["signature"]["status"] == "not_listed"


def test_vacant_seat_is_listed_without_a_member(api, full_app):
    with full_app.app_context():
        from sqlalchemy import select

        from outreach.extensions import db
        from outreach.models import ZipDistrict

        vacant_zip = db.session.scalar(select(ZipDistrict.zcta).where(
            ZipDistrict.state == "CA", ZipDistrict.district == 14).limit(1))
    status, body = api(zip=vacant_zip)
    assert status == 200
    assert {"state": "CA", "district": 14, "vacant": True} in body["districts"]
    assert not [m for m in body["members"] if m["chamber"] == "house" and m["district"] == 14]


def test_senator_who_was_in_the_house_in_2021_is_not_listed(api):
    # Schiff (CA) sat in the House on 2021-02-11; Padilla was already a senator.
    status, body = api(zip="90210", campaign="end-ice-entanglement")
    senators = {m["name"]: m["signature"]["status"] for m in body["members"] if m["chamber"] == "senate"}
    assert senators["Adam B. Schiff"] == "not_listed"
    assert senators["Alex Padilla"] == "not_eligible"


def test_a_signer_who_is_now_a_representative_elsewhere_keeps_signed(api):
    # Judy Chu signed as CA-27 and represents CA-28 since redistricting; status follows the person.
    status, body = api(zip="91101", campaign="end-ice-entanglement")
    chu = members_by_id(body).get("C001080")
    assert chu is not None and chu["signature"]["status"] == "signed"


def test_campaign_page_lists_signers_with_their_roles(full_app):
    html = full_app.test_client().get("/c/end-ice-entanglement").get_data(as_text=True)
    assert "Janice D. Schakowsky" in html
    assert "Earl Blumenauer" in html and "Has left Congress" in html
    assert "We know 15 of the signers" in html
    assert "11 still serve in the House, 0 are now in the Senate and 4 have left Congress" in html
