"""Taking a constituent's action: one transaction writes the Action and all its deliveries."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outreach.campaigns.messages import (
    audience_for,
    compose_letter,
    fill,
    member_title,
    render_for_member,
    template_for,
)
from outreach.campaigns.signing import SigningStatus, signatures_by_bioguide, signing_status
from outreach.congress.cwc_offices import office_code_for, takes_cwc
from outreach.congress.lookup import Member, lookup_seat
from outreach.extensions import db
from outreach.models import (
    Action,
    Audience,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Demand,
    Medium,
    Target,
)
from outreach.models.base import as_utc, utcnow
from outreach.sms.subscriptions import join_from_action_form

log = logging.getLogger(__name__)


class ActionRejected(Exception):
    """The submission cannot be taken; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message):
        super().__init__(field)
        self.field = field
        self.message = message


@dataclass
class ActionSubmission:
    form_token: str
    campaign: Campaign
    demand: Demand
    locale: str
    state: str
    district: int
    member_ids: list[str]
    send_to_offices: bool
    text_me_script: bool
    first_name: str
    last_name: str = ""
    prefix: str = ""
    email: str = ""
    street: str = ""
    city: str = ""
    zip_code: str = ""
    phone: str = ""  # E.164, already validated
    personal_note: str = ""
    message_bodies: dict[Audience, str] = field(default_factory=dict)
    sms_opt_in: bool = False
    sms_consent_text: str | None = None


@dataclass(frozen=True)
class Draft:
    """What the form shows before sending: the members, their statuses, and the editable bodies."""

    members: list[Member]
    statuses: dict[str, SigningStatus]
    bodies: dict[Audience, str]


def draft_for(campaign: Campaign, demand: Demand, state: str, district: int, locale: str) -> Draft:
    """Return the members of a confirmed district and the message bodies the constituent may edit."""
    members = lookup_seat(state, district).members
    signatures = signatures_by_bioguide(campaign.letter)
    statuses = {m.bioguide_id: signing_status(campaign.letter, m.person, signatures).status for m in members}
    bodies: dict[Audience, str] = {}
    for status in statuses.values():
        audience = audience_for(status)
        template = template_for(demand, audience, locale)
        if template is not None and audience not in bodies:
            bodies[audience] = fill(template.body, {"demand_title": demand.text("title", locale)})
    return Draft(members, statuses, bodies)


def submit_action(sub: ActionSubmission) -> Action:
    """Record an action and its deliveries in one transaction; a repeated submission returns the first."""
    existing = db.session.scalar(select(Action).where(Action.form_token == sub.form_token))
    if existing is not None:
        return existing
    if sub.campaign.status is not CampaignStatus.LIVE:
        raise ActionRejected("send_to_offices", _campaign_closed())
    if not (sub.send_to_offices or sub.text_me_script):
        raise ActionRejected("send_to_offices", _choose_something())
    draft = draft_for(sub.campaign, sub.demand, sub.state, sub.district, sub.locale)
    by_id = {m.bioguide_id: m for m in draft.members}
    chosen = [by_id[b] for b in sub.member_ids if b in by_id]
    if not chosen or len(chosen) != len(set(sub.member_ids)):
        raise ActionRejected("members", _members_error())

    action = Action(
        campaign_id=sub.campaign.id, demand_id=sub.demand.id, form_token=sub.form_token, locale=sub.locale,
        state=sub.state, district=sub.district, prefix=sub.prefix or None, first_name=sub.first_name,
        last_name=sub.last_name or None, email=sub.email or None, street=sub.street or None,
        city=sub.city or None, zip_code=sub.zip_code or None, phone=sub.phone or None,
        personal_note=sub.personal_note or None, send_to_offices=sub.send_to_offices,
        text_me_script=sub.text_me_script, sms_opt_in=sub.sms_opt_in,
        sms_consent_text=sub.sms_consent_text if sub.sms_opt_in else None,
    )
    db.session.add(action)
    if sub.send_to_offices:
        for member in chosen:
            action.deliveries.append(_office_message(sub, draft, member))
        for target in sub.campaign.targets:
            action.deliveries.append(_target_email(sub, draft, target))
    if sub.text_me_script and sub.phone:
        action.deliveries.append(_script_text(sub, draft, chosen))
    try:
        db.session.flush()  # assigns the status token used in the receipt
        if sub.email:
            action.deliveries.append(_receipt(sub, action, chosen))
        if sub.sms_opt_in and sub.phone:
            # In the action's transaction: the subscription, its consent and its confirmation exist exactly
            # when the action does, and a repeated form post (returned above) cannot subscribe twice.
            join_from_action_form(sub.phone, sub.locale, sub.sms_consent_text or "", sub.campaign.id,
                                  sub.zip_code, sub.state, sub.district)
        db.session.commit()
    except IntegrityError:
        # The same form posted twice at once: the other request won; show its result.
        db.session.rollback()
        winner = db.session.scalar(select(Action).where(Action.form_token == sub.form_token))
        if winner is None:
            raise
        return winner
    log.info("action %s recorded with %s deliveries", action.id, len(action.deliveries))
    return action


def _office_message(sub: ActionSubmission, draft: Draft, member: Member) -> Delivery:
    status = draft.statuses[member.bioguide_id]
    audience = audience_for(status)
    rendered = render_for_member(sub.demand, member.person, member.term, status, sub.locale,
                                 sub.first_name, sub.last_name, sub.city)
    title = member_title(member.term, sub.locale)
    body = fill(sub.message_bodies.get(audience) or draft.bodies.get(audience, ""),
                {"member_title": title, "member_name": member.person.display_name,
                 "first_name": sub.first_name, "last_name": sub.last_name, "city": sub.city,
                 "demand_title": sub.demand.text("title", sub.locale)})
    letter = compose_letter(body, sub.personal_note, member_title_text=title,
                            member_name=member.person.display_name, first_name=sub.first_name,
                            last_name=sub.last_name, city=sub.city, locale=sub.locale)
    delivery = Delivery(kind=DeliveryKind.OFFICE_MESSAGE, medium=Medium.CWC, recipient_key=member.bioguide_id,
                        recipient_name=member.person.display_name, subject=rendered.subject if rendered else "",
                        body=letter, statement=body, office_code=office_code_for(member.term))
    # An office on CWC gets the message from the worker; any other office, or every office while CWC is not
    # configured, is a hand-off: the person delivers it, and the status page says so rather than pretend.
    if not takes_cwc(current_app.config, member.term, sub.prefix):
        delivery.state = DeliveryState.HANDOFF
        delivery.finished_at = utcnow()
    return delivery


def _target_email(sub: ActionSubmission, draft: Draft, target: Target) -> Delivery:
    # Targets are not members of Congress: they get the "urge" version, addressed by their own title.
    template = template_for(sub.demand, Audience.OTHER, sub.locale)
    values = {"member_title": target.title, "member_name": target.name, "first_name": sub.first_name,
              "last_name": sub.last_name, "city": sub.city, "demand_title": sub.demand.text("title", sub.locale)}
    body = fill(sub.message_bodies.get(Audience.OTHER) or draft.bodies.get(Audience.OTHER)
                or (template.body if template else ""), values)
    letter = compose_letter(body, sub.personal_note, member_title_text=target.title, member_name=target.name,
                            first_name=sub.first_name, last_name=sub.last_name, city=sub.city, locale=sub.locale)
    return Delivery(kind=DeliveryKind.TARGET_EMAIL, medium=Medium.EMAIL, recipient_key=f"target:{target.id}",
                    recipient_name=f"{target.title} {target.name}".strip(),
                    subject=fill(template.subject, values) if template else sub.demand.text("title", sub.locale),
                    body=letter)


def _script_text(sub: ActionSubmission, draft: Draft, chosen: list[Member]) -> Delivery:
    lines = []
    for member in chosen:
        rendered = render_for_member(sub.demand, member.person, member.term, draft.statuses[member.bioguide_id],
                                     sub.locale, sub.first_name, sub.last_name, sub.city)
        phone = member.term.phone or ""
        lines.append(f"{rendered.sms_body if rendered else member.person.display_name} {phone}".strip())
    with force_locale(sub.locale):
        header = gettext("%(org)s: Hi %(name)s! Your call script:", org=current_app.config["ORG_NAME"],
                         name=sub.first_name)
    return Delivery(kind=DeliveryKind.SCRIPT_SMS, medium=Medium.SMS, recipient_key="constituent",
                    recipient_name=sub.first_name, body="\n".join([header, *lines]))


def _receipt(sub: ActionSubmission, action: Action, chosen: list[Member]) -> Delivery:
    # From PUBLIC_BASE_URL, never the request's Host header, which a client can forge into someone's receipt.
    status_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("actions.status",
                                                                             token=action.status_token)
    with force_locale(sub.locale):
        subject = gettext("Your message about: %(demand)s", demand=sub.demand.text("title", sub.locale))
        lines = [gettext("Thank you, %(name)s.", name=sub.first_name), ""]
        if sub.send_to_offices:
            lines.append(gettext("Your message is ready for these offices. Congress offices take messages "
                                 "through their own forms: the page after you sent it has each office's "
                                 "contact link and phone number."))
            lines += [f"- {m.person.display_name}: {m.term.contact_url or ''} {m.term.phone or ''}".rstrip()
                      for m in chosen]
            lines.append("")
        lines.append(gettext("See the status of your message, or delete your data: %(url)s", url=status_url))
    return Delivery(kind=DeliveryKind.RECEIPT, medium=Medium.EMAIL, recipient_key="constituent",
                    recipient_name=f"{sub.first_name} {sub.last_name}".strip(), subject=subject,
                    body="\n".join(lines))


def _choose_something():
    from flask_babel import lazy_gettext

    return lazy_gettext("Choose at least one: send your message to their offices, or get a text with the script.")


def _campaign_closed():
    from flask_babel import lazy_gettext

    return lazy_gettext("This campaign has ended and no longer takes actions.")


def _members_error():
    from flask_babel import lazy_gettext

    return lazy_gettext("Choose at least one of your members of Congress.")


def action_by_status_token(token: str) -> Action | None:
    """Return the action a receipt's status link points at."""
    return db.session.scalar(select(Action).where(Action.status_token == token))


PERSONAL_FIELDS = ("prefix", "first_name", "last_name", "email", "street", "city", "zip_code", "phone",
                   "personal_note", "sms_consent_text")


def erase_action(action: Action) -> None:
    """Delete a constituent's data, keeping only anonymous counts; unsent messages are not sent."""
    for name in PERSONAL_FIELDS:
        setattr(action, name, None)
    action.erased_at = utcnow()
    for delivery in action.deliveries:
        if delivery.state in (DeliveryState.PENDING, DeliveryState.UNKNOWN):
            delivery.state = DeliveryState.SKIPPED
            delivery.skip_reason = "constituent deleted their data"
            delivery.finished_at = utcnow()
        delivery.subject = ""
        delivery.body = ""
        delivery.statement = None
        delivery.recipient_name = ""
    db.session.commit()


UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.UNKNOWN)


def erase_expired_contact_details(retention_days: int) -> int:
    """Erase street addresses and phone numbers of actions whose deliveries finished long enough ago."""
    cutoff = utcnow() - timedelta(days=retention_days)
    unfinished = select(Delivery.action_id).where(Delivery.state.in_(UNFINISHED), Delivery.action_id.is_not(None))
    actions = db.session.scalars(
        select(Action).where(Action.created_at < cutoff, Action.contact_details_erased_at.is_(None),
                             Action.id.not_in(unfinished))).all()
    erased = 0
    for action in actions:
        finished = [d.finished_at for d in action.deliveries if d.finished_at is not None]
        if finished and max(as_utc(f) for f in finished) >= cutoff:
            continue
        action.street = None
        action.phone = None
        action.contact_details_erased_at = utcnow()
        erased += 1
    db.session.commit()
    return erased
