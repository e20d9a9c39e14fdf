"""Who holds each seat now, so a campaign can tell which of its targets changed since it launched."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Chamber, Term


def seat_key(term: Term) -> str:
    """Name a seat the same way in every snapshot: "CA-12" for the House, "CA-S1" for a Senate class."""
    if term.chamber is Chamber.HOUSE:
        return f"{term.state}-{term.district}"
    return f"{term.state}-S{term.senate_class}"


def current_roster() -> dict[str, str]:
    """Return {seat: bioguide id} for every seat the latest sync lists as filled."""
    terms = db.session.scalars(select(Term).where(Term.is_current)).all()
    return {seat_key(term): term.bioguide_id for term in terms}


@dataclass(frozen=True)
class SeatChange:
    seat: str
    before: str | None  # bioguide id at launch, None if the seat was vacant
    after: str | None   # bioguide id now, None if the seat is vacant now


def roster_changes(at_launch: dict[str, str], now: dict[str, str]) -> list[SeatChange]:
    """Return the seats whose holder differs between two snapshots, sorted by seat."""
    seats = sorted(set(at_launch) | set(now))
    return [SeatChange(seat, at_launch.get(seat), now.get(seat))
            for seat in seats if at_launch.get(seat) != now.get(seat)]
