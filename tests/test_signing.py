"""Signing status per person, from their terms on the letter's date (DESIGN.md "Signing status")."""

from __future__ import annotations

from datetime import date

import pytest

from outreach.campaigns.services import public_campaign
from outreach.campaigns.signing import SigningStatus, signing_status, status_label
from outreach.models import Chamber, Letter, Person, Signature


@pytest.fixture
def letter(synced):
    return public_campaign("end-ice-entanglement").letter


@pytest.mark.parametrize(("bioguide", "expected"), [
    ("S001145", SigningStatus.SIGNED),        # Schakowsky, lead signer
    ("B000574", SigningStatus.SIGNED),        # Blumenauer, signed, has left Congress
    ("N000002", SigningStatus.NOT_LISTED),    # Nadler, in the House on 2021-02-11
    ("N000147", SigningStatus.NOT_LISTED),    # Norton, a delegate is a House seat
    ("S001150", SigningStatus.NOT_LISTED),    # Schiff: a senator now, in the House in February 2021
    ("P000145", SigningStatus.NOT_ELIGIBLE),  # Padilla: already a senator on the letter's date
    ("D000622", SigningStatus.NOT_ELIGIBLE),  # Duckworth: once in the House, a senator in 2021
    ("L000571", SigningStatus.NOT_ELIGIBLE),  # Lummis: House until 2017, Senate from January 2021
    ("G000599", SigningStatus.NOT_IN_OFFICE), # Goldman: first elected in 2022
])
def test_status_of_each_fixture_person(db, letter, bioguide, expected):
    person = db.session.get(Person, bioguide)
    assert signing_status(letter, person).status is expected


def test_signed_carries_its_source(db, letter):
    status = signing_status(letter, db.session.get(Person, "E000297"))
    assert status.status is SigningStatus.SIGNED
    assert "politico.com" in status.source


def test_senate_letter_swaps_eligibility(db, synced):
    senate_letter = Letter(title="A Senate letter", letter_date=date(2021, 2, 11), recipient="Someone",
                           eligible_chamber=Chamber.SENATE, signers_complete=True,
                           signatures=[Signature(bioguide_id="D000563", name_as_printed="Dick Durbin", source="test")])
    db.session.add(senate_letter)
    db.session.flush()
    status_of = {b: signing_status(senate_letter, db.session.get(Person, b)).status
                 for b in ("D000563", "D000622", "S001150", "G000599")}
    assert status_of == {"D000563": SigningStatus.SIGNED, "D000622": SigningStatus.NOT_LISTED,
                         "S001150": SigningStatus.NOT_ELIGIBLE, "G000599": SigningStatus.NOT_IN_OFFICE}


def test_term_boundaries_count_the_letter_date(db, synced):
    # A member sworn in on the letter's date held the seat that day.
    person = db.session.get(Person, "G000599")
    first_day = person.terms[0].start
    letter = Letter(title="t", letter_date=first_day, recipient="r", eligible_chamber=Chamber.HOUSE)
    assert signing_status(letter, person, signatures={}).status is SigningStatus.NOT_LISTED


def test_incomplete_list_never_says_did_not_sign(app, letter):
    with app.test_request_context():
        assert str(status_label(letter, SigningStatus.NOT_LISTED)) == \
            "Not on our list of signers — our list is incomplete"
        letter.signers_complete = True
        assert str(status_label(letter, SigningStatus.NOT_LISTED)) == "Did not sign the letter"
