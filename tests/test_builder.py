"""The campaign builder services: campaigns, demands, templates, targets and the draft → live → closed path."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from outreach.campaigns import builder
from outreach.campaigns.builder import BuilderError, CampaignFields, DemandFields, TemplateFields
from outreach.campaigns.messages import PLACEHOLDER, fill
from outreach.campaigns.services import public_campaign
from outreach.congress.roster import current_roster
from outreach.models import Action, Audience, Campaign, CampaignStatus, Chamber


def fields(**overrides) -> CampaignFields:
    values = dict(title="Stop the raids", slug="stop-the-raids", letter_date=date(2025, 3, 1),
                  recipient="The Secretary of Homeland Security", eligible_chamber=Chamber.HOUSE,
                  body="We write **today**.", summary="A 2025 letter.", sender_name="Campaign team",
                  sender_email="team@example.org", reported_signer_count=40, source_url="https://example.org/letter")
    values.update(overrides)
    return CampaignFields(**values)


MESSAGE = TemplateFields("About {demand_title}", "Dear office of {member_title} {member_name}: please act.",
                         "Call {member_name}")


def two_demand_campaign() -> Campaign:
    campaign = builder.create_campaign(fields())
    for slug in ("first", "second"):
        demand = builder.add_demand(campaign, DemandFields(title=f"The {slug} demand", slug=slug,
                                                           explanation="Why", ask="Do it"))
        for audience in Audience:
            builder.save_template(demand, audience, "en", MESSAGE)
    return campaign


def test_create_campaign_makes_a_draft_with_its_letter(db):
    campaign = builder.create_campaign(fields(translations={"es": {"title": "Paren las redadas", "summary": ""}}))
    assert campaign.status is CampaignStatus.DRAFT
    assert campaign.launched_at is None and campaign.launch_roster is None
    letter = campaign.letter
    assert (letter.title, letter.letter_date, letter.eligible_chamber) == ("Stop the raids", date(2025, 3, 1),
                                                                         Chamber.HOUSE)
    assert letter.body == "We write **today**." and letter.reported_signer_count == 40
    assert letter.signers_complete is False
    assert campaign.sender_email == "team@example.org"
    assert campaign.text("title", "es") == "Paren las redadas"
    assert campaign.text("summary", "es") == "A 2025 letter."  # empty translations fall back


@pytest.mark.parametrize("slug", ["", "Has Space", "under_score", "trailing-", "a--b", "x" * 81, "ñandú", "../etc"])
def test_invalid_slugs_are_refused(db, slug):
    with pytest.raises(BuilderError) as caught:
        builder.create_campaign(fields(slug=slug))
    assert caught.value.field == "slug"
    assert db.session.scalar(select(Campaign)) is None


def test_slug_is_lowercased_and_must_be_unique(db):
    assert builder.create_campaign(fields(slug=" Stop-The-Raids ")).slug == "stop-the-raids"
    with pytest.raises(BuilderError, match="already uses"):
        builder.create_campaign(fields(title="Other"))


def test_bad_sender_email_and_link_are_refused(db):
    with pytest.raises(BuilderError) as caught:
        builder.create_campaign(fields(sender_email="not an address"))
    assert caught.value.field == "sender_email"
    with pytest.raises(BuilderError) as caught:
        builder.create_campaign(fields(source_url="javascript:alert(1)"))
    assert caught.value.field == "source_url"


def test_update_campaign_changes_letter_and_keeps_published_slug(db):
    campaign = two_demand_campaign()
    builder.update_campaign(campaign, fields(slug="renamed", recipient="Someone else", signers_complete=True))
    assert campaign.slug == "renamed" and campaign.letter.recipient == "Someone else"
    assert campaign.letter.signers_complete is True
    builder.publish(campaign)
    with pytest.raises(BuilderError, match="cannot change"):
        builder.update_campaign(campaign, fields(slug="renamed-again"))


def test_demands_add_edit_reorder_remove(db):
    campaign = builder.create_campaign(fields())
    a = builder.add_demand(campaign, DemandFields(title="A", slug="a"))
    b = builder.add_demand(campaign, DemandFields(title="B", slug="b"))
    c = builder.add_demand(campaign, DemandFields(title="C", slug="c"))
    assert [d.slug for d in campaign.demands] == ["a", "b", "c"]
    builder.move_demand(c, -1)
    assert [d.slug for d in campaign.demands] == ["a", "c", "b"]
    builder.move_demand(a, -1)  # already first: nothing moves
    builder.move_demand(b, +1)  # already last
    assert [d.slug for d in campaign.demands] == ["a", "c", "b"]
    builder.move_demand(a, +1)
    assert [d.slug for d in campaign.demands] == ["c", "a", "b"]
    builder.update_demand(a, DemandFields(title="A2", slug="a2", explanation="e", ask="k",
                                          translations={"es": {"title": "A en español"}}))
    assert a.title == "A2" and a.text("title", "es") == "A en español"
    with pytest.raises(BuilderError, match="already uses"):
        builder.add_demand(campaign, DemandFields(title="dup", slug="b"))
    builder.remove_demand(c)
    assert [(d.slug, d.position) for d in campaign.demands] == [("a2", 0), ("b", 1)]


def test_demand_slug_is_unique_only_within_its_campaign(db):
    one = builder.create_campaign(fields())
    two = builder.create_campaign(fields(slug="other-campaign"))
    builder.add_demand(one, DemandFields(title="A", slug="same"))
    builder.add_demand(two, DemandFields(title="A", slug="same"))
    assert one.demands[0].slug == two.demands[0].slug == "same"


def test_a_demand_with_actions_cannot_be_removed(db, synced):
    campaign = public_campaign("end-ice-entanglement")
    demand = campaign.demands[0]
    db.session.add(Action(campaign_id=campaign.id, demand_id=demand.id, form_token="t" * 20, locale="en",
                          state="IL", district=9, first_name="A", send_to_offices=True, text_me_script=False))
    db.session.commit()
    with pytest.raises(BuilderError, match="1 actions"):
        builder.remove_demand(demand)
    assert demand in campaign.demands


def test_known_placeholders_are_the_ones_fill_replaces():
    for name in builder.KNOWN_PLACEHOLDERS:
        assert PLACEHOLDER.fullmatch("{" + name + "}")
        assert fill("{" + name + "}", {name: "X"}) == "X"


def test_unknown_placeholders_are_refused_with_the_allowed_list(db):
    campaign = builder.create_campaign(fields())
    demand = builder.add_demand(campaign, DemandFields(title="A", slug="a"))
    with pytest.raises(BuilderError) as caught:
        builder.save_template(demand, Audience.OTHER, "en",
                              TemplateFields("Hi {member_nme}", "x {member_name.__class__}", "s"))
    assert caught.value.field == "subject"
    assert "{member_nme}" in caught.value.message and "{member_name}" in caught.value.message
    with pytest.raises(BuilderError) as caught:
        builder.save_template(demand, Audience.OTHER, "en", TemplateFields("Hi", "x {0}", "s"))
    assert caught.value.field == "body" and "{0}" in caught.value.message
    assert demand.templates == []


def test_save_template_creates_then_replaces(db):
    campaign = builder.create_campaign(fields())
    demand = builder.add_demand(campaign, DemandFields(title="A", slug="a"))
    builder.save_template(demand, Audience.SIGNER, "es", TemplateFields("Gracias", "Gracias {member_name}", "sms"))
    builder.save_template(demand, Audience.SIGNER, "es", TemplateFields("Gracias 2", "Otra vez", "sms"))
    assert [(t.audience, t.locale, t.subject) for t in demand.templates] == [(Audience.SIGNER, "es", "Gracias 2")]
    with pytest.raises(BuilderError):
        builder.save_template(demand, Audience.SIGNER, "fr", MESSAGE)


def test_publish_needs_a_demand_with_both_english_templates(db, synced):
    campaign = builder.create_campaign(fields())
    assert builder.publish_problems(campaign) == ["Add at least one demand."]
    demand = builder.add_demand(campaign, DemandFields(title="A", slug="a"))
    builder.save_template(demand, Audience.SIGNER, "en", MESSAGE)
    builder.save_template(demand, Audience.OTHER, "es", MESSAGE)  # Spanish does not count
    with pytest.raises(BuilderError, match="other"):
        builder.publish(campaign)
    assert campaign.status is CampaignStatus.DRAFT
    builder.save_template(demand, Audience.OTHER, "en", MESSAGE)
    builder.publish(campaign)
    assert campaign.status is CampaignStatus.LIVE
    assert campaign.launched_at is not None
    assert campaign.launch_roster == current_roster() and campaign.launch_roster["IL-9"] == "S001145"


def test_status_goes_draft_live_closed_and_never_back(db, synced):
    campaign = two_demand_campaign()
    with pytest.raises(BuilderError):
        builder.close(campaign)
    builder.publish(campaign)
    with pytest.raises(BuilderError):
        builder.publish(campaign)
    builder.close(campaign)
    assert campaign.status is CampaignStatus.CLOSED and campaign.closed_at is not None
    with pytest.raises(BuilderError):
        builder.publish(campaign)


def test_english_templates_of_a_live_campaign_cannot_be_deleted(db, synced):
    campaign = two_demand_campaign()
    demand = campaign.demands[0]
    builder.save_template(demand, Audience.OTHER, "es", MESSAGE)
    builder.publish(campaign)
    with pytest.raises(BuilderError):
        builder.delete_template(demand, Audience.OTHER, "en")
    builder.delete_template(demand, Audience.OTHER, "es")
    assert builder.find_template(demand, Audience.OTHER, "es") is None


def test_custom_targets(db):
    campaign = builder.create_campaign(fields())
    target = builder.add_target(campaign, "Secretary", "Kristi Noem", "Secretary@Example.gov")
    assert (target.title, target.name, target.email) == ("Secretary", "Kristi Noem", "Secretary@example.gov")
    with pytest.raises(BuilderError, match="already"):
        builder.add_target(campaign, "", "Again", "secretary@example.gov")
    with pytest.raises(BuilderError) as caught:
        builder.add_target(campaign, "", "Bad", "nope")
    assert caught.value.field == "email"
    builder.remove_target(target)
    assert campaign.targets == []


def test_seed_records_the_launch_snapshot(db, synced):
    campaign = public_campaign("end-ice-entanglement")
    assert campaign.launched_at is not None
    assert campaign.launch_roster == current_roster()


def test_preview_members_default_to_the_first_alphabetically(db, synced):
    house = builder.preview_members(Chamber.HOUSE)
    assert house[0].label.startswith("Chu, Judy (CA-28)")
    assert [m.label.split(",")[0] for m in house] == sorted(m.label.split(",")[0] for m in house)
    senate = builder.preview_members(Chamber.SENATE)
    assert senate[0].label == "Barrasso, John (WY)"
    assert "S001150" in {m.bioguide_id for m in senate}  # Schiff is a senator now


def test_preview_fills_placeholders_for_a_real_member_without_saving(db, synced):
    campaign = two_demand_campaign()
    demand = campaign.demands[0]
    values = TemplateFields("To {member_title} {member_name}", "Please {demand_title}, {member_name}.",
                            "Call {member_title} {member_name}")
    preview = builder.preview_template(demand, Audience.OTHER, "en", values, "S001145")
    assert preview.subject == "To Representative Janice D. Schakowsky"
    assert "Dear Representative Janice D. Schakowsky," in preview.body
    assert "Please The first demand, Janice D. Schakowsky." in preview.body
    assert "Alex Example" in preview.body
    assert preview.sms_body == "Call Representative Janice D. Schakowsky"
    spanish = builder.preview_template(demand, Audience.SIGNER, "es", values, "P000145")
    assert spanish.subject == "To Senador(a) Alex Padilla"
    db.session.expire_all()
    assert builder.find_template(demand, Audience.OTHER, "en").subject == MESSAGE.subject
    assert builder.preview_template(demand, Audience.OTHER, "en", values, "B000574") is None  # left Congress
