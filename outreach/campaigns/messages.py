"""Message templates: pick the right version for a member and fill in its placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass

from outreach.campaigns.signing import SigningStatus
from outreach.models import Audience, Chamber, Demand, MessageTemplate, Person, Term

# Only these names are filled in. Organizer-written templates never reach str.format, which would let
# "{x.__class__}" read attributes.
PLACEHOLDER = re.compile(r"\{(member_title|member_name|first_name|last_name|city|demand_title)\}")

TITLES = {
    "en": {"house": "Representative", "delegate": "Delegate", "senate": "Senator"},
    "es": {"house": "Representante", "delegate": "Delegado(a)", "senate": "Senador(a)"},
}
DELEGATE_STATES = frozenset({"DC", "PR", "GU", "VI", "AS", "MP"})


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    sms_body: str


def audience_for(status: SigningStatus) -> Audience:
    """Signers are thanked and asked to keep pushing; everyone else is urged to act."""
    return Audience.SIGNER if status is SigningStatus.SIGNED else Audience.OTHER


def member_title(term: Term, locale: str) -> str:
    """Return the member's title in the message's language."""
    titles = TITLES.get(locale, TITLES["en"])
    if term.chamber is Chamber.SENATE:
        return titles["senate"]
    return titles["delegate"] if term.state in DELEGATE_STATES else titles["house"]


def template_for(demand: Demand, audience: Audience, locale: str) -> MessageTemplate | None:
    """Return the demand's template for an audience, in the locale or else in English."""
    by_locale = {t.locale: t for t in demand.templates if t.audience is audience}
    return by_locale.get(locale) or by_locale.get("en")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known {placeholders}; anything else is left as typed."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def render_for_member(demand: Demand, person: Person, term: Term, status: SigningStatus, locale: str,
                      first_name: str = "", last_name: str = "", city: str = "") -> RenderedMessage | None:
    """Render the message a constituent would send this member."""
    template = template_for(demand, audience_for(status), locale)
    if template is None:
        return None
    values = {
        "member_title": member_title(term, locale),
        "member_name": person.display_name,
        "first_name": first_name,
        "last_name": last_name,
        "city": city,
        "demand_title": demand.text("title", locale),
    }
    return RenderedMessage(fill(template.subject, values), fill(template.body, values), fill(template.sms_body, values))


def compose_letter(body: str, personal_note: str, *, member_title_text: str, member_name: str,
                   first_name: str, last_name: str, city: str, locale: str) -> str:
    """Wrap a message body in a greeting and signature in the message's language."""
    from flask_babel import force_locale, gettext

    with force_locale(locale):
        greeting = gettext("Dear %(title)s %(name)s,", title=member_title_text, name=member_name)
        closing = gettext("Sincerely,")
    parts = [greeting, body.strip()]
    if personal_note.strip():
        parts.append(personal_note.strip())
    parts.append(f"{closing}\n{first_name} {last_name}\n{city}".strip())
    return "\n\n".join(parts)
