"""Forms of the organizer login, account and password pages (English-only, like the dashboard)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from outreach.models import OrganizerRole
from outreach.organizers.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from outreach.web.antibot import ProtectedForm
from outreach.web.validators import us_mobile_e164

_NEW_PASSWORD_LENGTH = Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                              message=f"Use at least {MIN_PASSWORD_LENGTH} characters.")
_EMAIL = {"autocomplete": "username", "maxlength": 254, "autocapitalize": "none", "spellcheck": "false"}


class LoginForm(ProtectedForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)],
                       render_kw=_EMAIL)
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class ForgotPasswordForm(ProtectedForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."), Length(max=254)],
                       render_kw=_EMAIL)


class SetPasswordForm(FlaskForm):
    """Choose a password through an emailed link (reset or invitation)."""

    password = PasswordField("New password", validators=[DataRequired(message="Choose a password."),
                                                         _NEW_PASSWORD_LENGTH],
                             render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH})
    confirm = PasswordField("Type it again", validators=[
        DataRequired(message="Type the password a second time."),
        EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired(message="Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", validators=[DataRequired(message="Choose a new password."),
                                                             _NEW_PASSWORD_LENGTH],
                                 render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH})
    confirm = PasswordField("Type it again", validators=[
        DataRequired(message="Type the new password a second time."),
        EqualTo("new_password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class PhoneForm(FlaskForm):
    phone = StringField("Your mobile number", validators=[Optional(), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 30})

    def validate_phone(self, field) -> None:
        if field.data and field.data.strip():
            field.data = us_mobile_e164(field.data)  # raises ValidationError with what to type
        else:
            field.data = None


class InviteForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter their name."), Length(max=120)],
                       render_kw={"maxlength": 120})
    email = EmailField("Email", validators=[DataRequired(message="Enter their email address."), Length(max=254)],
                       render_kw={"maxlength": 254, "autocapitalize": "none", "spellcheck": "false"})
    role = SelectField("Role", choices=[SelectChoice(OrganizerRole.ORGANIZER.value, "Organizer"),
                                        SelectChoice(OrganizerRole.ADMIN.value, "Admin (can manage organizers)")],
                       default=OrganizerRole.ORGANIZER.value)


class ConfirmForm(FlaskForm):
    """A button that changes something (disable, enable): CSRF only."""

