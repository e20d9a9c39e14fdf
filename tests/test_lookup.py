"""ZIP and address lookup, on the fixture members and ZIP rows."""

from __future__ import annotations

import pytest

from outreach.congress.geocoder import CensusGeocoder
from outreach.congress.lookup import LookupFailed, find_representation, lookup_zip, normalize_zip


def ids(result):
    return [m.bioguide_id for m in result.members]


def seats(result):
    return [(d.state, d.district, d.vacant) for d in result.districts]


@pytest.fixture
def census(fake_census):
    fake_census.add_examples()
    return CensusGeocoder(fake_census.base_url, "Public_AR_Current", "ACS2025_Current", timeout=1.0)


def test_single_district_zip(synced):
    result = lookup_zip("60202")
    assert not result.ambiguous
    assert seats(result) == [("IL", 9, False)]
    assert ids(result) == ["S001145", "D000563", "D000622"]


def test_split_zip_gives_every_candidate(synced):
    result = lookup_zip("10001")
    assert result.ambiguous
    assert seats(result) == [("NY", 10, False), ("NY", 12, False)]
    assert ids(result) == ["G000599", "N000002", "S000148", "G000555"]


def test_zip_in_two_states_shows_both_states(synced):
    result = lookup_zip("82063")
    assert result.ambiguous
    assert seats(result) == [("CO", 2, False), ("WY", 0, False)]
    assert set(ids(result)) == {"N000191", "H001096", "B001267", "H000273", "B001261", "L000571"}


def test_at_large_state(synced):
    result = lookup_zip("82001")
    assert seats(result) == [("WY", 0, False)]
    assert ids(result) == ["H001096", "B001261", "L000571"]


def test_dc_has_its_delegate_and_no_senators(synced):
    result = lookup_zip("20001")
    assert seats(result) == [("DC", 0, False)]
    assert ids(result) == ["N000147"]


def test_vacant_seat_is_marked_and_has_no_member(synced):
    result = lookup_zip("94541")
    assert seats(result) == [("CA", 14, True)]
    assert ids(result) == ["P000145", "S001150"]


@pytest.mark.parametrize("raw", ["60202", " 60202 ", "60202-1234", "602021234"])
def test_zip_forms_accepted(raw):
    assert normalize_zip(raw) == "60202"


@pytest.mark.parametrize("raw", ["", "6020", "602022", "abcde", "60202-12", None, "60 202"])
def test_malformed_zip_is_invalid(raw):
    with pytest.raises(LookupFailed) as failure:
        normalize_zip(raw)
    assert failure.value.code == "invalid_zip" and failure.value.http_status == 400


def test_unknown_zip_is_not_found(synced):
    with pytest.raises(LookupFailed) as failure:
        lookup_zip("99999")
    assert failure.value.code == "not_found" and failure.value.http_status == 404


def test_picking_a_candidate_district(synced):
    result = find_representation(zip_code="10001", seat="NY-12")
    assert seats(result) == [("NY", 12, False)]
    assert ids(result) == ["N000002", "S000148", "G000555"]


def test_picking_a_district_outside_the_zip_is_refused(synced):
    with pytest.raises(LookupFailed) as failure:
        find_representation(zip_code="10001", seat="IL-9")
    assert failure.value.code == "invalid_district"


def test_nothing_entered(synced):
    with pytest.raises(LookupFailed) as failure:
        find_representation(zip_code="  ", address="")
    assert failure.value.code == "missing_query"


def test_address_goes_to_exactly_one_district(synced, census, fake_census):
    result = find_representation(address="1600 Main St, Evanston, IL 60202", zip_code="60640", geocoder=census)
    assert seats(result) == [("IL", 9, False)]
    assert ids(result) == ["S001145", "D000563", "D000622"]
    assert fake_census.requests[-1]["vintage"] == "ACS2025_Current"


def test_dc_address_maps_delegate_code_98(synced, census):
    result = find_representation(address="1600 Pennsylvania Ave NW, Washington, DC 20500", geocoder=census)
    assert seats(result) == [("DC", 0, False)]


def test_unmatched_address(synced, census):
    with pytest.raises(LookupFailed) as failure:
        find_representation(address="1 Nowhere Rd, Springfield, XX", geocoder=census)
    assert failure.value.code == "not_found"


def test_geocoder_down(synced, census, fake_census):
    fake_census.fail(500)
    with pytest.raises(LookupFailed) as failure:
        find_representation(address="1600 Main St, Evanston, IL 60202", geocoder=census)
    assert failure.value.code == "geocoder_unavailable" and failure.value.http_status == 503


def test_geocoder_answering_for_another_congress(synced, fake_census):
    fake_census.add("500 Congress Ave, Austin, TX", "48", "TX", "10", congress=120)
    geocoder = CensusGeocoder(fake_census.base_url, "Public_AR_Current", "Current_Current", timeout=1.0)
    with pytest.raises(LookupFailed) as failure:
        find_representation(address="500 Congress Ave, Austin, TX", geocoder=geocoder)
    assert failure.value.code == "geocoder_mismatch"


def test_address_without_geocoder_says_it_is_off(synced):
    with pytest.raises(LookupFailed) as failure:
        find_representation(address="1600 Main St, Evanston, IL", geocoder=None)
    assert failure.value.code == "address_lookup_disabled"


@pytest.mark.parametrize("address", ["Main St", "x" * 201 + " 1"])
def test_malformed_address(synced, census, address):
    with pytest.raises(LookupFailed) as failure:
        find_representation(address=address, geocoder=census)
    assert failure.value.code == "invalid_address"
