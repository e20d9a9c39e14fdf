"""Texts people send the program's number: STOP, START, HELP, JOIN (and their Spanish words), a ZIP code, or
anything else for the organizers' inbox.

One inbound text is one transaction: the Twilio MessageSid is recorded with everything the text changes, so a
webhook Twilio retries changes nothing the second time, and every answer is a pending outbox row sent by the
worker (recorded, exactly once), never TwiML.

What each text does, by who sends it:

================  ==============================  ==============================  ===========================
text              subscribed number               opted-out number                number we do not know
================  ==============================  ==============================  ===========================
STOP and kin      opt out + one confirmation      nothing (already out)           suppressed, nothing sent
JOIN / ÚNETE      "already subscribed" reply      re-join + one confirmation      join + one confirmation
START / UNSTOP    "already subscribed" reply      re-join + one confirmation      off the suppression list
YES               inbox (an answer to an alert)   re-join + one confirmation      off the suppression list
HELP / AYUDA      help text                       nothing                         help text
a ZIP code        saved, one reply                inbox, nothing sent             inbox
anything else     inbox, no reply                 inbox, nothing sent             inbox
================  ==============================  ==============================  ===========================

A number we do not know gets no text but the HELP answer, which carriers require of every program; the outbox
addresses it through the stored inbound text, so no bare number sits in a delivery row.
When Twilio already handled a keyword (the request carries OptOutType: STOP, START or HELP), its effect is
recorded and nothing is sent, since Twilio answered it.
"""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from outreach.delivery.outbox import normalized_address
from outreach.extensions import db
from outreach.models import Delivery, DeliveryKind, InboundMessage, Medium, ProviderEvent, Subscriber, Suppression
from outreach.models.base import utcnow
from outreach.sms.subscriptions import (
    KEYWORD_DISCLOSURE_VERSION,
    Consent,
    Source,
    already_subscribed_text,
    help_text,
    is_reachable,
    is_suppressed_sms,
    join,
    opt_out,
    queue_text,
    set_zip,
    subscriber_for,
    zip_saved_text,
    zip_unknown_text,
)
from outreach.web.validators import sms_allowed_e164

log = logging.getLogger(__name__)

PROVIDER = "twilio_sms"


class Keyword(str, enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    JOIN = "join"
    HELP = "help"
    ZIP = "zip"
    NONE = "none"


# Compared after normalize(): lower case, accents dropped, punctuation and extra spaces gone.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
                           "optout", "opt out", "stop texting me", "no mas", "alto", "parar", "cancelar"})
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})
JOIN_WORDS = {"join": "en", "unete": "es", "unirme": "es"}
HELP_WORDS = {"help": None, "info": None, "ayuda": "es"}
_ZIP = re.compile(r"^(\d{5})(?: \d{4})?$")
_WORD = re.compile(r"[^\W_]+")


def normalize(body: str) -> str:
    """Return a text as keywords are compared: "  ¡No  MÁS! " → "no mas", "Opt-out." → "opt out"."""
    decomposed = unicodedata.normalize("NFKD", body or "").casefold()
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(bare))


@dataclass(frozen=True)
class Classified:
    keyword: Keyword
    locale: str | None = None   # the language the word itself is in, when it says so
    zip_code: str | None = None


def classify(body: str) -> Classified:
    """Tell which keyword a text is, if any; a text with more words than a keyword is not one."""
    text = normalize(body)
    if text in OPT_OUT_WORDS:
        return Classified(Keyword.OPT_OUT)
    if text in JOIN_WORDS:
        return Classified(Keyword.JOIN, JOIN_WORDS[text])
    if text in OPT_IN_WORDS:
        return Classified(Keyword.OPT_IN)
    if text in HELP_WORDS:
        return Classified(Keyword.HELP, HELP_WORDS[text])
    match = _ZIP.match(text)
    if match:
        return Classified(Keyword.ZIP, zip_code=match.group(1))
    return Classified(Keyword.NONE)


@dataclass(frozen=True)
class InboundText:
    """An inbound text as Twilio posts it (From, Body, MessageSid, OptOutType)."""

    phone: str
    body: str
    sid: str | None = None
    opt_out_type: str | None = None


def handle_inbound(text: InboundText) -> str:
    """Apply one inbound text and commit; return what happened, in words fit for a log line."""
    if not text.phone.strip():
        return "ignored: no sender"
    if text.sid:
        # Recorded in the same transaction as the text's effects: both are stored, or neither is.
        db.session.add(ProviderEvent(provider=PROVIDER, event_id=text.sid[:200]))
        try:
            db.session.flush()
        except IntegrityError:  # Twilio retried a webhook we already applied (or are applying right now)
            db.session.rollback()
            return "duplicate"
    outcome = _apply(text)
    db.session.commit()
    return outcome


def _apply(text: InboundText) -> str:
    phone = normalized_address(Medium.SMS, text.phone)
    found = classify(text.body)
    subscriber = subscriber_for(phone)
    if text.opt_out_type:
        return _twilio_handled(text.opt_out_type.strip().upper(), phone, text, subscriber)
    reachable = is_reachable(subscriber)

    if found.keyword is Keyword.OPT_OUT:
        opt_out(phone, "texted an opt-out keyword")
        return "opted out"
    if found.keyword is Keyword.JOIN or (found.keyword is Keyword.OPT_IN and subscriber is not None):
        if reachable:
            if normalize(text.body) == "yes":  # "YES" from a subscriber answers an alert; it is not a join
                return _to_inbox(phone, text, subscriber)
            queue_text(subscriber, DeliveryKind.SMS_REPLY,
                       already_subscribed_text(found.locale or subscriber.locale))
            return "already subscribed"
        return _keyword_join(phone, text, found, subscriber, confirm=True)
    if found.keyword is Keyword.OPT_IN:  # from a number that never subscribed: it may receive texts again
        _lift_suppression(phone)
        return _to_inbox(phone, text, None)
    if found.keyword is Keyword.HELP and subscriber is not None:
        if reachable:
            queue_text(subscriber, DeliveryKind.SMS_REPLY, help_text(found.locale or subscriber.locale))
            return "help sent"
        return "help ignored: opted out"
    if found.keyword is Keyword.HELP and not is_suppressed_sms(phone):
        # Carriers expect HELP to be answered whoever asks; the reply is addressed through the stored text.
        inbound = InboundMessage(phone=phone, body=_clean(text.body), received_at=utcnow(),
                                 provider_id=text.sid[:64] if text.sid else None)
        db.session.add(inbound)
        db.session.flush()
        db.session.add(Delivery(kind=DeliveryKind.SMS_REPLY, medium=Medium.SMS, inbound_message_id=inbound.id,
                                recipient_key="inbound", body=help_text(found.locale or "en")))
        return "help sent to a non-subscriber"
    if found.keyword is Keyword.ZIP and reachable:
        place = set_zip(subscriber, found.zip_code)
        reply = zip_saved_text if place is not None else zip_unknown_text
        queue_text(subscriber, DeliveryKind.SMS_REPLY, reply(subscriber.locale, found.zip_code))
        return "zip saved" if place is not None else "zip unknown"
    return _to_inbox(phone, text, subscriber)


def _twilio_handled(kind: str, phone: str, text: InboundText, subscriber: Subscriber | None) -> str:
    # Twilio's Advanced Opt-Out answered the person itself; we only record the effect.
    if kind == "STOP":
        opt_out(phone, "opted out at Twilio (OptOutType STOP)", confirm=False)
        return "opted out at Twilio"
    if kind == "START":
        if subscriber is None:
            _lift_suppression(phone)
            return "opted in at Twilio (no subscription)"
        if is_reachable(subscriber):
            return "opted in at Twilio (already subscribed)"
        found = Classified(Keyword.OPT_IN)
        return _keyword_join(phone, text, found, subscriber, confirm=False)
    return f"handled at Twilio ({kind[:10]})"


def _keyword_join(phone: str, text: InboundText, found: Classified, subscriber: Subscriber | None,
                  confirm: bool) -> str:
    if not sms_allowed_e164(phone):
        # SMS pumping: texts to some countries cost a lot and earn fraudsters a share, so a JOIN from a number
        # outside SMS_ALLOWED_COUNTRY_CODES subscribes nothing and gets no confirmation; organizers see it.
        _to_inbox(phone, text, subscriber)
        return "join refused: country not allowed"
    locale = found.locale or (subscriber.locale if subscriber else "en")
    consent = Consent(Source.KEYWORD, None, KEYWORD_DISCLOSURE_VERSION, source_detail=_clean(text.body))
    result = join(phone, locale, consent, confirm=confirm)
    return f"joined by keyword ({result.outcome.value})"


def _lift_suppression(phone: str) -> None:
    db.session.execute(delete(Suppression).where(Suppression.medium == Medium.SMS, Suppression.address == phone))


def _to_inbox(phone: str, text: InboundText, subscriber: Subscriber | None) -> str:
    if text.sid and db.session.scalar(select(InboundMessage.id).where(InboundMessage.provider_id == text.sid)):
        return "duplicate"
    db.session.add(InboundMessage(phone=phone, body=_clean(text.body), received_at=utcnow(),
                                  subscriber_id=subscriber.id if subscriber else None,
                                  provider_id=text.sid[:64] if text.sid else None))
    db.session.flush()
    return "stored in the inbox"


def _clean(body: str) -> str:
    # PostgreSQL refuses NUL in text; Twilio bodies are at most 1,600 characters.
    return (body or "").replace("\x00", "")[:1600]
