"""Street address → congressional district, through the US Census Bureau geocoder.

Privacy: a street address must never reach a log line or an exception message. Every error raised here
carries a fixed description only, and is raised outside the `except` block so the underlying requests
exception (whose text holds the full URL, address included) is not attached as context.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import requests

from outreach.privacy import install_log_redaction

log = logging.getLogger(__name__)

DEFAULT_CENSUS_URL = "https://geocoding.geo.census.gov/geocoder"
DEFAULT_BENCHMARK = "Public_AR_Current"
# Current_Current moved to the 120th Congress's districts in September 2026; ACS2025_Current still carries
# the 119th's. Pinning the vintage keeps the districts in step with the members actually sitting.
DEFAULT_VINTAGE = "ACS2025_Current"
DEFAULT_TIMEOUT = 5.0
MAX_ADDRESS_LENGTH = 200

# The layer name carries the Congress ("119th Congressional Districts"), so match on the suffix only.
_DISTRICT_LAYER = re.compile(r"Congressional Districts$")
_DISTRICT_CODE = re.compile(r"^\d{1,2}$")
_USPS_CODE = re.compile(r"^[A-Z]{2}$")
# Census codes for "no numbered district": 00 = at-large seat, 98 = non-voting delegate (DC, territories).
_AT_LARGE_CODES = {0, 98}

FIPS_TO_USPS: dict[str, str] = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT", "10": "DE",
    "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN", "19": "IA",
    "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD", "25": "MA", "26": "MI", "27": "MN",
    "28": "MS", "29": "MO", "30": "MT", "31": "NE", "32": "NV", "33": "NH", "34": "NJ", "35": "NM",
    "36": "NY", "37": "NC", "38": "ND", "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI",
    "45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA",
    "54": "WV", "55": "WI", "56": "WY",
    "60": "AS", "66": "GU", "69": "MP", "72": "PR", "78": "VI",
}


@dataclass(frozen=True)
class GeocodedDistrict:
    state: str      # USPS code, e.g. "IL"
    district: int   # 0 for at-large states and delegates
    congress: int   # the CDSESSN of the layer used


class GeocoderError(Exception):
    """Base class: the address could not be turned into a district."""


class AddressNotFound(GeocoderError):
    """The geocoder answered but matched nothing, or the match has no district."""


class GeocoderUnavailable(GeocoderError):
    """The geocoder did not give a usable answer (timeout, connection error, non-2xx, unparseable body)."""


class WrongCongress(GeocoderError):
    """The geocoder answered, but with districts of a Congress other than the expected one."""


@runtime_checkable
class Geocoder(Protocol):
    def locate(self, address: str, expected_congress: int) -> GeocodedDistrict:
        """Return the congressional district of a street address."""
        ...


class CensusGeocoder:
    """Client of the Census `geographies/onelineaddress` endpoint, asking for all layers."""

    def __init__(self, base_url: str, benchmark: str, vintage: str, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        """Store the settings; no request is made until `locate`."""
        if timeout <= 0:
            raise ValueError("GEOCODER_TIMEOUT must be a positive number of seconds.")
        self.base_url = base_url.rstrip("/")
        self.benchmark = benchmark
        self.vintage = vintage
        self.timeout = float(timeout)
        self.session = session if session is not None else requests.Session()
        install_log_redaction()

    @property
    def endpoint(self) -> str:
        """Return the URL of the one-line-address geographies search."""
        return f"{self.base_url}/geographies/onelineaddress"

    def locate(self, address: str, expected_congress: int) -> GeocodedDistrict:
        """Geocode one address and return its district in the expected Congress."""
        address = (address or "").strip()
        if not address or len(address) > MAX_ADDRESS_LENGTH:
            raise AddressNotFound(f"address is empty or longer than {MAX_ADDRESS_LENGTH} characters")
        body = self._fetch(address)
        match = _first_match(body)
        return _district_of(match, expected_congress)

    def _fetch(self, address: str) -> Mapping[str, Any]:
        params = {
            "address": address,
            "benchmark": self.benchmark,
            "vintage": self.vintage,
            # Congressional districts are not among the default layers; they come only when asked for.
            "layers": "all",
            "format": "json",
        }
        failure: str | None = None
        body: Any = None
        try:
            response = self.session.get(self.endpoint, params=params, timeout=(self.timeout, self.timeout))
            if not 200 <= response.status_code < 300:
                failure = f"answered HTTP {response.status_code}"
            else:
                body = response.json()
        except requests.Timeout:
            failure = f"timed out after {self.timeout:g} s"
        except requests.ConnectionError:
            failure = "could not be reached"
        except ValueError:  # requests' JSONDecodeError subclasses ValueError
            failure = "sent a body that is not JSON"
        except requests.RequestException as exc:
            failure = f"request failed ({type(exc).__name__})"
        # Raised here rather than inside `except` so the requests exception, whose text contains the URL
        # and therefore the address, is not chained onto ours.
        if failure is not None:
            log.warning("Census geocoder %s", failure)
            raise GeocoderUnavailable(f"Census geocoder {failure}")
        if not isinstance(body, Mapping):
            raise _unparseable("the body is not a JSON object")
        return body


def _unparseable(reason: str) -> GeocoderUnavailable:
    log.warning("Census geocoder answer not understood: %s", reason)
    return GeocoderUnavailable(f"Census geocoder answer not understood: {reason}")


def _first_match(body: Mapping[str, Any]) -> Mapping[str, Any]:
    result = body.get("result")
    matches = result.get("addressMatches") if isinstance(result, Mapping) else None
    if not isinstance(matches, list):
        raise _unparseable("no result.addressMatches list")
    if not matches:
        raise AddressNotFound("the Census geocoder found no match for the address")
    match = matches[0]
    if not isinstance(match, Mapping) or not isinstance(match.get("geographies"), Mapping):
        raise _unparseable("the first match has no geographies")
    return match


def _district_of(match: Mapping[str, Any], expected_congress: int) -> GeocodedDistrict:
    geographies: Mapping[str, Any] = match["geographies"]
    records = [record
               for name, layer in geographies.items() if _DISTRICT_LAYER.search(str(name)) and isinstance(layer, list)
               for record in layer if isinstance(record, Mapping)]
    if not records:
        # Logged because, when it happens for every address, the layers request has stopped working.
        log.warning("Census geocoder match carried no congressional district layer")
        raise AddressNotFound("the matched address has no congressional district")
    # A response may carry the sitting Congress's districts beside the next one's; only the former count.
    record = next((r for r in records if str(r.get("CDSESSN", "")).strip() == str(expected_congress)), None)
    if record is None:
        found = sorted({str(r.get("CDSESSN", "?")) for r in records})
        log.warning("Census geocoder returned districts of Congress %s, expected %s",
                    ", ".join(found), expected_congress)
        raise WrongCongress(f"expected districts of Congress {expected_congress}, got {', '.join(found)}")

    geoid = str(record.get("GEOID", "")).strip()
    # Some vintages omit the CDxxx field; GEOID is state FIPS (2 digits) + district code (2 digits).
    code = str(record.get(f"CD{expected_congress}") or geoid[2:]).strip()
    if not _DISTRICT_CODE.match(code):
        raise _unparseable("the district record has no usable district code")
    district = int(code)
    if district in _AT_LARGE_CODES:
        district = 0
    return GeocodedDistrict(state=_state_of(geographies, record, geoid), district=district,
                            congress=expected_congress)


def _state_of(geographies: Mapping[str, Any], record: Mapping[str, Any], geoid: str) -> str:
    states = geographies.get("States")
    if isinstance(states, list) and states and isinstance(states[0], Mapping):
        stusab = str(states[0].get("STUSAB", "")).strip().upper()
        if _USPS_CODE.match(stusab):
            return stusab
    fips = str(record.get("STATE") or geoid[:2]).strip().zfill(2)
    usps = FIPS_TO_USPS.get(fips)
    if usps is None:
        raise _unparseable("the district record has an unknown state code")
    return usps


def geocoder_from_config(config: Mapping[str, Any]) -> Geocoder | None:
    """Build the configured geocoder, or None when GEOCODER is 'none'."""
    kind = str(config.get("GEOCODER") or "census").strip().lower()
    if kind == "none":
        return None
    if kind != "census":
        raise ValueError(f"GEOCODER must be 'census' or 'none', not {config.get('GEOCODER')!r}.")
    try:
        timeout = float(config.get("GEOCODER_TIMEOUT") or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        raise ValueError("GEOCODER_TIMEOUT must be a number of seconds.") from None
    return CensusGeocoder(
        base_url=str(config.get("CENSUS_GEOCODER_URL") or DEFAULT_CENSUS_URL),
        benchmark=str(config.get("CENSUS_BENCHMARK") or DEFAULT_BENCHMARK),
        vintage=str(config.get("CENSUS_VINTAGE") or DEFAULT_VINTAGE),
        timeout=timeout,
    )
