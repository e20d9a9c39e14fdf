"""Forms of the public pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import Length, Optional


class LookupForm(FlaskForm):
    zip_code = StringField(_l("ZIP code"), validators=[Optional(), Length(max=10)],
                           render_kw={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": 10})
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "street-address", "maxlength": 200})
    seat = RadioField(_l("Your district"), validators=[Optional()], validate_choice=False)
    # Set when the form comes back for a split ZIP, so the page knows which step it is on.
    step = HiddenField()

    # Which field a lookup error belongs next to.
    ERROR_FIELDS = {
        "invalid_zip": "zip_code",
        "missing_query": "zip_code",
        # A district outside the ZIP's candidates only comes from a tampered or stale form: the choices are
        # gone by then, so the message goes where the person can act on it.
        "invalid_district": "zip_code",
    }

    def field_for_error(self, code: str, had_address: bool):
        """Return the field an error code should be shown next to."""
        name = self.ERROR_FIELDS.get(code) or ("address" if had_address else "zip_code")
        return getattr(self, name)
