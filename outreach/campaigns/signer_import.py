"""Importing a letter's signers: names as printed → bioguide ids of the people who could have signed.

A name is matched only among the people who held a seat in the letter's eligible chamber on the letter's date,
by surname plus first name (or a nickname), after folding accents, case, punctuation, titles, suffixes and
middle initials away. Anything less certain is shown to the organizer as ambiguous or unmatched; nothing is
guessed.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from outreach.extensions import db
from outreach.models import Chamber, Letter, Person, Signature, Term

BIOGUIDE = re.compile(r"^[A-Z][0-9]{6}$")
MAX_ROWS = 1000
NAME_COLUMNS = ("name_as_printed", "name")

TITLES = frozenset({
    "rep", "reps", "representative", "sen", "senator", "congressman", "congresswoman", "congressmember",
    "del", "delegate", "hon", "honorable", "the", "dr", "mr", "mrs", "ms", "commissioner", "resident",
})
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})

# Common English nicknames, both ways. Kept small on purpose: every pair here is one a reader would accept
# without a source; anything rarer is what Person.nickname (from congress-legislators) or the organizer is for.
_NICKNAME_GROUPS = (
    ("william", "bill", "will", "billy"),
    ("robert", "bob", "rob", "bobby"),
    ("james", "jim", "jimmy"),
    ("charles", "chuck", "charlie"),
    ("janice", "jan"),
    ("michael", "mike"),
    ("anthony", "tony"),
    ("donald", "don"),
    ("daniel", "dan", "danny"),
    ("thomas", "tom"),
    ("richard", "dick", "rick"),
    ("joseph", "joe"),
    ("edward", "ed"),
    ("steven", "steve"),
    ("stephen", "steve"),
    ("katherine", "kathy", "kate"),
    ("elizabeth", "liz", "beth"),
    ("patricia", "pat"),
    ("jesus", "chuy"),
    ("gerald", "gerry", "jerry"),
    ("jerrold", "jerry"),
    ("christopher", "chris"),
    ("benjamin", "ben"),
)
NICKNAMES: dict[str, frozenset[str]] = {}
for _group in _NICKNAME_GROUPS:
    for _name in _group:
        NICKNAMES[_name] = NICKNAMES.get(_name, frozenset()) | frozenset(_group)


class SignerImportError(Exception):
    """The pasted or uploaded text cannot be read as a signer list."""


@dataclass(frozen=True)
class ImportRow:
    index: int
    name: str
    state: str | None = None
    district: int | None = None
    source_url: str = ""


@dataclass(frozen=True)
class Candidate:
    bioguide_id: str
    name: str
    seat: str  # the seat held on the letter's date, e.g. "IL-9" or "IL (Senate)"


@dataclass
class RowResult:
    row: ImportRow
    status: str  # "matched", "ambiguous" or "unmatched"
    bioguide_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""


# --- reading the text ---------------------------------------------------------------------------


def decode_upload(data: bytes) -> str:
    """Decode an uploaded file as UTF-8 (with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SignerImportError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.") from None


def _parse_district(value: str) -> tuple[str | None, int | None]:
    value = (value or "").strip().upper()
    state = None
    if "-" in value:
        state, _, value = value.partition("-")
        state = state.strip() or None
    if not value:
        return state, None
    if value in ("AL", "AT-LARGE", "AT LARGE"):
        return state, 0
    if not value.isdigit():
        raise SignerImportError(f"Cannot read district {value!r}: use a number, or AL for at-large.")
    return state, int(value)


def parse_signer_text(text: str) -> list[ImportRow]:
    """Read a CSV with a header (name or name_as_printed; state, district, source_url optional) or one name a line."""
    lines = [line for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if not any(line.strip() for line in lines):
        raise SignerImportError("There are no names to import.")
    first = next(line for line in lines if line.strip())
    header = [cell.strip().lower() for cell in next(csv.reader([first]))]
    rows: list[ImportRow] = []
    if any(name in header for name in NAME_COLUMNS):
        name_column = next(name for name in NAME_COLUMNS if name in header)
        reader = csv.DictReader(io.StringIO("\n".join(line for line in lines if line.strip())))
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
        for record in reader:
            name = (record.get(name_column) or "").strip()
            if not name:
                continue
            state, district = _parse_district(record.get("district") or "")
            state = ((record.get("state") or "").strip().upper() or state) or None
            rows.append(ImportRow(len(rows), name, state, district, (record.get("source_url") or "").strip()))
    else:
        # No header: the whole line is the name ("Donald S. Beyer, Jr." has a comma of its own).
        for line in lines:
            if line.strip():
                rows.append(ImportRow(len(rows), line.strip()))
    if len(rows) > MAX_ROWS:
        raise SignerImportError(f"At most {MAX_ROWS} names per import.")
    return rows


# --- normalising names --------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase, strip accents, turn punctuation into spaces (apostrophes vanish: O'Rourke → orourke)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = re.sub(r"['’‘`]", "", plain)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]+)[\"“”«»]|\(([^()]+)\)")


@dataclass(frozen=True)
class ParsedName:
    tokens: tuple[str, ...]       # given names and surname, titles/suffixes/initials removed
    nicknames: tuple[str, ...]    # from "Chuy" or (Chuy)


def parse_name(printed: str) -> ParsedName:
    """Split a printed name into meaningful tokens and any quoted nickname."""
    nicknames = tuple(fold(m.group(1) or m.group(2)) for m in QUOTED.finditer(printed))
    rest = QUOTED.sub(" ", printed)
    tokens = [t for t in fold(rest).split() if t not in TITLES and t not in SUFFIXES and len(t) > 1]
    return ParsedName(tuple(tokens), tuple(n for n in nicknames if n))


def _expand(names: set[str]) -> set[str]:
    out = set(names)
    for name in names:
        out |= NICKNAMES.get(name, frozenset())
    return out


@dataclass(frozen=True)
class Eligible:
    person: Person
    term: Term
    surnames: frozenset[str]
    given: frozenset[str]

    @property
    def seat(self) -> str:
        if self.term.chamber is Chamber.SENATE:
            return f"{self.term.state} (Senate)"
        return f"{self.term.state}-{self.term.district if self.term.district else 'AL'}"

    def candidate(self) -> Candidate:
        return Candidate(self.person.bioguide_id, self.person.display_name, self.seat)


def _names_of(person: Person, term: Term) -> Eligible:
    last = fold(person.last_name)
    surnames = {last, last.replace(" ", "")}
    parts = last.split()
    if len(parts) > 1:  # "Wasserman Schultz", "Ocasio-Cortez": either part alone is how people print them too
        surnames |= set(parts)
    middle = fold(person.middle_name or "")
    if len(middle) > 1:  # "Nanette Diaz Barragán": the middle name is printed as part of the surname
        surnames.add(f"{middle} {last}")
    given = {fold(person.first_name)} | ({fold(person.nickname)} if person.nickname else set())
    given |= {part for part in fold(person.first_name).split()}
    if len(middle) > 1:
        given.add(middle.split()[0])  # people who go by their middle name
    official = fold(person.official_full or "").split()
    if official and len(official[0]) > 1:
        given.add(official[0])  # the name they use officially: "Greg" Casar (Gregorio), "Val" Hoyle (Valerie)
    return Eligible(person, term, frozenset(s for s in surnames if s), frozenset(_expand({g for g in given if g})))


def eligible_people(letter: Letter) -> list[Eligible]:
    """Return everyone who held a seat in the letter's eligible chamber on the letter's date."""
    day = letter.letter_date
    terms = db.session.scalars(
        select(Term).where(Term.chamber == letter.eligible_chamber, Term.start <= day, Term.end >= day)
        .options(selectinload(Term.person))).all()
    by_person: dict[str, Term] = {}
    for term in terms:  # on a boundary day two terms of one person can both cover it; keep the newer seat
        known = by_person.get(term.bioguide_id)
        if known is None or term.start > known.start:
            by_person[term.bioguide_id] = term
    people = [_names_of(term.person, term) for term in by_person.values()]
    return sorted(people, key=lambda e: (e.person.last_name, e.person.first_name, e.person.bioguide_id))


# --- matching -----------------------------------------------------------------------------------


def _narrow(found: list[Eligible], row: ImportRow) -> list[Eligible]:
    """Keep the people whose seat agrees with the row's state and district, when the row gives them."""
    if row.state:
        found = [e for e in found if e.term.state == row.state]
    if row.district is not None:
        found = [e for e in found if e.term.district == row.district]
    return found


def match_row(row: ImportRow, pool: list[Eligible]) -> RowResult:
    """Match one printed name against the eligible people."""
    parsed = parse_name(row.name)
    if not parsed.tokens:
        return RowResult(row, "unmatched", note="No name left after removing titles and initials.")
    strong: list[Eligible] = []
    weak: list[Eligible] = []
    for person in pool:
        splits = [(" ".join(parsed.tokens[k:]), parsed.tokens[:k]) for k in range(len(parsed.tokens))]
        surname_hits = [given for surname, given in splits if surname in person.surnames]
        if not surname_hits:
            continue
        offered = {g for given in surname_hits for g in given} | set(parsed.nicknames)
        (strong if offered & person.given else weak).append(person)
    if strong:
        narrowed = _narrow(strong, row)
        if len(narrowed) == 1:
            return RowResult(row, "matched", narrowed[0].person.bioguide_id, [narrowed[0].candidate()])
        if not narrowed:
            return RowResult(row, "ambiguous", candidates=[e.candidate() for e in strong],
                             note="The name matches, but not the state or district given.")
        return RowResult(row, "ambiguous", candidates=[e.candidate() for e in narrowed],
                         note="Several people with this name sat in the chamber then.")
    if weak:
        narrowed = _narrow(weak, row)
        if len(narrowed) == 1 and row.state and row.district is not None:
            # Surname plus the exact seat: only one person held that seat with that surname on that day.
            return RowResult(row, "matched", narrowed[0].person.bioguide_id, [narrowed[0].candidate()])
        shown = narrowed or weak
        return RowResult(row, "ambiguous", candidates=[e.candidate() for e in shown],
                         note="The surname matches but the first name does not; please confirm.")
    surnames = {s: e for e in pool for s in e.surnames}
    close = difflib.get_close_matches(parsed.tokens[-1], list(surnames), n=3, cutoff=0.8)
    suggestions = list({surnames[s].person.bioguide_id: surnames[s].candidate() for s in close}.values())
    return RowResult(row, "unmatched", candidates=suggestions,
                     note="Nobody of that name sat in the eligible chamber on the letter's date.")


def match_rows(letter: Letter, rows: list[ImportRow]) -> list[RowResult]:
    """Match every row of an import against the people who could have signed the letter."""
    pool = eligible_people(letter)
    return [match_row(row, pool) for row in rows]


# --- resolving and saving -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    row: ImportRow
    bioguide_id: str
    source: str


@dataclass
class SaveReport:
    added: int = 0
    unchanged: int = 0
    skipped: int = 0
    # (name, bioguide id, source on file) of signatures kept although this import gave another source.
    kept_other_source: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: int = 0


def resolve(letter: Letter, results: list[RowResult], choices: dict[int, str], source: str
            ) -> tuple[list[Decision], dict[int, str], int]:
    """Apply the organizer's choices; return the decisions, errors by row index, and how many rows are skipped.

    `choices` maps a row index to a bioguide id (picked or typed) or "" to skip the row; a matched row with no
    entry keeps its match.
    """
    eligible = {e.person.bioguide_id for e in eligible_people(letter)}
    known = set(db.session.scalars(select(Person.bioguide_id)))
    decisions: list[Decision] = []
    errors: dict[int, str] = {}
    skipped = 0
    for result in results:
        index = result.row.index
        chosen = choices.get(index, result.bioguide_id or "")
        chosen = (chosen or "").strip().upper()
        if not chosen:
            skipped += 1
            continue
        if not BIOGUIDE.match(chosen):
            errors[index] = "A bioguide id is a capital letter and six digits, for example S001145."
            continue
        if chosen in known and chosen not in eligible:
            errors[index] = (f"{chosen} did not sit in the {letter.eligible_chamber.value} "
                             f"on {letter.letter_date.isoformat()}, so could not have signed.")
            continue
        row_source = result.row.source_url or source.strip()
        if not row_source:
            errors[index] = "This row has no source URL: give a source for the whole import."
            continue
        decisions.append(Decision(result.row, chosen, row_source))
    return decisions, errors, skipped


def save_signatures(letter: Letter, decisions: list[Decision], skipped: int = 0) -> SaveReport:
    """Create the signatures that do not exist yet; an existing signature and its source are never changed."""
    report = SaveReport(skipped=skipped)
    existing = {s.bioguide_id: s for s in letter.signatures}
    seen: set[str] = set()
    for decision in decisions:
        if decision.bioguide_id in seen:
            report.duplicates += 1
            continue
        seen.add(decision.bioguide_id)
        signature = existing.get(decision.bioguide_id)
        if signature is None:
            letter.signatures.append(Signature(bioguide_id=decision.bioguide_id, name_as_printed=decision.row.name[:160],
                                               source=decision.source))
            report.added += 1
        elif signature.source == decision.source:
            report.unchanged += 1
        else:
            report.unchanged += 1
            report.kept_other_source.append((signature.name_as_printed, signature.bioguide_id, signature.source))
    try:
        db.session.commit()
    except IntegrityError:
        # Another organizer saved the same signer a moment ago: nothing from this import was written.
        db.session.rollback()
        raise SignerImportError("Someone else saved signatures for this letter at the same time. "
                                "Review the import again.") from None
    return report


def remove_signature(letter: Letter, signature_id: int) -> bool:
    """Delete one signature of a letter (a wrong match); return whether it existed."""
    signature = next((s for s in letter.signatures if s.id == signature_id), None)
    if signature is None:
        return False
    letter.signatures.remove(signature)
    db.session.commit()
    return True
