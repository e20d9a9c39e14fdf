"""flask outreach seed: the built-in campaign as data."""

from __future__ import annotations

from sqlalchemy import func, select

from outreach.campaigns.services import public_campaign
from outreach.models import Campaign, CampaignStatus, Signature


def test_seed_creates_the_live_letter_campaign(runner, db):
    result = runner.invoke(args=["outreach", "seed"])
    assert result.exit_code == 0 and "created" in result.output
    campaign = public_campaign("end-ice-entanglement")
    assert campaign.status is CampaignStatus.LIVE
    letter = campaign.letter
    assert letter.letter_date.isoformat() == "2021-02-11"
    assert letter.eligible_chamber.value == "house"
    assert "Secretary of Homeland Security" in letter.recipient
    assert letter.signers_complete is False
    assert [d.slug for d in campaign.demands] == ["end-287g", "end-secure-communities", "end-ice-detainers"]
    for demand in campaign.demands:
        assert demand.title and demand.explanation and demand.ask
        assert demand.text("title", "es") != demand.title
    assert len(letter.signatures) == 15
    assert all(s.source for s in letter.signatures)
    assert {s.bioguide_id for s in letter.signatures if s.is_lead} == {"S001145", "E000297", "Q000023"}


def test_seed_twice_changes_nothing_and_keeps_edits(runner, db):
    runner.invoke(args=["outreach", "seed"])
    campaign = db.session.scalar(select(Campaign))
    campaign.title = "Edited by an organizer"
    db.session.commit()
    result = runner.invoke(args=["outreach", "seed"])
    assert "already present; 0 demands and 0 signatures added" in result.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 15
    assert db.session.scalar(select(Campaign.title)) == "Edited by an organizer"


def test_seed_gives_every_demand_both_audiences_in_both_languages(runner, db):
    from outreach.models import Audience

    runner.invoke(args=["outreach", "seed"])
    for demand in public_campaign("end-ice-entanglement").demands:
        versions = {(t.audience, t.locale) for t in demand.templates}
        assert versions == {(a, loc) for a in Audience for loc in ("en", "es")}
        for template in demand.templates:
            assert template.subject and template.body and template.sms_body
            assert "{goal}" not in template.body + template.subject + template.sms_body


def test_seed_adds_templates_to_demands_that_predate_them(runner, db):
    runner.invoke(args=["outreach", "seed"])
    demand = public_campaign("end-ice-entanglement").demands[0]
    demand.templates = []
    db.session.commit()
    runner.invoke(args=["outreach", "seed"])
    assert len(public_campaign("end-ice-entanglement").demands[0].templates) == 4
