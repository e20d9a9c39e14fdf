"""A campaign's numbers: actions by day, demand, state and member; signers versus others; deliveries by state.

Every count is one GROUP BY in the database; Python only walks the grouped rows (at most one per day, demand,
state, member or delivery state), never the actions themselves. The CSV export is the one place that reads
every action, in keyset batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from outreach.campaigns.signing import SigningStatus, signatures_by_bioguide, signing_status
from outreach.congress.roster import SeatChange, current_roster, roster_changes
from outreach.extensions import db
from outreach.models import Action, Campaign, Delivery, DeliveryKind, DeliveryState, Demand, Medium, Person
from outreach.models.base import as_utc

# Data older than this gets a notice on the report and data pages: sync normally runs daily.
STALE_AFTER_HOURS = 48
# The longest stretch of days the daily series covers; actions before it are counted apart (days_before_range).
MAX_DAYS = 366


@dataclass(frozen=True)
class DemandCount:
    demand_id: int
    slug: str
    title: str
    actions: int


@dataclass(frozen=True)
class MemberCount:
    bioguide_id: str
    name: str
    status: SigningStatus | None  # None when the member is not in the synced data
    actions: int
    messages_by_state: dict[DeliveryState, int]

    @property
    def signed(self) -> bool:
        return self.status is SigningStatus.SIGNED


@dataclass(frozen=True)
class SignerSplit:
    """Office messages to signers and to everyone else, with how many actions reached each group."""

    signer_members: int = 0
    signer_messages: int = 0
    signer_actions: int = 0
    other_members: int = 0
    other_messages: int = 0
    other_actions: int = 0
    by_status: dict[SigningStatus, int] = field(default_factory=dict)


@dataclass
class CampaignReport:
    campaign_id: int
    total_actions: int
    erased_actions: int
    by_day: list[tuple[date, int]]
    days_before_range: int  # actions older than the daily series (only when it was capped at MAX_DAYS)
    by_demand: list[DemandCount]
    by_state: dict[str, int]
    by_member: list[MemberCount]
    signers: SignerSplit
    deliveries_by_state: dict[DeliveryState, int]
    deliveries_by_medium: dict[Medium, int]
    deliveries_by_kind: dict[DeliveryKind, dict[DeliveryState, int]]

    @property
    def total_deliveries(self) -> int:
        return sum(self.deliveries_by_state.values())


def utc_day(column) -> ColumnElement:
    """Return a SQL expression for the UTC calendar date of a timestamp column, on SQLite or PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        # timestamptz → date would use the session's time zone; pin it to UTC.
        return cast(func.timezone("UTC", column), Date)
    # SQLite keeps the UTC wall-clock time as text; date() takes its first ten characters' worth.
    return func.date(column)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def actions_by_day(campaign_id: int, through: date | None = None) -> tuple[list[tuple[date, int]], int]:
    """Return (day, actions) for every UTC day from the first action on, zero days included, and the overflow.

    `through` extends the series to a later day (today, for a live campaign). The series is capped at
    MAX_DAYS; the second value counts the actions on the days cut off before it.
    """
    day = utc_day(Action.created_at).label("day")
    rows = db.session.execute(
        select(day, func.count()).where(Action.campaign_id == campaign_id).group_by(day).order_by(day)).all()
    counts = {_as_date(d): n for d, n in rows}
    if not counts:
        return [], 0
    first, last = min(counts), max(counts)
    if through is not None and through > last:
        last = through
    start = max(first, last - timedelta(days=MAX_DAYS - 1))
    overflow = sum(n for d, n in counts.items() if d < start)
    series = [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0))
              for i in range((last - start).days + 1)]
    return series, overflow


def actions_by_demand(campaign_id: int) -> list[DemandCount]:
    """Return every demand of the campaign, in page order, with its number of actions (zero included)."""
    count = func.count(Action.id)
    rows = db.session.execute(
        select(Demand.id, Demand.slug, Demand.title, count)
        .outerjoin(Action, Action.demand_id == Demand.id)
        .where(Demand.campaign_id == campaign_id)
        .group_by(Demand.id, Demand.slug, Demand.title, Demand.position)
        .order_by(Demand.position, Demand.id)).all()
    return [DemandCount(i, s, t, n) for i, s, t, n in rows]


def actions_by_state(campaign_id: int) -> dict[str, int]:
    """Return {state: actions}, busiest state first."""
    count = func.count().label("n")
    rows = db.session.execute(
        select(Action.state, count).where(Action.campaign_id == campaign_id)
        .group_by(Action.state).order_by(count.desc(), Action.state)).all()
    return {state: n for state, n in rows}


def office_messages_by_member(campaign_id: int) -> dict[str, tuple[int, dict[DeliveryState, int]]]:
    """Return {bioguide id: (actions, {delivery state: messages})} for the campaign's office messages."""
    rows = db.session.execute(
        select(Delivery.recipient_key, Delivery.state, func.count())
        .join(Action, Action.id == Delivery.action_id)
        .where(Action.campaign_id == campaign_id, Delivery.kind == DeliveryKind.OFFICE_MESSAGE)
        .group_by(Delivery.recipient_key, Delivery.state)).all()
    states_by_member: dict[str, dict[DeliveryState, int]] = {}
    for bioguide, state, messages in rows:
        states_by_member.setdefault(bioguide, {})[state] = messages
    # One action writes at most one office message per member (unique on action, kind, recipient), so a
    # member's actions are their messages summed over delivery states.
    return {b: (sum(states.values()), states) for b, states in states_by_member.items()}


def actions_by_member(campaign: Campaign) -> list[MemberCount]:
    """Return each member who got an office message from this campaign, most actions first, with their status."""
    counts = office_messages_by_member(campaign.id)
    if not counts:
        return []
    people = {p.bioguide_id: p for p in db.session.scalars(
        select(Person).where(Person.bioguide_id.in_(list(counts))).options(selectinload(Person.terms)))}
    signatures = signatures_by_bioguide(campaign.letter)
    members = []
    for bioguide, (actions, states) in counts.items():
        person = people.get(bioguide)
        status = signing_status(campaign.letter, person, signatures).status if person else (
            SigningStatus.SIGNED if bioguide in signatures else None)
        members.append(MemberCount(bioguide, person.display_name if person else bioguide, status, actions, states))
    members.sort(key=lambda m: (-m.actions, m.name))
    return members


def signer_split(members: list[MemberCount], campaign_id: int) -> SignerSplit:
    """Split office messages between members who signed and everyone else; actions reaching each group."""
    signer_ids = [m.bioguide_id for m in members if m.signed]
    reached = {True: 0, False: 0}
    if members:
        is_signer = case((Delivery.recipient_key.in_(signer_ids), 1), else_=0)
        reached_signer = func.max(is_signer).label("signer")
        reached_other = func.max(1 - is_signer).label("other")
        per_action = (select(Delivery.action_id, reached_signer, reached_other)
                      .join(Action, Action.id == Delivery.action_id)
                      .where(Action.campaign_id == campaign_id, Delivery.kind == DeliveryKind.OFFICE_MESSAGE)
                      .group_by(Delivery.action_id).subquery())
        signer_actions, other_actions = db.session.execute(
            select(func.coalesce(func.sum(per_action.c.signer), 0),
                   func.coalesce(func.sum(per_action.c.other), 0))).one()
        reached = {True: int(signer_actions), False: int(other_actions)}
    by_status: Counter[SigningStatus] = Counter()
    for member in members:
        if member.status is not None:
            by_status[member.status] += member.actions
    signers = [m for m in members if m.signed]
    others = [m for m in members if not m.signed]
    return SignerSplit(
        signer_members=len(signers), signer_messages=sum(m.actions for m in signers), signer_actions=reached[True],
        other_members=len(others), other_messages=sum(m.actions for m in others), other_actions=reached[False],
        by_status=dict(by_status))


def deliveries_by_kind_and_state(campaign_id: int) -> list[tuple[DeliveryKind, Medium, DeliveryState, int]]:
    """Return (kind, medium, state, count) for every delivery the campaign's actions wrote."""
    rows = db.session.execute(
        select(Delivery.kind, Delivery.medium, Delivery.state, func.count())
        .join(Action, Action.id == Delivery.action_id)
        .where(Action.campaign_id == campaign_id)
        .group_by(Delivery.kind, Delivery.medium, Delivery.state)).all()
    return [(k, m, s, n) for k, m, s, n in rows]


def campaign_report(campaign: Campaign, through: date | None = None) -> CampaignReport:
    """Gather every number of a campaign's report page."""
    totals = db.session.execute(
        select(func.count(), func.count(Action.erased_at)).where(Action.campaign_id == campaign.id)).one()
    by_day, overflow = actions_by_day(campaign.id, through)
    members = actions_by_member(campaign)
    by_state: Counter[DeliveryState] = Counter()
    by_medium: Counter[Medium] = Counter()
    by_kind: dict[DeliveryKind, dict[DeliveryState, int]] = {}
    for kind, medium, state, count in deliveries_by_kind_and_state(campaign.id):
        by_state[state] += count
        by_medium[medium] += count
        by_kind.setdefault(kind, {})[state] = by_kind.get(kind, {}).get(state, 0) + count
    return CampaignReport(
        campaign_id=campaign.id,
        total_actions=int(totals[0]),
        erased_actions=int(totals[1]),
        by_day=by_day,
        days_before_range=overflow,
        by_demand=actions_by_demand(campaign.id),
        by_state=actions_by_state(campaign.id),
        by_member=members,
        signers=signer_split(members, campaign.id),
        # Every state is listed, zero or not, so "0 failed" reads as a fact rather than a gap.
        deliveries_by_state={s: by_state.get(s, 0) for s in DeliveryState},
        deliveries_by_medium={m: by_medium.get(m, 0) for m in Medium},
        deliveries_by_kind=by_kind,
    )


@dataclass(frozen=True)
class RosterChange:
    seat: str
    before: str | None
    before_name: str | None
    after: str | None
    after_name: str | None
    messages_to_before: int  # office messages this campaign sent the member who held the seat at launch


@dataclass(frozen=True)
class Freshness:
    synced_at: datetime | None
    age_hours: float | None
    source: str | None
    source_date: datetime | None
    congress: int | None
    vacancies: list[str]
    warnings: list[str]
    counts: dict
    has_launch_roster: bool
    changes: list[RosterChange]

    @property
    def stale(self) -> bool:
        return self.age_hours is not None and self.age_hours > STALE_AFTER_HOURS

    @property
    def age_text(self) -> str:
        if self.age_hours is None:
            return ""
        if self.age_hours < 1:
            return "less than an hour ago"
        if self.age_hours < 48:
            hours = int(self.age_hours)
            return f"{hours} hour{'' if hours == 1 else 's'} ago"
        return f"{int(self.age_hours // 24)} days ago"


def data_freshness(campaign: Campaign | None = None) -> Freshness:
    """Describe the latest Congress sync and, for a launched campaign, the seats that changed hands since."""
    from outreach.congress.sync import latest_sync

    last = latest_sync()
    counts = dict(last.counts or {}) if last else {}
    vacancies = list(counts.pop("vacancies", []) or [])
    changes: list[RosterChange] = []
    has_roster = bool(campaign is not None and campaign.launch_roster)
    if has_roster:
        seat_changes: list[SeatChange] = roster_changes(campaign.launch_roster, current_roster())
        changes = _named_changes(campaign.id, seat_changes)
    return Freshness(
        synced_at=last.synced_at if last else None, age_hours=last.age_hours() if last else None,
        source=last.source if last else None,
        source_date=last.source_date if last else None, congress=last.congress if last else None,
        vacancies=vacancies, warnings=list(last.warnings or []) if last else [], counts=counts,
        has_launch_roster=has_roster, changes=changes)


def _named_changes(campaign_id: int, changes: list[SeatChange]) -> list[RosterChange]:
    ids = {b for c in changes for b in (c.before, c.after) if b}
    names = dict(db.session.execute(
        select(Person.bioguide_id, func.coalesce(Person.official_full, Person.first_name + " " + Person.last_name))
        .where(Person.bioguide_id.in_(ids))).all()) if ids else {}
    messages = {b: n for b, (n, _) in office_messages_by_member(campaign_id).items()} if ids else {}
    return [RosterChange(c.seat, c.before, names.get(c.before) if c.before else None, c.after,
                         names.get(c.after) if c.after else None, messages.get(c.before, 0) if c.before else 0)
            for c in changes]


# --- CSV export ------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); tab and
# carriage return count because some programs strip them and then read the next character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = ("created_at", "demand", "state", "district", "members_messaged", "delivery_states", "locale",
                  "first_name", "last_name", "email", "phone", "data_erased")
EXPORT_BATCH = 500


def csv_safe(value: object) -> str:
    """Return a cell's text with a leading single quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def export_rows(campaign_id: int) -> Iterator[list[str]]:
    """Yield the header and then one row per action, oldest first, batch after batch."""
    yield list(EXPORT_COLUMNS)
    after = 0
    while True:
        rows, after = export_batch(campaign_id, after)
        if not rows:
            return
        yield from rows


def export_batch(campaign_id: int, after_id: int, limit: int | None = None) -> tuple[list[list[str]], int]:
    """Return the CSV rows of the next actions after `after_id` (keyset paging) and the last id returned.

    Every cell goes through csv_safe. Contact fields are whatever the database still holds: "delete my data"
    empties them all and retention empties the phone number (outreach.actions.services), so an erased value
    is exported as an empty cell.
    """
    demands = dict(db.session.execute(
        select(Demand.id, Demand.slug).where(Demand.campaign_id == campaign_id)).all())
    actions = db.session.execute(
        select(Action.id, Action.created_at, Action.demand_id, Action.state, Action.district, Action.locale,
               Action.first_name, Action.last_name, Action.email, Action.phone, Action.erased_at)
        .where(Action.campaign_id == campaign_id, Action.id > after_id)
        .order_by(Action.id).limit(limit or EXPORT_BATCH)).all()
    if not actions:
        return [], after_id
    ids = [a.id for a in actions]
    deliveries: dict[int, list] = {}
    for row in db.session.execute(
            select(Delivery.action_id, Delivery.kind, Delivery.recipient_key, Delivery.state)
            .where(Delivery.action_id.in_(ids)).order_by(Delivery.id)):
        deliveries.setdefault(row.action_id, []).append(row)
    rows = []
    for action in actions:
        own = deliveries.get(action.id, [])
        members = [d.recipient_key for d in own if d.kind is DeliveryKind.OFFICE_MESSAGE]
        states = [f"{_delivery_label(d)}:{d.state.value}" for d in own]
        created = as_utc(action.created_at).astimezone(timezone.utc)  # PostgreSQL answers in its own zone
        rows.append([csv_safe(cell) for cell in (
            created.strftime("%Y-%m-%dT%H:%M:%SZ"), demands.get(action.demand_id, ""), action.state,
            action.district, " ".join(members), " ".join(states), action.locale, action.first_name,
            action.last_name, action.email, action.phone, "yes" if action.erased_at else "no")])
    return rows, ids[-1]


def _delivery_label(row) -> str:
    # Office messages and target emails name their recipient (bioguide id, "target:<id>"); the rest go to the
    # constituent, so their kind says more.
    if row.kind in (DeliveryKind.OFFICE_MESSAGE, DeliveryKind.TARGET_EMAIL):
        return row.recipient_key
    return row.kind.value
