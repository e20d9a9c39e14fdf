"""ZIP code or street address → districts and the members who represent them. Never guesses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from outreach.congress import geocoder as geo
from outreach.congress.sync import latest_sync
from outreach.extensions import db
from outreach.models import Chamber, Person, Term, ZipDistrict

ZIP_PATTERN = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")
MAX_ADDRESS_LENGTH = 200


class LookupFailed(Exception):
    """A lookup that cannot give an answer; `code` is stable for the API, `message` is for people."""

    def __init__(self, code: str, message, http_status: int = 400):
        super().__init__(code)
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class District:
    state: str
    district: int
    vacant: bool

    @property
    def label(self) -> str:
        return f"{self.state}-{self.district}" if self.district else f"{self.state}-AL"


@dataclass(frozen=True)
class Member:
    person: Person
    term: Term

    @property
    def bioguide_id(self) -> str:
        return self.person.bioguide_id

    @property
    def chamber(self) -> Chamber:
        return self.term.chamber


@dataclass
class LookupResult:
    districts: list[District]
    members: list[Member]
    zip_code: str | None = None
    notes: list = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return len(self.districts) > 1


def normalize_zip(raw: str | None) -> str:
    """Return the five-digit ZIP in the input (ZIP+4 accepted), or raise invalid_zip."""
    match = ZIP_PATTERN.match(raw or "")
    if not match:
        raise LookupFailed("invalid_zip", _l("Enter a five-digit ZIP code, like 60202."))
    return match.group(1)


def lookup_zip(raw_zip: str | None, address_search: bool = True) -> LookupResult:
    """Return every district a ZIP touches, with their members and the states' senators."""
    zip_code, seats = _zip_seats(raw_zip, address_search)
    result = _members_for(seats)
    result.zip_code = zip_code
    return result


def lookup_district(raw_zip: str | None, state: str, district: int) -> LookupResult:
    """Return one district the person picked, only if it is one of their ZIP's candidates."""
    zip_code, seats = _zip_seats(raw_zip)
    if (state, district) not in seats:
        raise LookupFailed("invalid_district", _l("Choose one of the districts listed for your ZIP code."))
    result = _members_for([(state, district)])
    result.zip_code = zip_code
    return result


def lookup_seat(state: str, district: int) -> LookupResult:
    """Return the members for a district the person already confirmed."""
    return _members_for([(state, district)])


def _zip_seats(raw_zip: str | None, address_search: bool = True) -> tuple[str, list[tuple[str, int]]]:
    zip_code = normalize_zip(raw_zip)
    seats = [(state, district) for state, district in db.session.execute(
        select(ZipDistrict.state, ZipDistrict.district)
        .where(ZipDistrict.zcta == zip_code)
        .order_by(ZipDistrict.state, ZipDistrict.district))]
    if not seats:
        message = (_l("We could not find ZIP code %(zip)s. Check it, or search by street address.", zip=zip_code)
                   if address_search else _l("We could not find ZIP code %(zip)s. Check it and try again.", zip=zip_code))
        raise LookupFailed("not_found", message, 404)
    return zip_code, seats


def lookup_address(address: str | None, geocoder: geo.Geocoder | None) -> LookupResult:
    """Geocode a street address to exactly one district and return its members."""
    address = (address or "").strip()
    if geocoder is None:
        raise LookupFailed(
            "address_lookup_disabled",
            _l("Street-address search is turned off on this site. Search by ZIP code instead."),
        )
    if len(address) < 5 or len(address) > MAX_ADDRESS_LENGTH or not re.search(r"\d", address):
        raise LookupFailed(
            "invalid_address",
            _l("Enter a street address with a house number, city and state or ZIP code."),
        )
    sync = latest_sync()
    if sync is None:
        raise LookupFailed("no_data", _l("Congress data has not been loaded yet."), 503)
    try:
        located = geocoder.locate(address, expected_congress=sync.congress)
    except geo.AddressNotFound:
        raise LookupFailed(
            "not_found",
            _l("We could not find that address. Check the spelling, or search by ZIP code."),
            404,
        ) from None
    except geo.WrongCongress:
        raise LookupFailed(
            "geocoder_mismatch",
            _l("The address service returned districts for a different Congress. Search by ZIP code instead."),
            502,
        ) from None
    except geo.GeocoderError:
        raise LookupFailed(
            "geocoder_unavailable",
            _l("The address service is not answering right now. Try again, or search by ZIP code."),
            503,
        ) from None
    return _members_for([(located.state, located.district)])


def _members_for(seats: list[tuple[str, int]]) -> LookupResult:
    states = sorted({state for state, _ in seats})
    terms = db.session.scalars(
        select(Term)
        .where(Term.is_current)
        .where(or_(
            (Term.chamber == Chamber.SENATE) & Term.state.in_(states),
            (Term.chamber == Chamber.HOUSE) & Term.state.in_(states),
        ))
        .options(selectinload(Term.person).selectinload(Person.terms),
                 selectinload(Term.person).selectinload(Person.offices))
    ).all()
    wanted = set(seats)
    house = {(t.state, t.district): t for t in terms if t.chamber is Chamber.HOUSE and (t.state, t.district) in wanted}
    senators = sorted((t for t in terms if t.chamber is Chamber.SENATE), key=_seniority)
    districts = [District(state, district, vacant=(state, district) not in house) for state, district in seats]
    members = [Member(house[(d.state, d.district)].person, house[(d.state, d.district)])
               for d in districts if not d.vacant]
    members += [Member(t.person, t) for t in senators]
    return LookupResult(districts=districts, members=members)


def _seniority(term: Term) -> tuple:
    first_senate_start = min(t.start for t in term.person.terms if t.chamber is Chamber.SENATE)
    return (term.state, first_senate_start, term.person.last_name)


SEAT_PATTERN = re.compile(r"^([A-Z]{2})-(\d{1,2})$")


def find_representation(*, zip_code: str | None = None, address: str | None = None, seat: str | None = None,
                        geocoder: geo.Geocoder | None = None) -> LookupResult:
    """Answer one lookup: a street address, a district picked among a ZIP's candidates, or a ZIP."""
    if address and address.strip():
        return lookup_address(address, geocoder)
    if seat:
        match = SEAT_PATTERN.match(seat)
        if not match:
            raise LookupFailed("invalid_district", _l("Choose one of the districts listed for your ZIP code."))
        return lookup_district(zip_code, match.group(1), int(match.group(2)))
    if zip_code and zip_code.strip():
        return lookup_zip(zip_code, address_search=geocoder is not None)
    raise LookupFailed("missing_query", _l("Enter a ZIP code or a street address."))
