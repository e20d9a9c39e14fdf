"""Who an alert goes to (its segment): everyone, a state, a district, or by their Representative's signing status.

Named "audience" rather than "segments": a submodule `outreach.sms.segments` would replace the package's
`segments()` function (SMS segment counting) as the attribute `outreach.sms.segments` once imported.

Every segment is a SELECT over subscribers that are active and whose number is not on the suppression list,
so an opted-out or suppressed number is never counted and never fanned out to, whatever the segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, false, func, or_, select

from outreach.campaigns.signing import SigningStatus, signatures_by_bioguide, signing_status
from outreach.extensions import db
from outreach.models import (
    Alert,
    Campaign,
    Chamber,
    Medium,
    Person,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
    Term,
)


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind = SegmentKind.EVERYONE
    state: str | None = None
    district: int | None = None
    campaign_id: int | None = None
    statuses: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, alert: Alert) -> "Segment":
        """Return the segment an alert is stored with."""
        return cls(alert.segment_kind, alert.segment_state, alert.segment_district, alert.segment_campaign_id,
                   tuple(alert.segment_statuses or ()))

    def describe(self) -> str:
        """Say in a few words who is in the segment (for organizers)."""
        if self.kind is SegmentKind.STATE:
            return f"subscribers in {self.state}"
        if self.kind is SegmentKind.DISTRICT:
            return f"subscribers in {self.state}-{self.district}"
        if self.kind is SegmentKind.SIGNING_STATUS:
            labels = ", ".join(s.replace("_", " ") for s in self.statuses) or "no status"
            return f"subscribers whose Representative is: {labels}"
        return "every active subscriber"


def reachable() -> Select:
    """Return the active subscribers whose number is not suppressed (one row per subscriber)."""
    suppressed = exists().where(Suppression.medium == Medium.SMS, Suppression.address == Subscriber.phone)
    return select(Subscriber.id, Subscriber.locale).where(Subscriber.status == SubscriberStatus.ACTIVE, ~suppressed)


def recipients(segment: Segment) -> Select:
    """Return a SELECT of (subscriber id, locale) for everyone in the segment, ordered by id."""
    query = reachable()
    if segment.kind is SegmentKind.STATE:
        query = query.where(Subscriber.state == (segment.state or "").upper())
    elif segment.kind is SegmentKind.DISTRICT:
        query = query.where(Subscriber.state == (segment.state or "").upper(),
                            Subscriber.district == segment.district)
    elif segment.kind is SegmentKind.SIGNING_STATUS:
        seats = seats_with_status(segment.campaign_id, segment.statuses)
        # A subscriber whose district we do not know (a split ZIP) has no known Representative: left out.
        query = query.where(or_(*(and_(Subscriber.state == state, Subscriber.district == district)
                                  for state, district in sorted(seats))) if seats else false())
    return query.order_by(Subscriber.id)


def count(segment: Segment) -> int:
    """Return how many subscribers an alert to this segment would reach now."""
    return db.session.scalar(select(func.count()).select_from(recipients(segment).order_by(None).subquery()))


def seats_with_status(campaign_id: int | None, statuses: tuple[str, ...] | list[str]) -> set[tuple[str, int]]:
    """Return the House seats (state, district) whose current member has one of these statuses for the letter."""
    campaign = db.session.get(Campaign, campaign_id) if campaign_id is not None else None
    wanted = {SigningStatus(s) for s in statuses}
    if campaign is None or not wanted:
        return set()
    letter = campaign.letter
    signatures = signatures_by_bioguide(letter)
    # "Current" is what the latest sync says, never a comparison of term dates with today (DESIGN.md).
    terms = db.session.scalars(select(Term).join(Person).where(Term.is_current, Term.chamber == Chamber.HOUSE)).all()
    return {(term.state, term.district) for term in terms
            if signing_status(letter, term.person, signatures).status in wanted}
