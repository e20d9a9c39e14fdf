"""Campaign services: reading live campaigns and seeding the built-in one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outreach.campaigns import builtin
from outreach.congress.roster import current_roster
from outreach.extensions import db
from outreach.models import (
    Audience,
    Campaign,
    CampaignStatus,
    Chamber,
    Demand,
    Letter,
    MessageTemplate,
    Person,
    Signature,
)
from outreach.models.base import utcnow


def live_campaigns() -> list[Campaign]:
    """Return the campaigns the public can see, newest first."""
    return list(db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.LIVE).order_by(Campaign.created_at.desc())))


def public_campaign(slug: str) -> Campaign | None:
    """Return a campaign the public may open (live or closed), with its letter and signatures."""
    return viewable_campaign(slug, include_drafts=False)


def viewable_campaign(slug: str, include_drafts: bool) -> Campaign | None:
    """Return a campaign by slug; drafts only when the viewer is an organizer (include_drafts)."""
    query = select(Campaign).where(Campaign.slug == slug)
    if not include_drafts:
        query = query.where(Campaign.status != CampaignStatus.DRAFT)
    return db.session.scalar(query.options(selectinload(Campaign.demands),
                                           selectinload(Campaign.letter).selectinload(Letter.signatures)))


@dataclass(frozen=True)
class SignerRow:
    signature: Signature
    person: Person | None

    @property
    def role(self) -> str:
        """Classify what the signer does now: 'house', 'senate', 'left' or 'unknown'."""
        if self.person is None:
            return "unknown"
        term = self.person.current_term
        if term is None:
            return "left"
        return term.chamber.value


def signer_rows(letter: Letter) -> list[SignerRow]:
    """Return the letter's signers with their person records, in the letter's order."""
    ids = [s.bioguide_id for s in letter.signatures]
    people = {p.bioguide_id: p for p in db.session.scalars(
        select(Person).where(Person.bioguide_id.in_(ids)).options(selectinload(Person.terms)))}
    return [SignerRow(s, people.get(s.bioguide_id)) for s in letter.signatures]


@dataclass
class SeedReport:
    created_campaign: bool = False
    demands_added: int = 0
    signatures_added: int = 0


def seed_builtin_campaign() -> SeedReport:
    """Create the built-in campaign if missing and add any missing demand or signature; edits are kept."""
    report = SeedReport()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == builtin.SLUG))
    if campaign is None:
        letter_values = {**builtin.LETTER, "eligible_chamber": Chamber(builtin.LETTER["eligible_chamber"])}
        # Live from the start, so it gets the launch snapshot a published campaign gets (builder.publish).
        campaign = Campaign(slug=builtin.SLUG, status=CampaignStatus.LIVE, letter=Letter(**letter_values),
                            launched_at=utcnow(), launch_roster=current_roster(), **builtin.CAMPAIGN)
        db.session.add(campaign)
        report.created_campaign = True
    existing_demands = {d.slug: d for d in campaign.demands}
    for position, values in enumerate(builtin.DEMANDS):
        demand = existing_demands.get(values["slug"])
        if demand is None:
            demand = Demand(position=position, **values)
            campaign.demands.append(demand)
            report.demands_added += 1
        if not demand.templates:  # installs from before messages existed get them too
            demand.templates = [MessageTemplate(audience=Audience(t.pop("audience")), **t)
                                for t in builtin.message_templates(values["slug"])]
    signed = {s.bioguide_id for s in campaign.letter.signatures}
    for bioguide_id, name, is_lead in builtin.SIGNERS:
        if bioguide_id not in signed:
            campaign.letter.signatures.append(Signature(
                bioguide_id=bioguide_id, name_as_printed=name, is_lead=is_lead,
                source=builtin.signer_source(is_lead)))
            report.signatures_added += 1
    db.session.commit()
    return report
