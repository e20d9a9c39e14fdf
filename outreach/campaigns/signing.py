"""Whether a member signed a letter, decided per person from their terms on the letter's date."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from outreach.models import Letter, Person, Signature


class SigningStatus(str, enum.Enum):
    SIGNED = "signed"
    NOT_LISTED = "not_listed"
    NOT_ELIGIBLE = "not_eligible"
    NOT_IN_OFFICE = "not_in_office"


@dataclass(frozen=True)
class SignatureStatus:
    status: SigningStatus
    source: str | None = None


def signing_status(letter: Letter, person: Person, signatures: dict[str, Signature] | None = None) -> SignatureStatus:
    """Apply DESIGN.md's order: on the list, then in the eligible chamber, then the other one, then neither."""
    if signatures is None:
        signatures = signatures_by_bioguide(letter)
    signature = signatures.get(person.bioguide_id)
    if signature is not None:
        return SignatureStatus(SigningStatus.SIGNED, signature.source)
    seat = person.seat_on(letter.letter_date)
    if seat is None:
        return SignatureStatus(SigningStatus.NOT_IN_OFFICE)
    if seat.chamber is letter.eligible_chamber:
        return SignatureStatus(SigningStatus.NOT_LISTED)
    return SignatureStatus(SigningStatus.NOT_ELIGIBLE)


def signatures_by_bioguide(letter: Letter) -> dict[str, Signature]:
    """Index a letter's signatures by bioguide id."""
    return {s.bioguide_id: s for s in letter.signatures}


def status_label(letter: Letter, status: SigningStatus):
    """Return the honest, translated wording of a status for this letter."""
    if status is SigningStatus.SIGNED:
        return _l("Signed the letter")
    if status is SigningStatus.NOT_LISTED:
        if letter.signers_complete:
            return _l("Did not sign the letter")
        return _l("Not on our list of signers — our list is incomplete")
    if status is SigningStatus.NOT_ELIGIBLE:
        if letter.eligible_chamber.value == "house":
            return _l("Not eligible: this was a House letter and they were in the Senate")
        return _l("Not eligible: this was a Senate letter and they were in the House")
    return _l("Not in Congress when the letter was sent")
