"""CensusGeocoder against the local fake Census service (tests/fakes/census.py)."""

from __future__ import annotations

import json
import logging
import socket
import time
import traceback
from urllib.parse import quote, quote_plus

import pytest
import requests

from outreach.congress import geocoder as geo
from outreach.congress.geocoder import (
    FIPS_TO_USPS,
    AddressNotFound,
    CensusGeocoder,
    GeocodedDistrict,
    GeocoderUnavailable,
    WrongCongress,
    geocoder_from_config,
)
from tests.fakes.census import district_layer

CHICAGO = "2000 S State St, Chicago, IL 60616"
# Distinctive words, so a leak is found whichever way the address was encoded.
PRIVATE = "742 Evergreen Terrace, Springfield, IL 62704"
PRIVATE_FRAGMENTS = ("Evergreen", "EVERGREEN", "evergreen", "Terrace", quote_plus(PRIVATE), quote(PRIVATE))


def census(fake_census, *, timeout: float = 2.0, benchmark: str = "Public_AR_Current",
           vintage: str = "ACS2025_Current") -> CensusGeocoder:
    return CensusGeocoder(fake_census.base_url, benchmark, vintage, timeout=timeout)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- matches ----------------------------------------------------------------------------------


def test_locates_a_numbered_district(fake_census):
    fake_census.add("2000 S State St", "17", "IL", "07")

    assert census(fake_census).locate(CHICAGO, expected_congress=119) == GeocodedDistrict("IL", 7, 119)


@pytest.mark.parametrize(("fips", "stusab", "code"), [("56", "WY", "00"), ("11", "DC", "98")])
def test_at_large_and_delegate_codes_become_zero(fake_census, fips, stusab, code):
    fake_census.add("1 Main St", fips, stusab, code)

    assert census(fake_census).locate("1 Main St, Somewhere", 119) == GeocodedDistrict(stusab, 0, 119)


def test_known_examples_resolve(fake_census):
    fake_census.add_examples()
    geocoder = census(fake_census)

    assert geocoder.locate("1600 Pennsylvania Ave NW, Washington, DC", 119) == GeocodedDistrict("DC", 0, 119)
    assert geocoder.locate(CHICAGO, 119) == GeocodedDistrict("IL", 7, 119)
    assert geocoder.locate("1800 Sherman Ave, Evanston, IL 60201", 119) == GeocodedDistrict("IL", 9, 119)


@pytest.mark.parametrize("first", [119, 120])
def test_picks_the_layer_of_the_expected_congress(fake_census, first):
    # Downtown Austin: TX-37 in the 119th Congress, TX-10 on the 120th's maps. Both layer orders are served.
    codes = {119: "37", 120: "10"}
    second = 239 - first
    fake_census.add("Congress Ave", "48", "TX", codes[first], congress=first,
                    extra_layers=[district_layer("48", codes[second], second)])

    located = census(fake_census).locate("1100 Congress Ave, Austin, TX 78701", expected_congress=119)

    assert located == GeocodedDistrict("TX", 37, 119)


def test_falls_back_to_geoid_without_cd_field(fake_census):
    match = fake_census.add("Evanston", "17", "IL", "09", cd_field=False)
    assert "CD119" not in match["geographies"]["119th Congressional Districts"][0]

    assert census(fake_census).locate("1800 Sherman Ave, Evanston, IL", 119) == GeocodedDistrict("IL", 9, 119)


def test_state_from_fips_without_states_layer(fake_census):
    fake_census.add("Calle Fortaleza", "72", "PR", "98", include_states=False)

    assert census(fake_census).locate("52 Calle Fortaleza, San Juan, PR", 119) == GeocodedDistrict("PR", 0, 119)


def test_state_from_states_layer_when_district_record_has_no_state(fake_census):
    match = fake_census.add("2000 S State St", "17", "IL", "07")
    record = match["geographies"]["119th Congressional Districts"][0]
    del record["STATE"]
    record["GEOID"] = ""

    assert census(fake_census).locate(CHICAGO, 119) == GeocodedDistrict("IL", 7, 119)


def test_fips_table_is_complete():
    territories = {"72": "PR", "66": "GU", "78": "VI", "60": "AS", "69": "MP"}
    assert len(FIPS_TO_USPS) == 56
    assert len(set(FIPS_TO_USPS.values())) == 56
    assert {k: FIPS_TO_USPS[k] for k in territories} == territories
    assert (FIPS_TO_USPS["11"], FIPS_TO_USPS["17"], FIPS_TO_USPS["56"], FIPS_TO_USPS["02"]) == ("DC", "IL", "WY", "AK")


# --- failures ---------------------------------------------------------------------------------


def test_only_a_later_congress_is_wrong_congress(fake_census):
    fake_census.add("Congress Ave", "48", "TX", "10", congress=120)

    with pytest.raises(WrongCongress):
        census(fake_census).locate("1100 Congress Ave, Austin, TX 78701", 119)


def test_no_match_is_address_not_found(fake_census):
    fake_census.add("2000 S State St", "17", "IL", "07")

    with pytest.raises(AddressNotFound):
        census(fake_census).locate("1 Nowhere Rd, Atlantis", 119)
    assert len(fake_census.requests) == 1


@pytest.mark.parametrize("address", ["", "   ", "9" * 201])
def test_empty_or_overlong_input_is_rejected_before_any_request(fake_census, address):
    with pytest.raises(AddressNotFound):
        census(fake_census).locate(address, 119)
    assert fake_census.requests == []


def test_server_error_is_unavailable(fake_census):
    match = fake_census.add("2000 S State St", "17", "IL", "07")
    # A well-formed body, so only the status code can make this fail.
    fake_census.fail(500, body=json.dumps({"result": {"input": {}, "addressMatches": [match]}}))

    with pytest.raises(GeocoderUnavailable):
        census(fake_census).locate(CHICAGO, 119)


@pytest.mark.parametrize("body", ["<html>Service Unavailable</html>", '{"result": {"addressMatches": [', "[]"])
def test_unparseable_body_is_unavailable(fake_census, body):
    fake_census.respond_raw(body)

    with pytest.raises(GeocoderUnavailable):
        census(fake_census).locate(CHICAGO, 119)


def test_hang_is_unavailable_within_the_timeout(fake_census):
    fake_census.add("2000 S State St", "17", "IL", "07")
    fake_census.hang()

    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable):
        census(fake_census, timeout=0.3).locate(CHICAGO, 119)
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_unavailable():
    geocoder = CensusGeocoder(f"http://127.0.0.1:{closed_port()}/geocoder", "Public_AR_Current", "ACS2025_Current")

    with pytest.raises(GeocoderUnavailable):
        geocoder.locate(CHICAGO, 119)


# --- the request ------------------------------------------------------------------------------


def test_request_names_benchmark_vintage_and_all_layers(fake_census):
    fake_census.add("2000 S State St", "17", "IL", "07")

    census(fake_census, benchmark="Public_AR_Test", vintage="Test_Vintage").locate(f"  {CHICAGO} ", 119)

    assert fake_census.requests == [{
        "address": CHICAGO,
        "benchmark": "Public_AR_Test",
        "vintage": "Test_Vintage",
        "layers": "all",
        "format": "json",
    }]


# --- configuration ----------------------------------------------------------------------------


def test_config_none_disables_the_geocoder():
    assert geocoder_from_config({"GEOCODER": "none"}) is None


def test_config_census_uses_pinned_defaults_without_network(monkeypatch):
    def no_connect(sock, address):
        raise AssertionError("constructing the geocoder must not connect")

    monkeypatch.setattr(socket.socket, "connect", no_connect)

    geocoder = geocoder_from_config({"GEOCODER": "census"})

    assert isinstance(geocoder, CensusGeocoder)
    assert isinstance(geocoder, geo.Geocoder)
    assert (geocoder.base_url, geocoder.benchmark, geocoder.vintage, geocoder.timeout) == (
        "https://geocoding.geo.census.gov/geocoder", "Public_AR_Current", "ACS2025_Current", 5.0)


def test_config_values_are_used(fake_census):
    fake_census.add("2000 S State St", "17", "IL", "07")
    geocoder = geocoder_from_config({"GEOCODER": "census", "CENSUS_GEOCODER_URL": fake_census.base_url + "/",
                                     "CENSUS_BENCHMARK": "B", "CENSUS_VINTAGE": "V", "GEOCODER_TIMEOUT": "1.5"})

    assert geocoder.timeout == 1.5
    assert geocoder.locate(CHICAGO, 119) == GeocodedDistrict("IL", 7, 119)
    assert (fake_census.requests[0]["benchmark"], fake_census.requests[0]["vintage"]) == ("B", "V")


def test_config_rejects_unknown_geocoder():
    with pytest.raises(ValueError, match="GEOCODER must be 'census' or 'none'"):
        geocoder_from_config({"GEOCODER": "geocodio"})


# --- privacy ----------------------------------------------------------------------------------


def _set_up_failure(fake_census, kind: str) -> CensusGeocoder:
    if kind == "not_found":
        pass
    elif kind == "wrong_congress":
        fake_census.add("Evergreen", "17", "IL", "13", congress=120)
    elif kind == "server_error":
        fake_census.fail(500, body=f'{{"errors": ["bad address {PRIVATE}"]}}')
    elif kind == "unparseable":
        fake_census.respond_raw(f"<html>{PRIVATE}</html>")
    elif kind == "timeout":
        fake_census.hang()
        return census(fake_census, timeout=0.3)
    elif kind == "refused":
        return CensusGeocoder(f"http://127.0.0.1:{closed_port()}/geocoder", "Public_AR_Current", "ACS2025_Current")
    return census(fake_census)


def _assert_no_address(text: str) -> None:
    for fragment in PRIVATE_FRAGMENTS:
        assert fragment not in text


@pytest.mark.parametrize("kind", ["not_found", "wrong_congress", "server_error", "unparseable", "timeout", "refused"])
def test_errors_and_logs_never_contain_the_address(fake_census, caplog, kind):
    caplog.set_level(logging.DEBUG)
    geocoder = _set_up_failure(fake_census, kind)

    with pytest.raises(geo.GeocoderError) as caught:
        geocoder.locate(PRIVATE, 119)

    # The whole traceback, chained exceptions included, is what an error logger would print.
    _assert_no_address("".join(traceback.format_exception(caught.value)))
    _assert_no_address(repr(caught.value.args))
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    for record in caplog.records:
        _assert_no_address(record.getMessage())


def test_successful_lookup_logs_request_line_without_query(fake_census, caplog):
    caplog.set_level(logging.DEBUG)
    fake_census.add("Evergreen", "17", "IL", "13")

    assert census(fake_census).locate(PRIVATE, 119) == GeocodedDistrict("IL", 13, 119)

    messages = [record.getMessage() for record in caplog.records]
    for message in messages:
        _assert_no_address(message)
    # urllib3 does log the request line at DEBUG; it must arrive with the query stripped.
    assert any("/geocoder/geographies/onelineaddress?…" in message for message in messages)


def test_requests_exception_text_would_have_leaked():
    # Guards the premise of the privacy tests: requests puts the URL, query included, into its errors.
    url = f"http://127.0.0.1:{closed_port()}/geocoder/geographies/onelineaddress"
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(url, params={"address": PRIVATE}, timeout=1)
    assert "Evergreen" in str(caught.value)
