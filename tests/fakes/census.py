"""A local stand-in for the US Census geocoder, served on 127.0.0.1 by pytest-httpserver.

Load it with ``pytest_plugins = ["tests.fakes.census"]`` and ask for the ``fake_census`` fixture::

    def test_something(fake_census):
        fake_census.add("2000 S State St", "17", "IL", "07")
        geocoder = CensusGeocoder(fake_census.base_url, "Public_AR_Current", "ACS2025_Current")
        assert geocoder.locate("2000 S State St, Chicago, IL 60616", 119).district == 7
        assert fake_census.requests[0]["layers"] == "all"

Answers follow the real JSON shape of ``/geocoder/geographies/onelineaddress`` (see
/work/shared/data/geocoders.md): ``result.input`` echoes benchmark and vintage, ``result.addressMatches`` holds
registered matches, and each match's ``geographies`` maps layer names to lists of records. Like the real service,
district layers come back only when ``layers`` asks for them (``all`` or by name), and ``format=json`` is needed
for JSON. Unregistered addresses get ``"addressMatches": []``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PATH = "/geocoder/geographies/onelineaddress"
# A hung request blocks the (single-threaded) server for every later test, so hangs are bounded and released
# as soon as the test using the fixture ends.
MAX_HANG_SECONDS = 2.0
# What the real service returns when `layers` is absent: no congressional districts among them.
DEFAULT_LAYERS = ("States", "Counties", "Census Tracts", "2020 Census Blocks")

LayerRecords = list[dict[str, Any]]

STATE_NAMES = {
    "01": "Alabama", "02": "Alaska", "06": "California", "11": "District of Columbia", "17": "Illinois",
    "36": "New York", "48": "Texas", "50": "Vermont", "56": "Wyoming", "72": "Puerto Rico",
}

# Addresses the app's tests use, with the districts the 119th Congress's maps put them in.
EXAMPLES: tuple[dict[str, Any], ...] = (
    {"address_substring": "1600 Pennsylvania Ave NW", "state_fips": "11", "stusab": "DC", "cd_code": "98",
     "matched_address": "1600 PENNSYLVANIA AVE NW, WASHINGTON, DC, 20502", "coordinates": (-77.03535, 38.898754)},
    {"address_substring": "2000 S State St", "state_fips": "17", "stusab": "IL", "cd_code": "07",
     "matched_address": "2000 S STATE ST, CHICAGO, IL, 60616", "coordinates": (-87.62706, 41.855804)},
    {"address_substring": "Evanston", "state_fips": "17", "stusab": "IL", "cd_code": "09",
     "matched_address": "1800 SHERMAN AVE, EVANSTON, IL, 60201", "coordinates": (-87.68253, 42.050377)},
)


def ordinal(number: int) -> str:
    """Return "119th", "121st", "112th": the prefix of the Census layer name."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def district_layer(state_fips: str, cd_code: str, congress: int = 119, *,
                   cd_field: bool = True) -> tuple[str, LayerRecords]:
    """Return one "<n>th Congressional Districts" layer as (name, records), e.g. for `extra_layers`."""
    number = int(cd_code)
    if number == 98:
        name, basename, lsadc = "Delegate District (at Large)", "Delegate District (at Large)", "C4"
    elif number == 0:
        name, basename, lsadc = "Congressional District (at Large)", "Congressional District (at Large)", "C1"
    else:
        name, basename, lsadc = f"Congressional District {number}", str(number), "C2"
    record: dict[str, Any] = {
        "MTFCC": "G5200",
        "OID": f"27659{congress}{state_fips}{cd_code}",
        "GEOID": f"{state_fips}{cd_code}",
        "FUNCSTAT": "N",
        "STATE": state_fips,
        "CDSESSN": str(congress),
        "NAME": name,
        "BASENAME": basename,
        "LSADC": lsadc,
        "AREALAND": "1234567890",
        "AREAWATER": "12345678",
        "CENTLAT": "+38.0000000",
        "CENTLON": "-090.0000000",
        "INTPTLAT": "+38.0000000",
        "INTPTLON": "-090.0000000",
        "OBJECTID": 100 + number,
    }
    if cd_field:
        record[f"CD{congress}"] = cd_code
    return f"{ordinal(congress)} Congressional Districts", [record]


def states_layer(state_fips: str, stusab: str) -> tuple[str, LayerRecords]:
    """Return the "States" layer as (name, records)."""
    return "States", [{
        "STATEFP": state_fips,
        "STATE": state_fips,
        "STUSAB": stusab,
        "GEOID": state_fips,
        "NAME": STATE_NAMES.get(state_fips, stusab),
        "BASENAME": STATE_NAMES.get(state_fips, stusab),
        "MTFCC": "G4000",
        "FUNCSTAT": "A",
        "LSADC": "00",
        "OID": f"27490{state_fips}",
        "OBJECTID": int(state_fips),
        "AREALAND": "143778461053",
        "AREAWATER": "6216594318",
        "CENTLAT": "+40.1028754",
        "CENTLON": "-089.1526108",
        "INTPTLAT": "+40.1028754",
        "INTPTLON": "-089.1526108",
    }]


def _address_components(matched_address: str, stusab: str) -> dict[str, str]:
    number = re.match(r"\s*(\d+)", matched_address)
    zip_code = re.search(r"(\d{5})\s*$", matched_address)
    street = matched_address.split(",")[0]
    street_name = re.sub(r"^\s*\d+\s*", "", street).strip()
    return {
        "fromAddress": number.group(1) if number else "", "toAddress": number.group(1) if number else "",
        "preQualifier": "", "preDirection": "", "preType": "", "streetName": street_name, "suffixType": "",
        "suffixDirection": "", "suffixQualifier": "", "city": "", "state": stusab,
        "zip": zip_code.group(1) if zip_code else "",
    }


class _DropServerThreadRecords(logging.Filter):
    """Drop werkzeug access-log records written by the fake server's own thread."""

    def __init__(self, thread_ident: int) -> None:
        super().__init__()
        self.thread_ident = thread_ident

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread_ident


def _quiet_access_log(server: HTTPServer) -> None:
    """Keep the fake's request lines (which hold test addresses) out of the logs tests inspect.

    The real geocoder's access log is not ours; letting the fake's reach caplog would make every
    "no address in the logs" assertion fail for a reason that does not exist in production. The filter stays for
    the session (keyed to the server thread) because a request released at teardown may still log afterwards.
    """
    thread = server.server_thread
    if thread is None or thread.ident is None:
        return
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropServerThreadRecords) and f.thread_ident == thread.ident for f in logger.filters):
        logger.addFilter(_DropServerThreadRecords(thread.ident))


class FakeCensus:
    """The fake service: register matches with `add`, switch failure modes, read `requests` afterwards."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        host = "127.0.0.1" if server.host in ("localhost", "127.0.0.1") else server.format_host(server.host)
        self.base_url = f"http://{host}:{server.port}/geocoder"
        self.requests: list[dict[str, str]] = []
        self._matches: list[tuple[str, dict[str, Any]]] = []
        self._mode = "normal"
        self._status = 200
        self._body = ""
        self._content_type = "application/json"
        self._hang_seconds = 0.0
        self._release = threading.Event()
        server.expect_request(PATH).respond_with_handler(self._handle)

    # --- configuring -----------------------------------------------------------------------------

    def add(self, address_substring: str, state_fips: str, stusab: str, cd_code: str, congress: int = 119,
            extra_layers: Iterable[tuple[str, LayerRecords]] | Mapping[str, LayerRecords] = (), *,
            cd_field: bool = True, include_states: bool = True, matched_address: str | None = None,
            coordinates: tuple[float, float] = (-89.0, 40.0)) -> dict[str, Any]:
        """Register a match for addresses containing `address_substring` (case-insensitive); return it.

        `cd_code` is the Census string ("07", "00" at large, "98" delegate). `extra_layers` adds layers such as
        ``district_layer("48", "10", 120)``; `cd_field=False` drops the CD<congress> field (GEOID remains);
        `include_states=False` drops the States layer. The returned match is served as-is, so a test may edit it.
        """
        geographies: dict[str, LayerRecords] = {}
        if include_states:
            name, records = states_layer(state_fips, stusab)
            geographies[name] = records
        name, records = district_layer(state_fips, cd_code, congress, cd_field=cd_field)
        geographies[name] = records
        if isinstance(extra_layers, tuple) and len(extra_layers) == 2 and isinstance(extra_layers[0], str):
            extra_layers = (extra_layers,)  # one district_layer(...) result passed on its own
        for name, records in dict(extra_layers).items():
            geographies[name] = [records] if isinstance(records, Mapping) else list(records)
        matched = matched_address or address_substring.upper()
        match = {
            "matchedAddress": matched,
            "coordinates": {"x": coordinates[0], "y": coordinates[1]},
            "tigerLine": {"tigerLineId": "76225813", "side": "L"},
            "addressComponents": _address_components(matched, stusab),
            "geographies": geographies,
        }
        self._matches.append((address_substring.lower(), match))
        return match

    def add_examples(self) -> None:
        """Register the addresses in EXAMPLES (White House → DC-98, Chicago → IL-07, Evanston → IL-09)."""
        for example in EXAMPLES:
            self.add(**example)

    def fail(self, status: int = 500, body: str = '{"errors":["Internal Server Error"],"status":"500"}') -> None:
        """Answer every request with `status` and `body`."""
        self._set_raw(status, body, "application/json")

    def respond_raw(self, body: str, status: int = 200, content_type: str = "application/json") -> None:
        """Answer every request with exactly this body (e.g. truncated JSON or HTML)."""
        self._set_raw(status, body, content_type)

    def hang(self, seconds: float = MAX_HANG_SECONDS) -> None:
        """Delay every answer by `seconds` (at most MAX_HANG_SECONDS; released when the test ends)."""
        self._mode = "hang"
        self._hang_seconds = min(seconds, MAX_HANG_SECONDS)

    def recover(self) -> None:
        """Go back to answering normally."""
        self._mode = "normal"
        self._release.set()
        self._release = threading.Event()

    def release(self) -> None:
        """Let any hung request finish now (called at teardown)."""
        self._release.set()

    def _set_raw(self, status: int, body: str, content_type: str) -> None:
        self._mode = "raw"
        self._status, self._body, self._content_type = status, body, content_type

    # --- answering -------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        args = {key: request.args.get(key, "") for key in request.args}
        self.requests.append(args)
        if self._mode == "raw":
            return Response(self._body, status=self._status, content_type=self._content_type)
        if self._mode == "hang":
            self._release.wait(self._hang_seconds)
        return self._answer(args)

    def _answer(self, args: Mapping[str, str]) -> Response:
        missing = [name for name in ("address", "benchmark") if not args.get(name, "").strip()]
        if missing:
            return _json({"errors": [f"{name.capitalize()} cannot be empty" for name in missing], "status": "400"},
                         400)
        if args.get("format") != "json":
            # The real service answers HTML unless format=json is asked for.
            return Response("<html><body>Census Geocoder</body></html>", content_type="text/html")
        address = args["address"]
        matches = [self._with_layers(match, args.get("layers", ""))
                   for substring, match in self._matches if substring in address.lower()][:1]
        return _json({"result": {
            "input": {
                "address": {"address": address},
                "benchmark": {"id": "4", "benchmarkName": args["benchmark"],
                              "benchmarkDescription": "Public Address Ranges - Current Benchmark",
                              "isDefault": False},
                "vintage": {"id": "4", "vintageName": args.get("vintage", "Current_Current"),
                            "vintageDescription": "Fake vintage served by tests/fakes/census.py",
                            "isDefault": not args.get("vintage")},
            },
            "addressMatches": matches,
        }})

    @staticmethod
    def _with_layers(match: dict[str, Any], layers: str) -> dict[str, Any]:
        wanted = [name.strip() for name in layers.split(",") if name.strip()]
        geographies = match["geographies"]
        if wanted == ["all"]:
            kept = geographies
        else:
            names = wanted or list(DEFAULT_LAYERS)
            kept = {name: records for name, records in geographies.items() if name in names}
        return {**match, "geographies": kept}


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


@pytest.fixture
def fake_census(httpserver: HTTPServer) -> Iterator[FakeCensus]:
    """A fresh fake Census geocoder on 127.0.0.1; nothing registered, so every address is unmatched."""
    _quiet_access_log(httpserver)
    fake = FakeCensus(httpserver)
    yield fake
    fake.release()
