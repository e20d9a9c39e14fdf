"""Validators shared by the public forms, and the rule for which numbers Outreach may text."""

from __future__ import annotations

import phonenumbers
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Numbers with the +1 country code that Outreach texts: the states and the territories. The rest of +1 (Canada
# and the Caribbean countries) costs more per text and is where SMS pumping fraud sends traffic.
US_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})


def allowed_country_codes() -> list[str]:
    """Return the country calling codes texts may go to (SMS_ALLOWED_COUNTRY_CODES; the U.S. by default)."""
    codes = current_app.config.get("SMS_ALLOWED_COUNTRY_CODES") if has_app_context() else None
    return [str(code).lstrip("+") for code in (codes or ["1"])]


def sms_allowed(number: phonenumbers.PhoneNumber) -> bool:
    """Tell whether Outreach may text this number under the configured country codes."""
    if str(number.country_code) not in allowed_country_codes():
        return False
    return number.country_code != 1 or phonenumbers.region_code_for_number(number) in US_REGIONS


def sms_allowed_e164(phone: str) -> bool:
    """Tell whether Outreach may text a number given in E.164 (for instance the sender of an inbound text)."""
    try:
        return sms_allowed(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False


def us_mobile_e164(raw: str) -> str:
    """Return a number Outreach may text, in E.164, or raise a ValidationError that says what to type."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Enter a phone number like 312-555-0123."))
    if not sms_allowed(number):
        if allowed_country_codes() == ["1"]:
            raise ValidationError(_l("We can only text U.S. phone numbers. Enter a U.S. mobile number."))
        raise ValidationError(_l("We cannot text phone numbers in that country."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
