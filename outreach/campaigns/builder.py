"""Building a campaign from a letter: campaign, demands, message templates, custom targets, status.

Each public function validates, changes the rows and commits (or raises BuilderError and changes nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from outreach.congress.roster import current_roster
from outreach.extensions import db
from outreach.models import (
    Action,
    Audience,
    Campaign,
    CampaignStatus,
    Chamber,
    Demand,
    Letter,
    MessageTemplate,
    Target,
)
from outreach.models.base import utcnow

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
LOCALES = ("en", "es")
# Any {word} the organizer typed; the ones messages.fill knows are PLACEHOLDER's names.
ANY_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
# What messages.fill replaces (tests check this list against messages.PLACEHOLDER).
KNOWN_PLACEHOLDERS = ("member_title", "member_name", "first_name", "last_name", "city", "demand_title")
# Translatable text kept in Campaign.translations / Demand.translations ({"es": {"title": ...}}).
CAMPAIGN_TRANSLATED = ("title", "summary")
DEMAND_TRANSLATED = ("title", "explanation", "ask")


class BuilderError(Exception):
    """A change the builder refuses; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class CampaignFields:
    title: str
    slug: str
    letter_date: date
    recipient: str
    eligible_chamber: Chamber
    body: str = ""
    summary: str = ""
    sender_name: str = ""
    sender_email: str = ""
    signers_complete: bool = False
    reported_signer_count: int | None = None
    source_url: str = ""
    # Spanish (or other locale) overrides of the public text: {"es": {"title": ..., "summary": ...}}.
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class DemandFields:
    title: str
    slug: str
    explanation: str = ""
    ask: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


# --- validation helpers -------------------------------------------------------------------------


def check_slug(slug: str, field_name: str = "slug") -> str:
    """Return a slug that is safe in a URL, or raise."""
    slug = (slug or "").strip().lower()
    if not slug:
        raise BuilderError("A slug is required.", field_name)
    if len(slug) > SLUG_MAX or not SLUG.match(slug):
        raise BuilderError("Use lowercase letters, digits and single hyphens (for example end-287g), "
                           f"at most {SLUG_MAX} characters.", field_name)
    return slug


def unknown_placeholders(text: str) -> list[str]:
    """Return the {placeholders} in a text that messages.fill would leave as typed."""
    known = set(KNOWN_PLACEHOLDERS)
    return sorted({m.group(1) for m in ANY_PLACEHOLDER.finditer(text or "") if m.group(1) not in known})


def _check_placeholders(text: str, field_name: str) -> None:
    unknown = unknown_placeholders(text)
    if unknown:
        names = ", ".join("{" + u + "}" for u in unknown)
        allowed = ", ".join("{" + k + "}" for k in KNOWN_PLACEHOLDERS)
        raise BuilderError(f"Unknown placeholder {names}. You can use {allowed}.", field_name)


def _check_email(address: str, field_name: str) -> str:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BuilderError(f"Not a valid email address: {exc}", field_name) from None


def _clean_translations(values: dict[str, dict[str, str]], allowed: tuple[str, ...]) -> dict:
    cleaned: dict[str, dict[str, str]] = {}
    for locale, texts in (values or {}).items():
        if locale not in LOCALES or locale == "en":
            continue
        kept = {k: v.strip() for k, v in texts.items() if k in allowed and v and v.strip()}
        if kept:
            cleaned[locale] = kept
    return cleaned


def _check_campaign_fields(values: CampaignFields, campaign: Campaign | None) -> tuple[str, str]:
    slug = check_slug(values.slug)
    taken = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    if taken is not None and (campaign is None or taken != campaign.id):
        raise BuilderError("Another campaign already uses this slug.", "slug")
    if not values.title.strip():
        raise BuilderError("A title is required.", "title")
    if not values.recipient.strip():
        raise BuilderError("Who the letter was sent to is required.", "recipient")
    if values.reported_signer_count is not None and values.reported_signer_count < 0:
        raise BuilderError("The reported number of signers cannot be negative.", "reported_signer_count")
    if values.source_url and not re.match(r"^https?://\S+$", values.source_url.strip()):
        raise BuilderError("The letter's link must start with http:// or https://.", "source_url")
    sender_email = _check_email(values.sender_email.strip(), "sender_email") if values.sender_email.strip() else ""
    return slug, sender_email


def _apply_letter(letter: Letter, values: CampaignFields) -> None:
    letter.title = values.title.strip()
    letter.letter_date = values.letter_date
    letter.recipient = values.recipient.strip()
    letter.eligible_chamber = values.eligible_chamber
    letter.body = values.body or ""
    letter.signers_complete = values.signers_complete
    letter.reported_signer_count = values.reported_signer_count
    letter.source_url = values.source_url.strip() or None


# --- campaigns ----------------------------------------------------------------------------------


def create_campaign(values: CampaignFields) -> Campaign:
    """Create a draft campaign and its letter."""
    slug, sender_email = _check_campaign_fields(values, None)
    letter = Letter(title="", letter_date=values.letter_date, recipient="", eligible_chamber=values.eligible_chamber)
    _apply_letter(letter, values)
    campaign = Campaign(slug=slug, title=values.title.strip(), summary=values.summary.strip(),
                        status=CampaignStatus.DRAFT, letter=letter, sender_name=values.sender_name.strip(),
                        sender_email=sender_email,
                        translations=_clean_translations(values.translations, CAMPAIGN_TRANSLATED))
    db.session.add(campaign)
    db.session.commit()
    return campaign


def update_campaign(campaign: Campaign, values: CampaignFields) -> Campaign:
    """Change a campaign and its letter."""
    slug, sender_email = _check_campaign_fields(values, campaign)
    if slug != campaign.slug and campaign.status is not CampaignStatus.DRAFT:
        # Published links (shared, printed, texted) must keep working.
        raise BuilderError("The slug of a published campaign cannot change: its links are out there.", "slug")
    campaign.slug = slug
    campaign.title = values.title.strip()
    campaign.summary = values.summary.strip()
    campaign.sender_name = values.sender_name.strip()
    campaign.sender_email = sender_email
    campaign.translations = _clean_translations(values.translations, CAMPAIGN_TRANSLATED)
    _apply_letter(campaign.letter, values)
    db.session.commit()
    return campaign


def campaigns_for_dashboard() -> list[Campaign]:
    """Return every campaign, drafts first, then live, then closed; newest first within each."""
    order = {CampaignStatus.DRAFT: 0, CampaignStatus.LIVE: 1, CampaignStatus.CLOSED: 2}
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())).all()
    return sorted(campaigns, key=lambda c: order[c.status])


# --- demands ------------------------------------------------------------------------------------


def _check_demand_fields(campaign: Campaign, values: DemandFields, demand: Demand | None) -> str:
    slug = check_slug(values.slug)
    if any(d.slug == slug and d is not demand for d in campaign.demands):
        raise BuilderError("Another demand of this campaign already uses this slug.", "slug")
    if not values.title.strip():
        raise BuilderError("A title is required.", "title")
    if demand is not None and slug != demand.slug and campaign.status is not CampaignStatus.DRAFT:
        raise BuilderError("The slug of a published demand cannot change: its links are out there.", "slug")
    return slug


def add_demand(campaign: Campaign, values: DemandFields) -> Demand:
    """Add a demand at the end of the campaign's list."""
    slug = _check_demand_fields(campaign, values, None)
    position = max((d.position for d in campaign.demands), default=-1) + 1
    demand = Demand(slug=slug, position=position, title=values.title.strip(),
                    explanation=values.explanation.strip(), ask=values.ask.strip(),
                    translations=_clean_translations(values.translations, DEMAND_TRANSLATED))
    campaign.demands.append(demand)
    db.session.commit()
    return demand


def update_demand(demand: Demand, values: DemandFields) -> Demand:
    """Change a demand's text or slug."""
    demand.slug = _check_demand_fields(demand.campaign, values, demand)
    demand.title = values.title.strip()
    demand.explanation = values.explanation.strip()
    demand.ask = values.ask.strip()
    demand.translations = _clean_translations(values.translations, DEMAND_TRANSLATED)
    db.session.commit()
    return demand


def move_demand(demand: Demand, step: int) -> None:
    """Move a demand one place up (step -1) or down (step +1); at either end nothing changes."""
    campaign = demand.campaign
    ordered = sorted(campaign.demands, key=lambda d: (d.position, d.id))
    index = ordered.index(demand)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):  # renumber: old rows may share a position
        item.position = position
    db.session.commit()
    db.session.expire(campaign, ["demands"])


def remove_demand(demand: Demand) -> None:
    """Delete a demand and its templates, unless people have already acted on it."""
    taken = db.session.scalar(select(func.count(Action.id)).where(Action.demand_id == demand.id))
    if taken:
        raise BuilderError(f"{taken} actions were taken on this demand; it cannot be removed. "
                           "Close the campaign instead.")
    campaign = demand.campaign
    campaign.demands.remove(demand)
    for position, item in enumerate(sorted(campaign.demands, key=lambda d: (d.position, d.id))):
        item.position = position
    db.session.commit()


# --- message templates --------------------------------------------------------------------------


@dataclass
class TemplateFields:
    subject: str
    body: str
    sms_body: str


def check_template(values: TemplateFields) -> None:
    """Raise when a template is empty where it must not be or uses unknown placeholders."""
    if not values.subject.strip():
        raise BuilderError("A subject is required.", "subject")
    if not values.body.strip():
        raise BuilderError("A message is required.", "body")
    if not values.sms_body.strip():
        raise BuilderError("A text-message version is required (it is what people get when they ask "
                           "for a call script).", "sms_body")
    for name in ("subject", "body", "sms_body"):
        _check_placeholders(getattr(values, name), name)


def find_template(demand: Demand, audience: Audience, locale: str) -> MessageTemplate | None:
    """Return the demand's template for exactly this audience and locale (no fallback)."""
    return next((t for t in demand.templates if t.audience is audience and t.locale == locale), None)


def save_template(demand: Demand, audience: Audience, locale: str, values: TemplateFields) -> MessageTemplate:
    """Create or replace the demand's template for an audience and locale."""
    if locale not in LOCALES:
        raise BuilderError(f"Unsupported language {locale!r}.")
    check_template(values)
    template = find_template(demand, audience, locale)
    if template is None:
        template = MessageTemplate(audience=audience, locale=locale, subject="", body="", sms_body="")
        demand.templates.append(template)
    template.subject = values.subject.strip()
    template.body = values.body.strip()
    template.sms_body = values.sms_body.strip()
    db.session.commit()
    return template


def delete_template(demand: Demand, audience: Audience, locale: str) -> None:
    """Delete a translation of a template; the English ones of a published campaign must stay."""
    template = find_template(demand, audience, locale)
    if template is None:
        return
    if locale == "en" and demand.campaign.status is not CampaignStatus.DRAFT:
        raise BuilderError("A published campaign needs its English messages.")
    demand.templates.remove(template)
    db.session.commit()


# --- custom targets -----------------------------------------------------------------------------


def add_target(campaign: Campaign, title: str, name: str, email: str) -> Target:
    """Add someone (not a member of Congress) who gets every action's message by email."""
    if not name.strip():
        raise BuilderError("A name is required.", "name")
    address = _check_email(email.strip(), "email")
    if any(t.email.lower() == address.lower() for t in campaign.targets):
        raise BuilderError("This address is already a target of the campaign.", "email")
    position = max((t.position for t in campaign.targets), default=-1) + 1
    target = Target(title=title.strip(), name=name.strip(), email=address, position=position)
    campaign.targets.append(target)
    db.session.commit()
    return target


def remove_target(target: Target) -> None:
    """Stop sending a campaign's messages to a custom target (messages already queued still go)."""
    target.campaign.targets.remove(target)
    db.session.commit()


# --- status -------------------------------------------------------------------------------------


def publish_problems(campaign: Campaign) -> list[str]:
    """Return why a campaign cannot go live yet (empty when it can)."""
    problems = []
    if not campaign.demands:
        problems.append("Add at least one demand.")
    for demand in campaign.demands:
        missing = [a.value for a in Audience if find_template(demand, a, "en") is None]
        if missing:
            problems.append(f"Demand “{demand.title}” needs English messages for: {', '.join(missing)}.")
    return problems


def publish(campaign: Campaign) -> Campaign:
    """Make a draft live, recording when and who held each seat at that moment."""
    if campaign.status is not CampaignStatus.DRAFT:
        raise BuilderError("Only a draft can be published.")
    problems = publish_problems(campaign)
    if problems:
        raise BuilderError(" ".join(problems))
    campaign.status = CampaignStatus.LIVE
    campaign.launched_at = utcnow()
    campaign.launch_roster = current_roster()
    db.session.commit()
    return campaign


def close(campaign: Campaign) -> Campaign:
    """End a live campaign: its pages stay up, say so, and take no more actions."""
    if campaign.status is not CampaignStatus.LIVE:
        raise BuilderError("Only a live campaign can be closed.")
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = utcnow()
    db.session.commit()
    return campaign


# --- live preview -------------------------------------------------------------------------------

# The constituent a preview pretends to be; shown beside the preview so nobody mistakes it for real data.
PREVIEW_CONSTITUENT = {"first_name": "Alex", "last_name": "Example", "city": "Springfield"}


@dataclass(frozen=True)
class PreviewMember:
    bioguide_id: str
    label: str


def preview_members(chamber: Chamber) -> list[PreviewMember]:
    """Return the current members of a chamber, alphabetically by surname, for the preview's choice."""
    from outreach.models import Person, Term

    rows = db.session.execute(
        select(Person, Term).join(Term, Term.bioguide_id == Person.bioguide_id)
        .where(Term.is_current, Person.is_current, Term.chamber == chamber)
        .order_by(Person.last_name, Person.first_name, Person.bioguide_id)).all()
    members = []
    for person, term in rows:
        seat = term.state if chamber is Chamber.SENATE else f"{term.state}-{term.district or 'AL'}"
        members.append(PreviewMember(person.bioguide_id, f"{person.last_name}, {person.first_name} ({seat})"))
    return members


@dataclass(frozen=True)
class Preview:
    member_name: str
    subject: str
    body: str       # the whole message as the office gets it: greeting, body, signature
    sms_body: str


class _PreviewDemand:
    """A demand whose only template is the one being edited, so render_for_member renders unsaved text."""

    def __init__(self, demand: Demand, template: MessageTemplate):
        self.demand = demand
        self.templates = [template]

    def text(self, field_name: str, locale: str) -> str:
        return self.demand.text(field_name, locale)


def preview_template(demand: Demand, audience: Audience, locale: str, values: TemplateFields,
                     bioguide_id: str | None) -> Preview | None:
    """Render unsaved template text for a current member, as a constituent's message would be rendered."""
    from outreach.campaigns.messages import compose_letter, member_title, render_for_member
    from outreach.campaigns.signing import SigningStatus
    from outreach.models import Person

    person = db.session.get(Person, bioguide_id) if bioguide_id else None
    term = person.current_term if person is not None else None
    if term is None:
        return None
    # Transient: never added to the session, so previewing cannot change the saved template.
    template = MessageTemplate(audience=audience, locale=locale, subject=values.subject, body=values.body,
                               sms_body=values.sms_body)
    status = SigningStatus.SIGNED if audience is Audience.SIGNER else SigningStatus.NOT_LISTED
    rendered = render_for_member(_PreviewDemand(demand, template), person, term, status, locale,  # type: ignore[arg-type]
                                 **PREVIEW_CONSTITUENT)
    if rendered is None:
        return None
    body = compose_letter(rendered.body, "", member_title_text=member_title(term, locale),
                          member_name=person.display_name, locale=locale, **PREVIEW_CONSTITUENT)
    return Preview(person.display_name, rendered.subject, body, rendered.sms_body)
