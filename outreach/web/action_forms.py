"""The write form and the small helpers the action views share: seats, consent wording, status rows, share links."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from babel.lists import format_list
from email_validator import EmailNotValidError
from email_validator import validate_email as check_email
from flask import current_app, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from outreach.actions.services import ActionRejected, ActionSubmission, Draft
from outreach.campaigns.messages import audience_for
from outreach.congress.lookup import SEAT_PATTERN, LookupFailed, normalize_zip
from outreach.extensions import db
from outreach.models import Action, Audience, Campaign, Delivery, DeliveryKind, DeliveryState, Demand, Term, ZipDistrict
from outreach.web.antibot import ProtectedForm
from outreach.web.validators import us_mobile_e164

MAX_NOTE = 1000
MAX_BODY = 5000
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
BODY_FIELDS = {Audience.SIGNER: "body_signer", Audience.OTHER: "body_other"}
# Values go to the offices as typed (CWC wants English prefixes); only the labels are translated.
PREFIXES = [SelectChoice("", _l("(none)")), SelectChoice("Mr.", _l("Mr.")), SelectChoice("Mrs.", _l("Mrs.")),
            SelectChoice("Miss", _l("Miss")), SelectChoice("Ms.", _l("Ms.")), SelectChoice("Dr.", _l("Dr."))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_newline_style(value):
    # Browsers send CRLF; count and store a line break as one character.
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def length(maximum: int) -> Length:
    """Return a Length validator with a message people understand."""
    return Length(max=maximum, message=_l("Use %(max)d characters or fewer."))


def single_line(form, field) -> None:
    """Refuse line breaks and control characters: these values go into email headers and CWC XML."""
    if field.data and any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in field.data):
        raise ValidationError(_l("Write this on one line, without special characters."))


def plain_text(form, field) -> None:
    """Allow line breaks and tabs in a message, but no other control characters (PostgreSQL refuses NUL)."""
    if field.data and any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in field.data):
        raise ValidationError(_l("Remove the special characters from this text."))


def _text(label, maximum: int, autocomplete: str, **render_kw):
    return StringField(label, validators=[Optional(), length(maximum), single_line], filters=[_strip],
                       render_kw={"maxlength": maximum, "autocomplete": autocomplete, **render_kw})


def _message(label, maximum: int, rows: int):
    return TextAreaField(label, validators=[Optional(), length(maximum), plain_text],
                         filters=[_one_newline_style, _strip], render_kw={"maxlength": maximum, "rows": rows})


REQUIRED = {
    "first_name": _l("Enter your first name."),
    "last_name": _l("Enter your last name."),
    "email": _l("Enter your email address."),
    "street": _l("Enter your street address."),
    "city": _l("Enter your city."),
    "zip_code": _l("Enter your ZIP code."),
    "phone": _l("Enter your mobile phone number."),
}
OFFICE_FIELDS = ("first_name", "last_name", "email", "street", "city", "zip_code")
SCRIPT_FIELDS = ("first_name", "phone", "zip_code")


class WriteForm(ProtectedForm):
    form_token = HiddenField(filters=[_strip])
    seat = HiddenField(validators=[length(6)])
    members = SelectMultipleField(_l("Who gets your message"), choices=[])
    body_signer = _message(_l("Your message"), MAX_BODY, 9)
    body_other = _message(_l("Your message"), MAX_BODY, 9)
    personal_note = _message(_l("Why this matters to you"), MAX_NOTE, 5)
    prefix = SelectField(_l("Title (optional)"), choices=PREFIXES, default="",
                         render_kw={"autocomplete": "honorific-prefix"})
    first_name = _text(_l("First name"), 80, "given-name")
    last_name = _text(_l("Last name"), 80, "family-name")
    email = EmailField(_l("Email"), validators=[Optional(), length(254), single_line], filters=[_strip],
                       render_kw={"maxlength": 254, "autocomplete": "email"})
    street = _text(_l("Street address"), 200, "street-address")
    city = _text(_l("City"), 80, "address-level2")
    zip_code = _text(_l("ZIP code"), 10, "postal-code", inputmode="numeric")
    phone = TelField(_l("Mobile phone (optional)"), validators=[Optional(), length(30), single_line], filters=[_strip],
                     render_kw={"maxlength": 30, "autocomplete": "tel"})
    send_to_offices = BooleanField(_l("Send my message to their offices"), default=True)
    text_me_script = BooleanField(_l("Text me the script and phone numbers, so I can call them"))
    sms_opt_in = BooleanField(default=False)

    # Set by prepare_form: the confirmed state and which message versions this district needs.
    state: str = ""
    audiences: tuple[Audience, ...] = ()
    phone_e164: str = ""

    def validate_email(self, field) -> None:
        if not field.data:
            return
        try:
            field.data = check_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(_l("Enter an email address like name@example.com.")) from None

    def validate_phone(self, field) -> None:
        if not field.data:
            return
        self.phone_e164 = us_mobile_e164(field.data)

    def validate_zip_code(self, field) -> None:
        if not field.data:
            return
        try:
            zip5 = normalize_zip(field.data)
        except LookupFailed as exc:
            raise ValidationError(exc.message) from None
        states = set(db.session.scalars(select(ZipDistrict.state).where(ZipDistrict.zcta == zip5)))
        if self.state not in states:
            raise ValidationError(_l("ZIP code %(zip)s is not in %(state)s, where these members serve. Check it, "
                                     "or look up your members again.", zip=zip5, state=self.state))
        digits = re.sub(r"\D", "", field.data)
        field.data = f"{zip5}-{digits[5:]}" if len(digits) == 9 else zip5

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._validate_choices() and valid

    def _validate_choices(self) -> bool:
        """Apply the rules that depend on what the person chose to do."""
        added = False
        if not (self.send_to_offices.data or self.text_me_script.data):
            added = _add_error(self.send_to_offices, _l(
                "Choose at least one: send your message to their offices, or get a text with the script."))
        if not self.members.data:
            added = _add_error(self.members, _l("Choose at least one of your members of Congress.")) or added
        needed = set()
        if self.send_to_offices.data:
            needed.update(OFFICE_FIELDS)
        if self.text_me_script.data:
            needed.update(SCRIPT_FIELDS)
        if self.sms_opt_in.data:
            needed.add("phone")
        for name in needed:
            field = getattr(self, name)
            if not field.data and not field.errors:
                added = _add_error(field, REQUIRED[name]) or added
        if self.send_to_offices.data:
            for audience in self.audiences:
                field = getattr(self, BODY_FIELDS[audience])
                if not field.data and not field.errors:
                    added = _add_error(field, _l("Write your message, or keep the one we suggested.")) or added
        return not added

    def reject(self, exc: ActionRejected) -> None:
        """Show a refusal from the service next to the field it names."""
        _add_error(getattr(self, exc.field, None) or self.send_to_offices, exc.message)

    def submission(self, campaign: Campaign, demand: Demand, state: str, district: int,
                   locale: str) -> ActionSubmission:
        """Return what the service needs, from a validated form."""
        bodies = {a: getattr(self, BODY_FIELDS[a]).data for a in self.audiences}
        return ActionSubmission(
            form_token=self.form_token.data, campaign=campaign, demand=demand, locale=locale, state=state,
            district=district, member_ids=list(self.members.data), send_to_offices=self.send_to_offices.data,
            text_me_script=self.text_me_script.data, first_name=self.first_name.data or "",
            last_name=self.last_name.data or "", prefix=self.prefix.data or "", email=self.email.data or "",
            street=self.street.data or "", city=self.city.data or "", zip_code=self.zip_code.data or "",
            phone=self.phone_e164, personal_note=self.personal_note.data or "", message_bodies=bodies,
            sms_opt_in=self.sms_opt_in.data, sms_consent_text=sms_consent_text() if self.sms_opt_in.data else None)


def _add_error(field, message) -> bool:
    field.errors = [*field.errors, message]
    return True


def parse_seat(value: str | None) -> tuple[str, int] | None:
    """Return (state, district) for a seat like "IL-9" that exists in the ZIP table, else None."""
    match = SEAT_PATTERN.match(value or "")
    if not match:
        return None
    state, district = match.group(1), int(match.group(2))
    known = db.session.scalar(select(ZipDistrict.zcta).where(ZipDistrict.state == state,
                                                             ZipDistrict.district == district).limit(1))
    return (state, district) if known else None


def is_first_visit(formdata) -> bool:
    """The lookup page's "Write to them" button posts no form token; the write form always does."""
    return "form_token" not in formdata


def valid_token(value: str | None) -> bool:
    """Return whether a posted form token has the shape new_form(...) gives it."""
    return bool(TOKEN_PATTERN.match(value or ""))


def new_form(draft: Draft, seat: str, zip_code: str) -> WriteForm:
    """Return the form as first shown: a fresh one-time token, every member checked, the suggested messages."""
    bodies = {BODY_FIELDS[a]: text for a, text in draft.bodies.items()}
    return WriteForm(formdata=None, form_token=secrets.token_urlsafe(24), seat=seat, zip_code=zip_code[:10],
                     members=[m.bioguide_id for m in draft.members], **bodies)


def prepare_form(form: WriteForm, draft: Draft, state: str) -> WriteForm:
    """Fit the form to the district: member choices, which message versions, and labels that say who gets which."""
    form.members.choices = [SelectChoice(m.bioguide_id, m.person.display_name) for m in draft.members]
    form.state = state
    form.audiences = tuple(a for a in (Audience.SIGNER, Audience.OTHER) if a in draft.bodies)
    for audience in form.audiences:
        names = [m.person.display_name for m in draft.members
                 if audience_for(draft.statuses[m.bioguide_id]) is audience]
        listed = format_list(names, locale=str(get_locale() or "en"))
        getattr(form, BODY_FIELDS[audience]).label.text = (
            gettext("Message to %(names)s: thanks for signing, and a request to keep pushing", names=listed)
            if audience is Audience.SIGNER else
            gettext("Message to %(names)s: a request to publicly support this demand", names=listed))
    return form


def sms_consent_text() -> str:
    """Return the SMS alerts consent, worded as shown beside the box; the action stores exactly this text."""
    return gettext("Yes, text me recurring action alerts from %(program)s, about 4 msgs/month. Msg & data rates "
                   "may apply. Reply HELP for help, STOP to cancel. Consent is not a condition of any purchase, "
                   "of sending your message, or of anything else.", program=current_app.config["ORG_NAME"])


# --- the status page ---------------------------------------------------------------------------

HEADINGS = {
    DeliveryKind.RECEIPT: _l("Your receipt, by email"),
    DeliveryKind.SCRIPT_SMS: _l("Your call script, by text message"),
}
STATE_WORDS = {
    DeliveryState.PENDING: _l("Waiting to be sent"),
    DeliveryState.SENDING: _l("Being sent"),
    DeliveryState.SENT: _l("Sent"),
    DeliveryState.DELIVERED: _l("Delivered"),
    DeliveryState.FAILED: _l("Could not be sent"),
    DeliveryState.UNKNOWN: _l("Being checked: we make sure it goes out once, never twice"),
    DeliveryState.HANDOFF: _l("Ready for you to send: this office takes messages through its own contact form"),
    DeliveryState.SKIPPED: _l("Not sent"),
}


@dataclass(frozen=True)
class StatusRow:
    delivery: Delivery
    heading: str
    status: str
    contact_url: str | None = None
    phone: str | None = None
    tel: str | None = None

    @property
    def handoff(self) -> bool:
        return self.delivery.state is DeliveryState.HANDOFF


def status_rows(action: Action) -> list[StatusRow]:
    """Describe each message of an action in plain words, with the office's contacts for hand-offs."""
    offices = [d.recipient_key for d in action.deliveries if d.kind is DeliveryKind.OFFICE_MESSAGE]
    terms = {t.bioguide_id: t for t in db.session.scalars(
        select(Term).where(Term.bioguide_id.in_(offices), Term.is_current))} if offices else {}
    rows = []
    for delivery in action.deliveries:
        heading = HEADINGS.get(delivery.kind) or gettext("Your message to %(name)s", name=delivery.recipient_name)
        term = terms.get(delivery.recipient_key)
        rows.append(StatusRow(delivery, heading, STATE_WORDS[delivery.state],
                              contact_url=term.contact_url if term else None,
                              phone=term.phone if term else None,
                              tel=tel_href(term.phone) if term else None))
    return rows


def tel_href(phone: str | None) -> str | None:
    """Return a tap-to-call link for a U.S. office phone like 202-225-2111."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 10:
        return f"tel:+1{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"tel:+{digits}"
    return None


@dataclass(frozen=True)
class ShareLinks:
    page: str
    sms: str
    mailto: str


def share_links(campaign: Campaign, demand: Demand, locale: str) -> ShareLinks:
    """Return links inviting others to the action page; they carry nothing about the person who shares."""
    extra = {"lang": locale} if locale != "en" else {}
    page = url_for("public.demand", slug=campaign.slug, demand_slug=demand.slug, _external=True, **extra)
    invitation = gettext("I just wrote to my members of Congress: %(demand)s. You can too, in two minutes:",
                         demand=demand.text("title", locale))
    subject = gettext("Will you write to Congress with me?")
    body = f"{invitation} {page}"
    return ShareLinks(page=page, sms="sms:?&body=" + quote(body, safe=""),
                      mailto=f"mailto:?subject={quote(subject, safe='')}&body={quote(body, safe='')}")
