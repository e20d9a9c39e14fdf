"""Joining and leaving the SMS program, with the consent evidence every subscription rests on.

`join`, `opt_out` and `set_zip` work inside the caller's transaction and never commit: a keyword webhook
(keywords.handle_inbound), the action form (submit_action) and the web pages (`subscribe_from_web`,
`unsubscribe_from_web`) each own one transaction, so the subscriber, its consent record and its confirmation
text are stored together or not at all. Texts are pending `Delivery` rows (medium SMS, `subscriber_id` set):
the worker sends them, never the request.

Decisions (see the report on issue 6 for the why):

* A join of a number that is already subscribed (and not suppressed) changes nothing and sends nothing: no new
  consent record, no second confirmation. Otherwise anyone could make the web form text a stranger again and
  again. (A texted JOIN from a subscriber gets a short "already subscribed" reply instead, see keywords.py.)
* A join of a number that opted out is a re-join: a new consent record, status active again, and the number
  leaves the SMS suppression list. Only an explicit join does that (a keyword, the /subscribe page, or the
  action form's opt-in box).
* An opt-out is immediate and global (suppression list + status), and the one confirmation goes only when the
  number was subscribed; a number we only know from the suppression list gets nothing more.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from flask import current_app, has_request_context, request
from flask_babel import force_locale, gettext
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from outreach.congress.lookup import LookupFailed, lookup_zip
from outreach.delivery.outbox import normalized_address
from outreach.extensions import SUPPORTED_LOCALES, db
from outreach.models import ConsentRecord, Delivery, DeliveryKind, Medium, Subscriber, SubscriberStatus, Suppression
from outreach.models.base import utcnow
from outreach.sms import fold_to_gsm7, segments

log = logging.getLogger(__name__)

# Bump a version whenever the wording it names changes: a consent record must say which words were agreed to.
WEB_FORM_DISCLOSURE_VERSION = "sms-web-form-v1"
ACTION_FORM_DISCLOSURE_VERSION = "sms-action-form-v1"     # outreach.web.action_forms.sms_consent_text
KEYWORD_DISCLOSURE_VERSION = "sms-keyword-confirmation-v1"  # the confirmation text itself, see below


class Source(str, enum.Enum):
    WEB_FORM = "web_form"
    ACTION_FORM = "action_form"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Consent:
    """What the person agreed to, and where. A keyword join has no disclosure of its own: the confirmation
    text that answers it (the program's terms) is recorded as the disclosure, and their message as the detail."""

    source: Source
    disclosure_text: str | None
    disclosure_version: str
    source_detail: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    campaign_id: int | None = None


@dataclass(frozen=True)
class Place:
    zip_code: str | None = None
    state: str | None = None
    district: int | None = None


class Joined(str, enum.Enum):
    NEW = "new"
    REJOINED = "rejoined"
    ALREADY_ACTIVE = "already_active"


@dataclass(frozen=True)
class JoinResult:
    subscriber: Subscriber
    outcome: Joined
    confirmations: int = 0


# --- wording -----------------------------------------------------------------------------------

def web_disclosure() -> str:
    """Return the consent shown beside the /subscribe page's box; the consent record stores exactly this."""
    return gettext("Yes, text me recurring automated action alerts from %(program)s at this number, about 4 "
                   "msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel. Consent is not a "
                   "condition of any purchase.", program=current_app.config["ORG_NAME"])


def _sms(text: str) -> str:
    # Translations may use á, í, ó, ú; phones show a, i, o, u just as well, and the text stays GSM-7.
    return fold_to_gsm7(text)


def confirmation_texts(locale: str, zip_known: bool) -> list[str]:
    """Return the confirmation of a new subscription: one text when it fits a segment, else two on purpose."""
    org = current_app.config["ORG_NAME"]
    with force_locale(locale):
        terms = _sms(gettext("%(org)s: You joined Congress action alerts, about 4 msgs/mo. Msg & data rates may "
                             "apply. HELP for help, STOP to cancel.", org=org))
        if zip_known:
            return [terms]
        ask = _sms(gettext("Text us your ZIP code."))
        alone = _sms(gettext("%(org)s: Reply with your ZIP code so we can tell you about your members of "
                             "Congress.", org=org))
    together = f"{terms} {ask}"
    # The terms come first and whole; the ZIP request rides along only when that keeps one segment.
    return [together] if segments(together) == 1 else [terms, alone]


def opt_out_confirmation_text(locale: str) -> str:
    """Return the last text a number gets: it is off the list, and how to come back."""
    with force_locale(locale):
        return _sms(gettext("%(org)s: You are unsubscribed and will get no more messages. Reply START to rejoin.",
                            org=current_app.config["ORG_NAME"]))


def already_subscribed_text(locale: str) -> str:
    """Return the answer to a texted JOIN or START from a number that is subscribed already."""
    with force_locale(locale):
        return _sms(gettext("%(org)s: You are already signed up for action alerts. Reply HELP for help, STOP to "
                            "cancel.", org=current_app.config["ORG_NAME"]))


def help_text(locale: str) -> str:
    """Return the answer to HELP, INFO or AYUDA."""
    config = current_app.config
    with force_locale(locale):
        return _sms(gettext("%(org)s: Congress action alerts, about 4 msgs/mo. Help: %(contact)s. Msg & data "
                            "rates may apply. Reply STOP to cancel.", org=config["ORG_NAME"],
                            contact=config["ORG_HELP_CONTACT"]))


def zip_saved_text(locale: str, zip_code: str) -> str:
    """Return the answer to a ZIP code that was saved."""
    with force_locale(locale):
        return _sms(gettext("%(org)s: Thanks, we saved your ZIP code %(zip)s.", org=current_app.config["ORG_NAME"],
                            zip=zip_code))


def zip_unknown_text(locale: str, zip_code: str) -> str:
    """Return the answer to a five-digit reply that is not a ZIP code we know."""
    with force_locale(locale):
        return _sms(gettext("%(org)s: We could not find ZIP code %(zip)s. Check it and reply with your 5-digit ZIP "
                            "code.", org=current_app.config["ORG_NAME"], zip=zip_code))


# --- the outbox --------------------------------------------------------------------------------

def queue_text(subscriber: Subscriber, kind: DeliveryKind, body: str) -> Delivery:
    """Add a pending text to a subscriber; the worker sends it after the caller commits."""
    if subscriber.id is None:
        db.session.flush()
    delivery = Delivery(kind=kind, medium=Medium.SMS, subscriber_id=subscriber.id,
                        recipient_key=f"subscriber:{subscriber.id}", body=body)
    db.session.add(delivery)
    return delivery


# --- joining -----------------------------------------------------------------------------------

def web_origin() -> tuple[str | None, str | None]:
    """Return the IP address and user agent of the current web request, for consent evidence."""
    if not has_request_context():
        return None, None
    agent = request.headers.get("User-Agent")
    return (request.remote_addr or None), (agent[:400] if agent else None)


def place_for_zip(zip_code: str) -> Place | None:
    """Return a ZIP's state and district; a split ZIP keeps its state (if one) and no district; None if unknown."""
    try:
        result = lookup_zip(zip_code, address_search=False)
    except LookupFailed:
        return None
    states = {d.state for d in result.districts}
    state = next(iter(states)) if len(states) == 1 else None
    district = result.districts[0].district if len(result.districts) == 1 else None
    return Place(zip_code=result.zip_code, state=state, district=district)


def is_suppressed_sms(phone: str) -> bool:
    """Tell whether a number is on the SMS suppression list (read in the current transaction)."""
    return db.session.scalar(select(Suppression.id).where(
        Suppression.medium == Medium.SMS, Suppression.address == normalized_address(Medium.SMS, phone))) is not None


def subscriber_for(phone: str, lock: bool = True) -> Subscriber | None:
    """Return the subscriber with this number, locking its row until the transaction ends (PostgreSQL)."""
    query = select(Subscriber).where(Subscriber.phone == normalized_address(Medium.SMS, phone))
    return db.session.scalar(query.with_for_update() if lock else query)


def is_reachable(subscriber: Subscriber | None) -> bool:
    """Tell whether we may text this subscriber: subscribed, and not on the suppression list (e.g. 21610)."""
    return (subscriber is not None and subscriber.status is SubscriberStatus.ACTIVE
            and not is_suppressed_sms(subscriber.phone))


def join(phone: str, locale: str, consent: Consent, place: Place | None = None, confirm: bool = True) -> JoinResult:
    """Subscribe a number with its consent evidence and queue one confirmation; the caller commits.

    `confirm=False` is for a START that Twilio's Advanced Opt-Out already answered.
    """
    phone = normalized_address(Medium.SMS, phone)
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    subscriber = subscriber_for(phone)
    if is_reachable(subscriber):
        return JoinResult(subscriber, Joined.ALREADY_ACTIVE)
    zip_known = bool((place and place.zip_code) or (subscriber and subscriber.zip_code))
    texts = confirmation_texts(locale, zip_known)
    record = ConsentRecord(
        phone=phone, recorded_at=utcnow(), source=consent.source.value,
        disclosure_text=consent.disclosure_text if consent.disclosure_text is not None else " ".join(texts),
        disclosure_version=consent.disclosure_version, source_detail=consent.source_detail,
        campaign_id=consent.campaign_id, ip_address=(consent.ip_address or None) and consent.ip_address[:64],
        user_agent=(consent.user_agent or None) and consent.user_agent[:400])
    db.session.add(record)
    db.session.flush()  # also starts the transaction on SQLite before the savepoint below
    outcome = Joined.REJOINED
    if subscriber is None:
        subscriber = _insert_subscriber(phone, locale, record, place, consent.campaign_id)
        if subscriber is None:  # another request added the number at the same moment
            subscriber = subscriber_for(phone)
            if is_reachable(subscriber):
                db.session.delete(record)
                return JoinResult(subscriber, Joined.ALREADY_ACTIVE)
        else:
            outcome = Joined.NEW
    if outcome is Joined.REJOINED:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.consent = record
        subscriber.opted_out_at = None
        subscriber.locale = locale
        if place and place.zip_code:
            _set_place(subscriber, place)
        if consent.campaign_id is not None:
            subscriber.source_campaign_id = consent.campaign_id
    # An explicit join is the one thing that takes a number off the SMS suppression list.
    db.session.execute(delete(Suppression).where(Suppression.medium == Medium.SMS, Suppression.address == phone))
    if not confirm:
        texts = []
    for text in texts:
        queue_text(subscriber, DeliveryKind.SMS_CONFIRMATION, text)
    db.session.flush()
    log.info("subscriber %s joined (%s, %s)", subscriber.id, consent.source.value, outcome.value)
    return JoinResult(subscriber, outcome, confirmations=len(texts))


def _insert_subscriber(phone: str, locale: str, record: ConsentRecord, place: Place | None,
                       campaign_id: int | None) -> Subscriber | None:
    subscriber = Subscriber(phone=phone, consent=record, status=SubscriberStatus.ACTIVE, locale=locale,
                            source_campaign_id=campaign_id, created_at=utcnow())
    if place:
        _set_place(subscriber, place)
    try:
        with db.session.begin_nested():
            db.session.add(subscriber)
    except IntegrityError:
        return None
    return subscriber


def _set_place(subscriber: Subscriber, place: Place) -> None:
    subscriber.zip_code = place.zip_code
    subscriber.state = place.state
    subscriber.district = place.district


def set_zip(subscriber: Subscriber, zip_code: str) -> Place | None:
    """Save a subscriber's ZIP code with its state and district; None (and no change) for an unknown ZIP."""
    place = place_for_zip(zip_code)
    if place is not None:
        _set_place(subscriber, place)
        log.info("subscriber %s saved a ZIP code", subscriber.id)
    return place


# --- leaving -----------------------------------------------------------------------------------

def opt_out(phone: str, reason: str, confirm: bool = True) -> Subscriber | None:
    """Stop every text to a number now; queue the one confirmation if it was subscribed. The caller commits."""
    phone = normalized_address(Medium.SMS, phone)
    subscriber = subscriber_for(phone)
    if subscriber is not None and subscriber.status is SubscriberStatus.ACTIVE:
        subscriber.status = SubscriberStatus.OPTED_OUT
        subscriber.opted_out_at = utcnow()
        if confirm:
            # The only kind the worker sends past the suppression list (SENT_DESPITE_SUPPRESSION).
            queue_text(subscriber, DeliveryKind.SMS_OPT_OUT_CONFIRMATION,
                       opt_out_confirmation_text(subscriber.locale))
        db.session.flush()  # before the savepoint, so SQLite has begun the transaction it nests in
        log.info("subscriber %s opted out (%s)", subscriber.id, reason)
    _add_suppression(phone, reason)
    return subscriber


def _add_suppression(phone: str, reason: str) -> None:
    if is_suppressed_sms(phone):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(medium=Medium.SMS, address=phone, reason=reason[:100]))
    except IntegrityError:  # a worker recorded a 21610 for it at the same moment: suppressed either way
        pass


def join_from_action_form(phone: str, locale: str, consent_text: str, campaign_id: int, zip_code: str | None,
                          state: str, district: int) -> JoinResult:
    """Subscribe the number of an action whose SMS box was checked, in the action's transaction."""
    ip_address, user_agent = web_origin()
    consent = Consent(Source.ACTION_FORM, consent_text, ACTION_FORM_DISCLOSURE_VERSION, ip_address=ip_address,
                      user_agent=user_agent, campaign_id=campaign_id)
    # The person confirmed this district on the form, which is surer than anything their ZIP code says.
    place = Place(zip_code=zip_code[:5] if zip_code else None, state=state, district=district)
    return join(phone, locale, consent, place)


def unsubscribe_from_web(phone: str) -> None:
    """Opt a number out from the web form and commit; the answer is the same whether it was subscribed or not."""
    opt_out(phone, "web unsubscribe")
    db.session.commit()


def subscribe_from_web(phone: str, locale: str, place: Place | None, disclosure: str) -> JoinResult:
    """Subscribe from the /subscribe page and commit, with the page's disclosure, IP and user agent."""
    ip_address, user_agent = web_origin()
    consent = Consent(Source.WEB_FORM, disclosure, WEB_FORM_DISCLOSURE_VERSION, ip_address=ip_address,
                      user_agent=user_agent)
    result = join(phone, locale, consent, place)
    db.session.commit()
    return result
