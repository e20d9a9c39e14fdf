"""Campaign report counts: by UTC day, demand, state and member; signers versus others; deliveries by state."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from outreach.campaigns import reports
from outreach.campaigns.signing import SigningStatus
from outreach.models import (
    Action,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Demand,
    Medium,
)
from tests.report_factories import builtin_campaign, make_action


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def campaign(db, synced):
    return builtin_campaign()


@pytest.fixture
def four_actions(db, campaign):
    """Two actions on 1 March (one a minute before midnight UTC), none on the 2nd, two on the 3rd."""
    a1 = make_action(campaign, demand=0, seat=("IL", 9), at=utc(2026, 3, 1, 10, 0), email="ana@example.org")
    a2 = make_action(campaign, demand=1, seat=("IL", 7), members=["D000096"], at=utc(2026, 3, 1, 23, 59))
    a3 = make_action(campaign, demand=0, seat=("DC", 0), at=utc(2026, 3, 3, 0, 1), phone="+12025550123",
                     text_me_script=True)
    a4 = make_action(campaign, demand=0, seat=("IL", 9), members=["S001145"], at=utc(2026, 3, 3, 12, 0))
    receipt = next(d for d in a1.deliveries if d.kind is DeliveryKind.RECEIPT)
    receipt.state = DeliveryState.DELIVERED
    db.session.commit()
    return a1, a2, a3, a4


@pytest.fixture
def other_campaign_action(db, campaign):
    """An action of another campaign, which no count of the built-in campaign may include."""
    other = Campaign(slug="other", title="Other", letter=campaign.letter, status=CampaignStatus.LIVE,
                     demands=[Demand(slug="d", title="D", explanation="", ask="")])
    db.session.add(other)
    db.session.flush()
    action = Action(campaign_id=other.id, demand_id=other.demands[0].id, form_token="other-1", state="IL",
                    district=9, first_name="Bo", created_at=utc(2026, 3, 2, 12))
    action.deliveries.append(Delivery(kind=DeliveryKind.OFFICE_MESSAGE, medium=Medium.CWC,
                                      recipient_key="S001145", state=DeliveryState.FAILED))
    db.session.add(action)
    db.session.commit()
    return other


def test_actions_per_utc_day_with_zero_days(db, campaign, four_actions, other_campaign_action):
    if db.engine.dialect.name == "postgresql":
        # A session in Chicago must still get UTC days: 23:59 UTC on the 1st is the 1st, not the evening before.
        db.session.execute(text("SET LOCAL TIME ZONE 'America/Chicago'"))
    series, overflow = reports.actions_by_day(campaign.id)
    assert series == [(date(2026, 3, 1), 2), (date(2026, 3, 2), 0), (date(2026, 3, 3), 2)]
    assert overflow == 0


def test_series_runs_through_a_later_day_and_caps_its_length(db, campaign, four_actions):
    series, _ = reports.actions_by_day(campaign.id, through=date(2026, 3, 6))
    assert series[-3:] == [(date(2026, 3, 4), 0), (date(2026, 3, 5), 0), (date(2026, 3, 6), 0)]
    long_series, overflow = reports.actions_by_day(campaign.id, through=date(2027, 6, 1))
    assert len(long_series) == reports.MAX_DAYS and long_series[-1] == (date(2027, 6, 1), 0)
    assert overflow == 4  # every action is older than the capped window


def test_no_actions_gives_an_empty_report(db, campaign):
    report = reports.campaign_report(campaign)
    assert report.total_actions == 0 and report.by_day == [] and report.by_member == []
    assert [d.actions for d in report.by_demand] == [0, 0, 0]
    assert set(report.deliveries_by_state.values()) == {0}


def test_counts_by_demand_state_and_member(db, campaign, four_actions, other_campaign_action):
    report = reports.campaign_report(campaign)
    assert report.total_actions == 4
    assert [(d.slug, d.actions) for d in report.by_demand] == [
        (campaign.demands[0].slug, 3), (campaign.demands[1].slug, 1), (campaign.demands[2].slug, 0)]
    assert report.by_state == {"IL": 3, "DC": 1}
    members = {m.bioguide_id: m for m in report.by_member}
    assert {b: m.actions for b, m in members.items()} == {
        "S001145": 2, "D000563": 1, "D000622": 1, "D000096": 1, "N000147": 1}
    assert report.by_member[0].bioguide_id == "S001145"  # most actions first
    assert members["S001145"].status is SigningStatus.SIGNED
    assert members["D000563"].status is SigningStatus.NOT_ELIGIBLE
    assert members["D000096"].status is SigningStatus.NOT_LISTED
    assert members["S001145"].name == "Janice D. Schakowsky"
    # Without CWC configured every office message is a hand-off, and the report says so per member.
    assert members["S001145"].messages_by_state == {DeliveryState.HANDOFF: 2}


def test_deliveries_by_state_and_medium_include_handoffs(db, campaign, four_actions, other_campaign_action):
    report = reports.campaign_report(campaign)
    assert report.deliveries_by_state == {
        DeliveryState.PENDING: 1, DeliveryState.SENDING: 0, DeliveryState.SENT: 0, DeliveryState.DELIVERED: 1,
        DeliveryState.FAILED: 0, DeliveryState.UNKNOWN: 0, DeliveryState.HANDOFF: 6, DeliveryState.SKIPPED: 0}
    assert report.deliveries_by_medium == {Medium.CWC: 6, Medium.EMAIL: 1, Medium.SMS: 1}
    assert report.deliveries_by_kind[DeliveryKind.OFFICE_MESSAGE] == {DeliveryState.HANDOFF: 6}
    assert report.deliveries_by_kind[DeliveryKind.SCRIPT_SMS] == {DeliveryState.PENDING: 1}
    assert report.total_deliveries == 8


def test_signers_versus_everyone_else(db, campaign, four_actions):
    split = reports.campaign_report(campaign).signers
    assert (split.signer_members, split.signer_messages, split.signer_actions) == (1, 2, 2)
    # Action 1 reached a signer and two senators, so it counts on both sides.
    assert (split.other_members, split.other_messages, split.other_actions) == (4, 4, 3)
    assert split.by_status == {SigningStatus.SIGNED: 2, SigningStatus.NOT_ELIGIBLE: 2,
                               SigningStatus.NOT_LISTED: 2}


def test_erased_actions_still_count(db, campaign, four_actions):
    from outreach.actions.services import erase_action

    erase_action(four_actions[1])
    report = reports.campaign_report(campaign)
    assert report.total_actions == 4 and report.erased_actions == 1
    assert report.by_state == {"IL": 3, "DC": 1}


def test_report_queries_do_not_grow_with_actions(db, campaign, four_actions):
    """The counts are GROUP BY queries: more actions must not mean more statements."""
    from sqlalchemy import event

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            reports.campaign_report(db.session.get(Campaign, campaign.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    for hour in range(1, 6):
        make_action(campaign, seat=("WY", 0), at=utc(2026, 3, 4, hour))
    assert statements() == before
