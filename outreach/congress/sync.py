"""Load members, terms, offices and ZIP→district rows from the congress-legislators files."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

import requests
import yaml
from sqlalchemy import delete, insert, select, tuple_

from outreach.extensions import db
from outreach.models import Chamber, DataSync, DistrictOffice, Person, Term, ZipDistrict

log = logging.getLogger(__name__)

UPSTREAM = {
    "congress-legislators/legislators-current.yaml":
        "https://unitedstates.github.io/congress-legislators/legislators-current.yaml",
    "congress-legislators/legislators-district-offices.yaml":
        "https://unitedstates.github.io/congress-legislators/legislators-district-offices.yaml",
    "congress-legislators/legislators-historical.yaml":
        "https://unitedstates.github.io/congress-legislators/legislators-historical.yaml",
    "zip-districts/zccd.csv":
        "https://raw.githubusercontent.com/OpenSourceActivismTech/us-zipcodes-congress/master/zccd.csv",
}
CURRENT = "congress-legislators/legislators-current"
OFFICES = "congress-legislators/legislators-district-offices.yaml"
HISTORICAL = "congress-legislators/legislators-historical.yaml"
ZIPS = "zip-districts/zccd.csv"
# Files in the legislators folder that are not person records.
NOT_PERSON_FILES = {"legislators-district-offices.yaml", "legislators-social-media.yaml"}

DELEGATE_STATES = frozenset({"DC", "PR", "GU", "VI", "AS", "MP"})
VOTING_SEATS = 435
DELEGATE_SEATS = 6
SENATE_SEATS = 100
DOWNLOAD_TIMEOUT = (10, 120)


class SyncError(RuntimeError):
    """The data could not be read; the message says what to do."""


@dataclass
class SourceFile:
    name: str
    text: str
    origin: str
    modified: datetime | None


@dataclass
class SyncReport:
    congress: int
    source: str
    people_changed: int = 0
    people_no_longer_current: int = 0
    zip_rows_added: int = 0
    zip_rows_removed: int = 0
    counts: dict = field(default_factory=dict)
    vacancies: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.people_changed or self.people_no_longer_current
                    or self.zip_rows_added or self.zip_rows_removed)


# --- reading the sources -----------------------------------------------------------------------


def read_sources(data_dir: str | None, fetch: Callable[[str], requests.Response] | None = None) -> list[SourceFile]:
    """Read every file sync needs from OUTREACH_DATA_DIR, or download them from upstream."""
    if data_dir:
        return _read_local(Path(data_dir))
    return _download(fetch or (lambda url: requests.get(url, timeout=DOWNLOAD_TIMEOUT)))


def _read_local(root: Path) -> list[SourceFile]:
    if not root.is_dir():
        raise SyncError(f"OUTREACH_DATA_DIR={root} is not a folder. Point it at a folder laid out like "
                        "shared/data (congress-legislators/, zip-districts/).")
    files: list[SourceFile] = []
    current = next((root / f"{CURRENT}{ext}" for ext in (".yaml", ".json")
                    if (root / f"{CURRENT}{ext}").is_file()), None)
    required = [current, root / OFFICES, root / ZIPS]
    missing = [str(p) for p in required if p is None or not p.is_file()]
    if current is None:
        missing[0] = str(root / f"{CURRENT}.yaml")
    if missing:
        raise SyncError("Missing required data files: " + ", ".join(missing))
    extras = sorted(p for p in (root / "congress-legislators").glob("legislators-*.yaml")
                    if p.name not in NOT_PERSON_FILES and p != current)
    for path in [*required, *extras]:
        assert path is not None
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        files.append(SourceFile(str(path.relative_to(root)), path.read_text(encoding="utf-8"), str(path), modified))
    return files


def _download(fetch: Callable[[str], requests.Response]) -> list[SourceFile]:
    files = []
    for name, url in UPSTREAM.items():
        try:
            response = fetch(url)
            response.raise_for_status()
        except requests.RequestException as exc:
            if name == HISTORICAL:
                log.warning("sync: optional file %s not downloaded (%s)", url, type(exc).__name__)
                continue
            raise SyncError(
                f"Could not download {url} ({type(exc).__name__}). If this machine is offline, set "
                "OUTREACH_DATA_DIR to a folder laid out like shared/data, e.g. OUTREACH_DATA_DIR=../shared/data."
            ) from exc
        modified = _http_date(response.headers.get("Last-Modified"))
        files.append(SourceFile(name, response.text, url, modified))
    return files


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _parse_records(source: SourceFile) -> list[dict]:
    if source.name.endswith(".json"):
        return json.loads(source.text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster on 1 MB files
    return yaml.load(source.text, Loader=loader) or []


# --- turning records into rows -----------------------------------------------------------------


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def valid_url(value: str | None) -> bool:
    """Tell whether a contact link is an absolute http(s) URL."""
    if not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and "." in parts.netloc


def _clean_url(bioguide: str, field_name: str, value: str | None, warnings: list[str]) -> str | None:
    if value is None or valid_url(value):
        return value
    log.warning("sync: member %s has a malformed %s; ignored", bioguide, field_name)
    warnings.append(f"{bioguide}: malformed {field_name} ignored")
    return None


def _person_values(record: dict) -> dict:
    name = record.get("name", {})
    return {
        "first_name": name.get("first", ""),
        "last_name": name.get("last", ""),
        "middle_name": name.get("middle"),
        "nickname": name.get("nickname"),
        "suffix": name.get("suffix"),
        "official_full": name.get("official_full"),
    }


def _term_values(bioguide: str, record: dict, is_current_person: bool, warnings: list[str]) -> list[dict]:
    terms = [t for t in record.get("terms", []) if t.get("type") in {"rep", "sen"}]
    rows = []
    for index, term in enumerate(terms):
        chamber = Chamber.HOUSE if term["type"] == "rep" else Chamber.SENATE
        rows.append({
            "chamber": chamber,
            "state": term["state"],
            "district": int(term.get("district", 0)) if chamber is Chamber.HOUSE else None,
            "senate_class": term.get("class") if chamber is Chamber.SENATE else None,
            "party": term.get("party"),
            "start": _as_date(term["start"]),
            "end": _as_date(term["end"]),
            "phone": term.get("phone"),
            "url": _clean_url(bioguide, "url", term.get("url"), warnings),
            "contact_form": _clean_url(bioguide, "contact_form", term.get("contact_form"), warnings),
            "is_current": is_current_person and index == len(terms) - 1,
        })
    return rows


def _office_values(entry: dict) -> list[dict]:
    rows = []
    for office in entry.get("offices", []):
        address = ", ".join(str(p) for p in (office.get("address"), office.get("suite")) if p)
        rows.append({
            "office_key": str(office.get("id", "")),
            "address": address or None,
            "city": office.get("city"),
            "state": office.get("state"),
            "phone": office.get("phone"),
        })
    return rows


_TERM_FIELDS = ("chamber", "state", "district", "senate_class", "party", "start", "end",
                "phone", "url", "contact_form", "is_current")
_OFFICE_FIELDS = ("office_key", "address", "city", "state", "phone")


def _signature(rows: Iterable, fields: tuple[str, ...]) -> list[tuple]:
    return [tuple(r[f] if isinstance(r, dict) else getattr(r, f) for f in fields) for r in rows]


def congress_number(start: date) -> int:
    """Return the number of the Congress in session on a day (the 1st began in 1789)."""
    year = start.year if not (start.month == 1 and start.day < 3) else start.year - 1
    return (year - 1789) // 2 + 1


# --- the sync itself ---------------------------------------------------------------------------


def sync(data_dir: str | None, fetch: Callable[[str], requests.Response] | None = None) -> SyncReport:
    """Load the data into the database in one transaction and return what changed."""
    sources = read_sources(data_dir, fetch)
    by_name = {s.name: s for s in sources}
    current_source = next(s for s in sources if s.name.startswith(CURRENT))
    warnings: list[str] = []

    records: dict[str, tuple[dict, bool]] = {}
    for source in sources:
        if source.name in (OFFICES, ZIPS) or source is current_source:
            continue
        for record in _parse_records(source):
            records[record["id"]["bioguide"]] = (record, False)
    current_records = _parse_records(current_source)
    for record in current_records:
        # The current file wins over historical copies of the same person.
        records[record["id"]["bioguide"]] = (record, True)

    offices = {e["id"]["bioguide"]: _office_values(e) for e in _parse_records(by_name[OFFICES])}

    house_starts = [_as_date(r["terms"][-1]["start"]) for r in current_records if r["terms"][-1]["type"] == "rep"]
    congress = Counter(congress_number(d) for d in house_starts).most_common(1)[0][0]

    report = SyncReport(congress=congress, source=", ".join(s.origin for s in sources))
    existing = {p.bioguide_id: p for p in db.session.scalars(
        select(Person).options(db.selectinload(Person.terms), db.selectinload(Person.offices)))}

    for bioguide, (record, is_current) in records.items():
        person_values = _person_values(record)
        term_rows = _term_values(bioguide, record, is_current, warnings)
        office_rows = offices.get(bioguide, []) if is_current else []
        person = existing.get(bioguide)
        if person is None:
            person = Person(bioguide_id=bioguide, is_current=is_current, **person_values)
            db.session.add(person)
            report.people_changed += 1
        if person.is_current and not is_current:
            report.people_no_longer_current += 1
        changed = person.is_current != is_current or any(
            getattr(person, k) != v for k, v in person_values.items())
        if changed:
            person.is_current = is_current
            for key, value in person_values.items():
                setattr(person, key, value)
        if _signature(person.terms, _TERM_FIELDS) != _signature(term_rows, _TERM_FIELDS):
            person.terms = [Term(**row) for row in term_rows]
            changed = True
        if _signature(person.offices, _OFFICE_FIELDS) != _signature(office_rows, _OFFICE_FIELDS):
            person.offices = [DistrictOffice(**row) for row in office_rows]
            changed = True
        if changed and bioguide in existing:
            report.people_changed += 1

    # People who vanished from every file stay (their signatures still need names), but are no longer current.
    for bioguide, person in existing.items():
        if bioguide not in records and person.is_current:
            person.is_current = False
            for term in person.terms:
                term.is_current = False
            report.people_no_longer_current += 1

    _sync_zips(by_name[ZIPS], report)
    db.session.flush()
    _count_seats(report)
    report.warnings = warnings + report.warnings

    db.session.add(DataSync(
        source=report.source[:500],
        source_date=current_source.modified,
        congress=congress,
        counts={**report.counts, "vacancies": report.vacancies},
        warnings=report.warnings,
    ))
    db.session.commit()
    return report


def _sync_zips(source: SourceFile, report: SyncReport) -> None:
    wanted = {(row["zcta"].zfill(5), row["state_abbr"], int(row["cd"]))
              for row in csv.DictReader(io.StringIO(source.text))}
    have = set(db.session.execute(select(ZipDistrict.zcta, ZipDistrict.state, ZipDistrict.district)))
    removed = have - wanted
    added = wanted - have
    if removed:
        keys = list(removed)
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            db.session.execute(delete(ZipDistrict).where(
                tuple_(ZipDistrict.zcta, ZipDistrict.state, ZipDistrict.district).in_(keys[start:start + 500])))
    if added:
        db.session.execute(insert(ZipDistrict), [{"zcta": z, "state": s, "district": d} for z, s, d in added])
    report.zip_rows_added, report.zip_rows_removed = len(added), len(removed)


def _count_seats(report: SyncReport) -> None:
    current = db.session.execute(
        select(Term.chamber, Term.state, Term.district).where(Term.is_current)).all()
    house = {(s, d) for c, s, d in current if c is Chamber.HOUSE}
    voting = {seat for seat in house if seat[0] not in DELEGATE_STATES}
    delegates = {seat for seat in house if seat[0] in DELEGATE_STATES}
    senators = sum(1 for c, _, _ in current if c is Chamber.SENATE)
    mapped = set(db.session.execute(select(ZipDistrict.state, ZipDistrict.district).distinct()))
    vacant_voting = sorted((mapped - house) - {s for s in mapped if s[0] in DELEGATE_STATES})
    vacant_delegates = sorted(DELEGATE_STATES - {s for s, _ in delegates})
    report.vacancies = [f"{s}-{d}" for s, d in vacant_voting] + [f"{s}-0" for s in vacant_delegates]
    report.counts = {
        "house_seats_filled": len(voting),
        "house_seats_vacant": VOTING_SEATS - len(voting),
        "delegates_filled": len(delegates),
        "delegates_vacant": DELEGATE_SEATS - len(delegates),
        "senators": senators,
        "zip_rows": db.session.scalar(select(db.func.count()).select_from(ZipDistrict)),
    }
    if len(voting) + len(vacant_voting) != VOTING_SEATS:
        report.warnings.append(
            f"House: {len(voting)} seats filled and {len(vacant_voting)} mapped vacancies, expected {VOTING_SEATS} seats")
    if senators != SENATE_SEATS:
        report.warnings.append(f"Senate: {senators} senators, expected {SENATE_SEATS}")
    if len(delegates) != DELEGATE_SEATS:
        report.warnings.append(f"Delegates: {len(delegates)} filled, expected {DELEGATE_SEATS}")


def latest_sync() -> DataSync | None:
    """Return the most recent sync record."""
    return db.session.scalar(select(DataSync).order_by(DataSync.id.desc()).limit(1))


def data_is_fresh(max_age_hours: float) -> bool:
    """Tell whether the last sync happened within the given number of hours."""
    last = latest_sync()
    return last is not None and last.age_hours() < max_age_hours
