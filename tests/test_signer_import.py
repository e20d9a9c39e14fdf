"""Signer import: printed names → bioguide ids among the people who sat in the letter's chamber that day."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.campaigns import signer_import
from outreach.campaigns.signer_import import ImportRow, SignerImportError, fold, match_rows, parse_signer_text
from outreach.models import Chamber, Letter, Person, Signature, Term

SOURCE = "https://example.org/letter.pdf"


def add_rep(db, bioguide, first, last, state, district, middle=None, nickname=None, suffix=None,
            start=date(2021, 1, 3), end=date(2023, 1, 3)):
    """Add a House member who sat on 2021-02-11 (people the small fixture files do not have)."""
    person = Person(bioguide_id=bioguide, first_name=first, last_name=last, middle_name=middle, nickname=nickname,
                    suffix=suffix, is_current=False)
    person.terms.append(Term(chamber=Chamber.HOUSE, state=state, district=district, start=start, end=end))
    db.session.add(person)


@pytest.fixture
def people(db, synced):
    add_rep(db, "G000586", "Jesús", "García", "IL", 4, middle="G.", nickname="Chuy")
    add_rep(db, "G000587", "Sylvia", "Garcia", "TX", 29, middle="R.")
    add_rep(db, "G000061", "Mike", "Garcia", "CA", 25)
    add_rep(db, "B001300", "Nanette", "Barragán", "CA", 44, middle="Diaz")
    add_rep(db, "B001292", "Donald", "Beyer", "VA", 8, middle="S.", suffix="Jr.")
    add_rep(db, "W000797", "Debbie", "Wasserman Schultz", "FL", 23)
    add_rep(db, "O000172", "Alexandria", "Ocasio-Cortez", "NY", 14)
    # Casar's real first House term began in 2023; this 2021 term is invented so the name can be tested here.
    casar = Person(bioguide_id="C001131", first_name="Gregorio", middle_name="Eduardo", last_name="Casar",
                   official_full="Greg Casar")
    casar.terms.append(Term(chamber=Chamber.HOUSE, state="TX", district=35, start=date(2021, 1, 3),
                            end=date(2023, 1, 3)))
    db.session.add(casar)
    # Left before the letter: must not be a candidate.
    add_rep(db, "F000462", "Lois", "Frankel", "FL", 21, end=date(2021, 1, 3))
    db.session.commit()


@pytest.fixture
def letter(db, people):
    letter = Letter(title="Test letter", letter_date=date(2021, 2, 11), recipient="DHS",
                    eligible_chamber=Chamber.HOUSE)
    db.session.add(letter)
    db.session.commit()
    return letter


def one(letter, text):
    return match_rows(letter, parse_signer_text(text))[0]


def test_fold_strips_accents_case_and_punctuation():
    assert fold("Tony Cárdenas") == "tony cardenas"
    assert fold("Jesús G. \"Chuy\" García") == "jesus g chuy garcia"
    assert fold("Beto O’Rourke") == "beto orourke"
    assert fold("Ocasio-Cortez") == "ocasio cortez"


@pytest.mark.parametrize("printed, expected", [
    ("Jan Schakowsky", "S001145"),                  # nickname from the data
    ("Janice D. Schakowsky", "S001145"),            # middle initial
    ("Rep. JANICE SCHAKOWSKY", "S001145"),          # title, case
    ("Representative Mike Quigley", "S001145".replace("S001145", "Q000023")),
    ("Adriano Espaíllat", "E000297"),               # stray accent
    ("Danny K. Davis", "D000096"),
    ("Jerry Nadler", "N000002"),                    # nickname table: Jerrold
    ("Anthony G. Brown", "B001304"),
    ("Tony Brown", "B001304"),                      # nickname table: Anthony
    ("Earl Blumenauer", "B000574"),                 # has left Congress since, sat then
    ("Adam B. Schiff", "S001150"),                  # senator now, House member then
    ("Eleanor Holmes Norton", "N000147"),           # delegate
    ('Jesús G. "Chuy" García', "G000586"),          # quoted nickname, accents
    ("Chuy Garcia", "G000586"),                     # nickname without accents
    ("Rep. Jesus Garcia", "G000586"),
    ("Sylvia R. Garcia", "G000587"),
    ("Mike Garcia", "G000061"),
    ("Nanette Diaz Barragán", "B001300"),           # compound surname as printed
    ("Nanette Barragan", "B001300"),
    ("Rep. Diaz Barragán", "B001300"),
    ("Donald S. Beyer Jr.", "B001292"),             # suffix
    ("Donald S. Beyer, Jr.", "B001292"),
    ("Don Beyer", "B001292"),
    ("Debbie Wasserman Schultz", "W000797"),
    ("Debbie Wasserman-Schultz", "W000797"),        # hyphen for a space
    ("Alexandria Ocasio Cortez", "O000172"),        # space for a hyphen
    ("Greg Casar", "C001131"),                      # first name as in official_full (Gregorio)
])
def test_names_match_without_help(letter, printed, expected):
    result = one(letter, printed)
    assert (result.status, result.bioguide_id) == ("matched", expected)


def test_surname_alone_is_ambiguous_and_lists_the_candidates(letter):
    result = one(letter, "Garcia")
    assert result.status == "ambiguous" and result.bioguide_id is None
    assert {c.bioguide_id for c in result.candidates} == {"G000586", "G000587", "G000061"}
    assert {c.seat for c in result.candidates} == {"IL-4", "TX-29", "CA-25"}


def test_state_and_district_narrow_a_tie(letter):
    text = "name,state,district\nGarcia,TX,\nGarcia,TX,29\nGarcia,,IL-4\n"
    state_only, seat, seat_in_district_column = match_rows(letter, parse_signer_text(text))
    assert state_only.status == "ambiguous" and [c.bioguide_id for c in state_only.candidates] == ["G000587"]
    assert (seat.status, seat.bioguide_id) == ("matched", "G000587")
    assert (seat_in_district_column.status, seat_in_district_column.bioguide_id) == ("matched", "G000586")


def test_a_state_that_contradicts_the_name_is_not_silently_matched(letter):
    result = one(letter, "name,state\nJan Schakowsky,NY\n")
    assert result.status == "ambiguous" and [c.bioguide_id for c in result.candidates] == ["S001145"]


def test_first_name_that_does_not_fit_asks_for_confirmation(letter):
    result = one(letter, "Robert Quigley")
    assert result.status == "ambiguous" and [c.bioguide_id for c in result.candidates] == ["Q000023"]


def test_unmatched_names_come_with_close_suggestions(letter):
    typo = one(letter, "Jan Schakowski")
    assert typo.status == "unmatched" and [c.bioguide_id for c in typo.candidates] == ["S001145"]
    nobody = one(letter, "Jane Doe")
    assert nobody.status == "unmatched" and nobody.candidates == []
    gone = one(letter, "Lois Frankel")  # her term ended before the letter
    assert gone.status == "unmatched"
    senator = one(letter, "Dick Durbin")  # a senator cannot sign a House letter
    assert senator.status == "unmatched"


def test_senate_letter_matches_senators_with_nicknames(db, people):
    letter = Letter(title="Senate", letter_date=date(2021, 2, 11), recipient="x", eligible_chamber=Chamber.SENATE)
    assert one(letter, "Sen. Chuck Schumer").bioguide_id == "S000148"
    assert one(letter, "Alex Padilla").bioguide_id == "P000145"
    assert one(letter, "Adam Schiff").status == "unmatched"  # in the House then


def test_a_letter_in_the_current_congress_matches_current_members(db, people):
    letter = Letter(title="New", letter_date=date(2025, 3, 1), recipient="x", eligible_chamber=Chamber.HOUSE)
    assert one(letter, "Dan Goldman").bioguide_id == "G000599"          # not in Congress in 2021
    assert one(letter, "Harriet M. Hageman").bioguide_id == "H001096"
    assert one(letter, "Judy Chu").candidates[0].seat == "CA-28"        # the seat on the letter's date
    assert one(letter, "Adam Schiff").status == "unmatched"             # a senator by then
    assert one(letter, "Earl Blumenauer").status == "unmatched"         # left in January 2025


def test_parse_accepts_a_header_csv_or_one_name_per_line():
    rows = parse_signer_text("Name_As_Printed,State,District,Source_URL\r\n"
                             '"Donald S. Beyer, Jr.",va,8,https://example.org/a\r\n\r\nJudy Chu,CA,AL,\r\n')
    assert rows == [ImportRow(0, "Donald S. Beyer, Jr.", "VA", 8, "https://example.org/a"),
                    ImportRow(1, "Judy Chu", "CA", 0, "")]
    plain = parse_signer_text("Donald S. Beyer, Jr.\n\n  Jan Schakowsky  \n")
    assert [r.name for r in plain] == ["Donald S. Beyer, Jr.", "Jan Schakowsky"]
    with pytest.raises(SignerImportError):
        parse_signer_text("  \n")
    with pytest.raises(SignerImportError, match="district"):
        parse_signer_text("name,district\nX,ninth\n")


def test_uploads_must_be_utf8():
    assert signer_import.decode_upload("\ufeffname\nTony Cárdenas\n".encode("utf-8")) == "name\nTony Cárdenas\n"
    with pytest.raises(SignerImportError, match="UTF-8"):
        signer_import.decode_upload("Tony Cárdenas".encode("latin-1"))


def save(letter, text, choices=None, source=SOURCE):
    results = match_rows(letter, parse_signer_text(text))
    decisions, errors, skipped = signer_import.resolve(letter, results, choices or {}, source)
    assert errors == {}
    return signer_import.save_signatures(letter, decisions, skipped)


def signatures(db, letter):
    return {s.bioguide_id: (s.name_as_printed, s.source) for s in
            db.session.scalars(select(Signature).where(Signature.letter_id == letter.id))}


def test_saving_twice_changes_nothing(db, letter):
    text = "name,source_url\nJan Schakowsky,https://example.org/press\nChuy Garcia,\nGarcia,\n"
    first = save(letter, text)
    assert (first.added, first.unchanged, first.skipped) == (2, 0, 1)  # the ambiguous row is skipped
    assert signatures(db, letter) == {"S001145": ("Jan Schakowsky", "https://example.org/press"),
                                      "G000586": ("Chuy Garcia", SOURCE)}
    again = save(letter, text)
    assert (again.added, again.unchanged, again.kept_other_source) == (0, 2, [])
    assert db.session.scalar(select(func.count()).select_from(Signature).where(Signature.letter_id == letter.id)) == 2


def test_a_different_source_never_overwrites_silently(db, letter):
    save(letter, "Jan Schakowsky", source="https://example.org/first")
    report = save(letter, "Jan Schakowsky", source="https://example.org/second")
    assert report.added == 0
    assert report.kept_other_source == [("Jan Schakowsky", "S001145", "https://example.org/first")]
    assert signatures(db, letter)["S001145"][1] == "https://example.org/first"


def test_the_organizer_resolves_ambiguous_and_unmatched_rows(db, letter):
    text = "Garcia\nJan Schakowski\nSomeone Not Synced Yet\nEarl Blumenauer"
    results = match_rows(letter, parse_signer_text(text))
    assert [r.status for r in results] == ["ambiguous", "unmatched", "unmatched", "matched"]
    choices = {0: "G000587", 1: "s001145", 2: "Z999999", 3: ""}  # pick, type (any case), type, skip a match
    decisions, errors, skipped = signer_import.resolve(letter, results, choices, SOURCE)
    assert errors == {} and skipped == 1
    report = signer_import.save_signatures(letter, decisions, skipped)
    assert report.added == 3
    assert set(signatures(db, letter)) == {"G000587", "S001145", "Z999999"}


def test_resolving_refuses_bad_ids_and_rows_without_a_source(db, letter):
    results = match_rows(letter, parse_signer_text("Garcia\nGarcia\nGarcia"))
    decisions, errors, _ = signer_import.resolve(letter, results, {0: "nonsense", 1: "D000563", 2: "G000587"}, "")
    assert "capital letter" in errors[0]
    assert "did not sit in the house" in errors[1]          # Durbin was a senator
    assert "no source" in errors[2]
    assert decisions == []


def test_a_name_listed_twice_is_saved_once(db, letter):
    report = save(letter, "Jan Schakowsky\nJanice D. Schakowsky")
    assert (report.added, report.duplicates) == (1, 1)


def test_remove_signature(db, letter):
    save(letter, "Jan Schakowsky")
    signature = letter.signatures[0]
    assert signer_import.remove_signature(letter, signature.id) is True
    assert signer_import.remove_signature(letter, signature.id) is False
    assert signatures(db, letter) == {}


@pytest.mark.integration
def test_all_fifteen_printed_names_match_on_the_full_data(full_app, full_data_dir):
    path = Path(full_data_dir) / "letter-2021-02-11" / "signers.csv"
    with path.open(encoding="utf-8") as handle:
        expected = [row["bioguide_id"] for row in csv.DictReader(handle)]
    with full_app.app_context():
        letter = Letter(title="Ending ICE entanglement", letter_date=date(2021, 2, 11), recipient="DHS",
                        eligible_chamber=Chamber.HOUSE)
        results = match_rows(letter, parse_signer_text(path.read_text(encoding="utf-8")))
        assert len(results) == 15
        assert [r.status for r in results] == ["matched"] * 15, [(r.row.name, r.status) for r in results]
        assert [r.bioguide_id for r in results] == expected
        assert len(signer_import.eligible_people(letter)) == 438
        current = Letter(title="x", letter_date=date(2025, 3, 1), recipient="x", eligible_chamber=Chamber.HOUSE)
        assert one(current, "Jan Schakowsky").bioguide_id == "S001145"
