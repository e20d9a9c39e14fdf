"""Validators shared by the public forms."""

from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Numbers with the +1 country code that Outreach texts: the states and the territories.
US_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})


def us_mobile_e164(raw: str) -> str:
    """Return a U.S. number in E.164, or raise a ValidationError that says what to type."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Enter a phone number like 312-555-0123."))
    if phonenumbers.region_code_for_number(number) not in US_REGIONS:
        raise ValidationError(_l("We can only text U.S. phone numbers. Enter a U.S. mobile number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
