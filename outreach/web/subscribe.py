"""Joining and leaving SMS alerts on the web: /subscribe and /unsubscribe.

Neither page says whether a number was subscribed before: both answer the same either way, so they cannot be
used to find out who gets our texts. Phone numbers travel only in POST bodies, never in URLs or logs.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from outreach.congress.lookup import LookupFailed, normalize_zip
from outreach.sms.subscriptions import Place, place_for_zip, subscribe_from_web, unsubscribe_from_web, web_disclosure
from outreach.web.antibot import ProtectedForm
from outreach.web.limits import check_sender_limits
from outreach.web.validators import us_mobile_e164

bp = Blueprint("subscribe", __name__)

# Each language named in itself, as language pickers do.
LANGUAGES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]
LANGUAGE_CODES = frozenset(choice.value for choice in LANGUAGES)
# Per-address limits on these POSTs are set for the whole blueprint in outreach/web/limits.py.


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PhoneForm(ProtectedForm):
    phone = TelField(_l("Mobile phone number"), validators=[Length(max=30)], filters=[_strip],
                     render_kw={"maxlength": 30, "autocomplete": "tel", "inputmode": "tel"})
    phone_e164 = ""

    def validate_phone(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Enter your mobile phone number."))
        self.phone_e164 = us_mobile_e164(field.data)


class SubscribeForm(PhoneForm):
    zip_code = StringField(_l("ZIP code (optional)"), validators=[Optional(), Length(max=10)], filters=[_strip],
                           render_kw={"maxlength": 10, "autocomplete": "postal-code", "inputmode": "numeric"})
    language = RadioField(_l("Language of the texts"), choices=LANGUAGES, default="en")
    consent = BooleanField()
    place: Place | None = None

    def validate_zip_code(self, field) -> None:
        if not field.data:
            return
        try:
            zip5 = normalize_zip(field.data)
        except LookupFailed as exc:
            raise ValidationError(exc.message) from None
        self.place = place_for_zip(zip5)
        if self.place is None:
            raise ValidationError(_l("We could not find ZIP code %(zip)s. Check it and try again.", zip=zip5))

    def validate_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Check the box to agree to get our texts."))


def _locale() -> str:
    return str(get_locale() or "en")


@bp.route("/subscribe", methods=["GET", "POST"])
def subscribe():
    form = SubscribeForm()
    if not form.is_submitted():
        form.language.data = _locale() if _locale() in LANGUAGE_CODES else "en"
    # Shown beside the box and stored as it was shown: the page's language, this deployment's name.
    disclosure = web_disclosure()
    if form.validate_on_submit():
        refusal = check_sender_limits(form.phone_e164, None)
        if refusal is None:
            subscribe_from_web(form.phone_e164, form.language.data, form.place, disclosure)
            return redirect(url_for(".subscribed"), 303)
        form.phone.errors = [*form.phone.errors, refusal.message]
    return _private(render_template("public/subscribe.html", form=form, disclosure=disclosure))


@bp.get("/subscribe/done")
def subscribed():
    return render_template("public/subscribe_done.html")


@bp.route("/unsubscribe", methods=["GET", "POST"])
def unsubscribe():
    form = PhoneForm()
    if form.validate_on_submit():
        unsubscribe_from_web(form.phone_e164)
        return redirect(url_for(".unsubscribed"), 303)
    return _private(render_template("public/unsubscribe.html", form=form))


@bp.get("/unsubscribe/done")
def unsubscribed():
    return render_template("public/unsubscribe_done.html")


def _private(body: str):
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response
