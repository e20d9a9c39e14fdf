"""GET /api/v1/lookup, on the fixture members and ZIP rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.campaigns import builtin
from outreach.models import Campaign, CampaignStatus

API = "/api/v1/lookup"
CAMPAIGN = "end-ice-entanglement"
MEMBER_KEYS = {"bioguide_id", "name", "chamber", "state", "district", "party", "phone", "contact_url"}
LEAD_SOURCE = builtin.signer_source(True)

SCHAKOWSKY = {"bioguide_id": "S001145", "name": "Janice D. Schakowsky", "chamber": "house", "state": "IL",
              "district": 9, "party": "Democrat", "phone": "202-225-2111",
              "contact_url": "https://schakowsky.house.gov"}
DURBIN = {"bioguide_id": "D000563", "name": "Richard J. Durbin", "chamber": "senate", "state": "IL",
          "district": None, "party": "Democrat", "phone": "202-224-2152",
          "contact_url": "https://www.durbin.senate.gov/contact/"}
DUCKWORTH = {"bioguide_id": "D000622", "name": "Tammy Duckworth", "chamber": "senate", "state": "IL",
             "district": None, "party": "Democrat", "phone": "202-224-2854",
             "contact_url": "https://www.duckworth.senate.gov/content/contact-senator"}


def lookup(client, **params):
    response = client.get(API, query_string=params)
    assert response.is_json, response.get_data(as_text=True)
    return response, response.get_json()


def by_id(body) -> dict[str, dict]:
    return {m["bioguide_id"]: m for m in body["members"]}


def assert_error(response, body, status: int, code: str) -> None:
    assert response.status_code == status
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()


# --- shape -------------------------------------------------------------------------------------

def test_zip_lookup_exact_shape(client, synced):
    response, body = lookup(client, zip="60202")
    assert response.status_code == 200
    assert body == {
        "ambiguous": False,
        "districts": [{"state": "IL", "district": 9, "vacant": False}],
        "members": [SCHAKOWSKY, DURBIN, DUCKWORTH],
    }
    for member in body["members"]:
        assert set(member) == MEMBER_KEYS  # no signature without a campaign


def test_zip_lookup_with_campaign_adds_signatures(client, synced):
    response, body = lookup(client, zip="60202", campaign=CAMPAIGN)
    assert response.status_code == 200
    assert body == {
        "ambiguous": False,
        "districts": [{"state": "IL", "district": 9, "vacant": False}],
        "members": [
            {**SCHAKOWSKY, "signature": {"status": "signed", "source": LEAD_SOURCE}},
            {**DURBIN, "signature": {"status": "not_eligible", "source": None}},
            {**DUCKWORTH, "signature": {"status": "not_eligible", "source": None}},
        ],
    }
    for member in body["members"]:
        assert set(member) == MEMBER_KEYS | {"signature"}
        assert set(member["signature"]) == {"status", "source"}


def test_zip_plus_four_is_accepted(client, synced):
    response, body = lookup(client, zip="60202-1234")
    assert response.status_code == 200
    assert [m["bioguide_id"] for m in body["members"]] == ["S001145", "D000563", "D000622"]


def test_split_zip_is_ambiguous_with_both_districts(client, synced):
    response, body = lookup(client, zip="10001")
    assert response.status_code == 200
    assert body["ambiguous"] is True
    assert body["districts"] == [{"state": "NY", "district": 10, "vacant": False},
                                 {"state": "NY", "district": 12, "vacant": False}]
    assert [m["bioguide_id"] for m in body["members"]] == ["G000599", "N000002", "S000148", "G000555"]
    assert [(m["chamber"], m["district"]) for m in body["members"]] == [
        ("house", 10), ("house", 12), ("senate", None), ("senate", None)]


def test_vacant_seat_has_no_house_member(client, synced):
    response, body = lookup(client, zip="94541")
    assert response.status_code == 200
    assert body["ambiguous"] is False
    assert body["districts"] == [{"state": "CA", "district": 14, "vacant": True}]
    assert [m["chamber"] for m in body["members"]] == ["senate", "senate"]
    assert [m["bioguide_id"] for m in body["members"]] == ["P000145", "S001150"]


def test_zip_in_two_states(client, synced):
    response, body = lookup(client, zip="82063")
    assert response.status_code == 200
    assert body["ambiguous"] is True
    assert body["districts"] == [{"state": "CO", "district": 2, "vacant": False},
                                 {"state": "WY", "district": 0, "vacant": False}]
    members = by_id(body)
    assert set(members) == {"N000191", "H001096", "B001267", "H000273", "B001261", "L000571"}
    senators = {m["state"] for m in body["members"] if m["chamber"] == "senate"}
    assert senators == {"CO", "WY"}
    assert sum(m["chamber"] == "senate" for m in body["members"]) == 4
    # Hageman's malformed contact form was dropped; her site is the contact link.
    assert members["H001096"]["contact_url"] == "https://hageman.house.gov"
    assert members["H001096"]["district"] == 0


def test_dc_has_only_its_delegate(client, synced):
    response, body = lookup(client, zip="20001", campaign=CAMPAIGN)
    assert response.status_code == 200
    assert body["districts"] == [{"state": "DC", "district": 0, "vacant": False}]
    assert [(m["bioguide_id"], m["chamber"], m["district"]) for m in body["members"]] == [("N000147", "house", 0)]
    assert body["members"][0]["signature"] == {"status": "not_listed", "source": None}


# --- errors ------------------------------------------------------------------------------------

def test_invalid_zip(client, synced):
    for zip_code in ("6020", "abcde", "602022", "60202-12"):
        response, body = lookup(client, zip=zip_code)
        assert_error(response, body, 400, "invalid_zip")


def test_missing_query(client, synced):
    for params in ({}, {"zip": ""}, {"zip": "  ", "address": " "}, {"campaign": CAMPAIGN}):
        response, body = lookup(client, **params)
        assert_error(response, body, 400, "missing_query")


def test_unknown_zip_not_found(client, synced):
    response, body = lookup(client, zip="99999")
    assert_error(response, body, 404, "not_found")
    assert "99999" in body["error"]["message"]


def test_unknown_campaign(client, synced):
    response, body = lookup(client, zip="60202", campaign="no-such-campaign")
    assert_error(response, body, 404, "campaign_not_found")
    # Checked before the lookup: a bad ZIP with a bad campaign still reports the campaign.
    response, body = lookup(client, zip="6020", campaign="no-such-campaign")
    assert_error(response, body, 404, "campaign_not_found")


def test_draft_campaign_is_not_found(client, synced, db):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == CAMPAIGN))
    campaign.status = CampaignStatus.DRAFT
    db.session.commit()
    response, body = lookup(client, zip="60202", campaign=CAMPAIGN)
    assert_error(response, body, 404, "campaign_not_found")


def test_address_with_geocoder_off(client, synced):
    response, body = lookup(client, address="1800 Sherman Ave, Evanston, IL 60201")
    assert_error(response, body, 400, "address_lookup_disabled")


class TestWithCensusGeocoder:
    @pytest.fixture
    def app_config(self, census_app_config):
        return census_app_config

    def test_address_lookup(self, client, synced, fake_census):
        fake_census.add_examples()
        response, body = lookup(client, address="1800 Sherman Ave, Evanston, IL 60201", campaign=CAMPAIGN)
        assert response.status_code == 200
        assert body["ambiguous"] is False
        assert body["districts"] == [{"state": "IL", "district": 9, "vacant": False}]
        assert [m["bioguide_id"] for m in body["members"]] == ["S001145", "D000563", "D000622"]
        assert body["members"][0]["signature"]["status"] == "signed"
        assert fake_census.requests[-1]["address"] == "1800 Sherman Ave, Evanston, IL 60201"

    def test_address_wins_over_zip(self, client, synced, fake_census):
        fake_census.add_examples()
        response, body = lookup(client, address="2000 S State St, Chicago, IL 60616", zip="10001")
        assert response.status_code == 200
        assert body["districts"] == [{"state": "IL", "district": 7, "vacant": False}]
        assert body["members"][0]["bioguide_id"] == "D000096"

    def test_geocoder_unavailable(self, client, synced, fake_census):
        fake_census.fail()
        response, body = lookup(client, address="1800 Sherman Ave, Evanston, IL 60201")
        assert_error(response, body, 503, "geocoder_unavailable")
        assert "Sherman" not in body["error"]["message"]

    def test_unmatched_address(self, client, synced, fake_census):
        response, body = lookup(client, address="1 Nowhere Rd, Springfield, XX")
        assert_error(response, body, 404, "not_found")

    def test_malformed_address(self, client, synced, fake_census):
        response, body = lookup(client, address="Main St")
        assert_error(response, body, 400, "invalid_address")
        assert fake_census.requests == []


# --- signing status per person -----------------------------------------------------------------

# (ZIP, bioguide, status) from tests/fixtures/README.md.
STATUSES = [
    ("60202", "S001145", "signed"),            # lead signer, still IL-9
    ("60640", "Q000023", "signed"),            # lead signer, IL-5
    ("60601", "D000096", "not_listed"),        # House member in 2021, not on our list
    ("10001", "N000002", "not_listed"),        # NY-10 then, NY-12 now
    ("20001", "N000147", "not_listed"),        # delegate
    ("82063", "N000191", "not_listed"),        # CO-2
    ("94541", "S001150", "not_listed"),        # Schiff: House in 2021, Senate now
    ("94541", "P000145", "not_eligible"),      # Padilla: Senate appointee in 2021
    ("60202", "D000563", "not_eligible"),
    ("60202", "D000622", "not_eligible"),      # former House member, Senate in 2021
    ("10001", "S000148", "not_eligible"),
    ("10001", "G000555", "not_eligible"),
    ("82001", "B001261", "not_eligible"),
    ("82001", "L000571", "not_eligible"),      # former House WY-0, Senate since 2021-01-03
    ("82063", "B001267", "not_eligible"),
    ("82063", "H000273", "not_eligible"),
    ("10001", "G000599", "not_in_office"),     # Goldman: first term 2023
    ("82001", "H001096", "not_in_office"),     # Hageman: first term 2023
]


def test_signing_status_per_person(client, synced):
    """One request per ZIP (the database is loaded once); every person checked against the README table."""
    found = {}
    for zip_code in sorted({z for z, _, _ in STATUSES}):
        response, body = lookup(client, zip=zip_code, campaign=CAMPAIGN)
        assert response.status_code == 200
        found.update({(zip_code, bioguide): m["signature"] for bioguide, m in by_id(body).items()})
    expected = {(z, b): {"status": s, "source": LEAD_SOURCE if s == "signed" else None} for z, b, s in STATUSES}
    assert {key: found.get(key) for key in expected} == expected


def test_both_california_senators_for_94541(client, synced):
    response, body = lookup(client, zip="94541", campaign=CAMPAIGN)
    members = by_id(body)
    assert set(members) == {"P000145", "S001150"}
    assert all(m["chamber"] == "senate" and m["state"] == "CA" and m["district"] is None for m in members.values())
    assert members["S001150"]["signature"]["status"] == "not_listed"
    assert members["P000145"]["signature"]["status"] == "not_eligible"


def test_every_status_appears(client, synced):
    seen = set()
    for zip_code in ("60202", "60601", "10001", "94541"):
        _, body = lookup(client, zip=zip_code, campaign=CAMPAIGN)
        seen |= {m["signature"]["status"] for m in body["members"]}
    assert seen == {"signed", "not_listed", "not_eligible", "not_in_office"}
