"""Forms of the campaign builder and the signer import (English-only, like the dashboard)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from outreach.campaigns.builder import CampaignFields, DemandFields, TemplateFields
from outreach.models import Chamber

_SLUG_HINT = {"autocapitalize": "none", "spellcheck": "false", "maxlength": 80, "pattern": "[a-z0-9]+(-[a-z0-9]+)*"}


class CampaignForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    slug = StringField("Slug (the address: /c/<slug>)", validators=[DataRequired(), Length(max=80)],
                       render_kw=_SLUG_HINT)
    summary = TextAreaField("Summary (one or two sentences on the public pages)", validators=[Length(max=2000)])
    title_es = StringField("Title in Spanish", validators=[Optional(), Length(max=300)])
    summary_es = TextAreaField("Summary in Spanish", validators=[Optional(), Length(max=2000)])
    letter_date = DateField("Date of the letter", validators=[DataRequired()])
    recipient = StringField("Sent to", validators=[DataRequired(), Length(max=300)])
    eligible_chamber = SelectField("Who could sign", choices=[SelectChoice("house", "House"), SelectChoice("senate", "Senate")],
                                   validators=[DataRequired()])
    body = TextAreaField("Letter text (Markdown)", validators=[Length(max=100_000)], render_kw={"rows": 12})
    source_url = URLField("Link to the letter", validators=[Optional(), Length(max=500)])
    signers_complete = BooleanField("The signer list is complete (members not on it did not sign)")
    reported_signer_count = IntegerField("Number of signers reported", validators=[Optional(), NumberRange(min=0)])
    sender_name = StringField("Sender name (From of email receipts)", validators=[Optional(), Length(max=120)])
    sender_email = EmailField("Sender email", validators=[Optional(), Length(max=254)])

    def values(self) -> CampaignFields:
        """Return the builder's view of the form."""
        return CampaignFields(
            title=self.title.data or "", slug=self.slug.data or "", letter_date=self.letter_date.data,
            recipient=self.recipient.data or "", eligible_chamber=Chamber(self.eligible_chamber.data),
            body=self.body.data or "", summary=self.summary.data or "", sender_name=self.sender_name.data or "",
            sender_email=self.sender_email.data or "", signers_complete=bool(self.signers_complete.data),
            reported_signer_count=self.reported_signer_count.data, source_url=self.source_url.data or "",
            translations={"es": {"title": self.title_es.data or "", "summary": self.summary_es.data or ""}})

    def fill_from(self, campaign) -> None:
        """Show a campaign's current values."""
        letter = campaign.letter
        es = (campaign.translations or {}).get("es", {})
        self.title.data, self.slug.data, self.summary.data = campaign.title, campaign.slug, campaign.summary
        self.title_es.data, self.summary_es.data = es.get("title", ""), es.get("summary", "")
        self.letter_date.data, self.recipient.data = letter.letter_date, letter.recipient
        self.eligible_chamber.data, self.body.data = letter.eligible_chamber.value, letter.body
        self.source_url.data, self.signers_complete.data = letter.source_url or "", letter.signers_complete
        self.reported_signer_count.data = letter.reported_signer_count
        self.sender_name.data, self.sender_email.data = campaign.sender_name, campaign.sender_email


class DemandForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    slug = StringField("Slug (the action page: /c/<campaign>/<slug>)", validators=[DataRequired(), Length(max=80)],
                       render_kw=_SLUG_HINT)
    explanation = TextAreaField("What it is and why it matters", validators=[Length(max=5000)])
    ask = TextAreaField("What we ask the members to do", validators=[Length(max=2000)])
    title_es = StringField("Title in Spanish", validators=[Optional(), Length(max=300)])
    explanation_es = TextAreaField("Explanation in Spanish", validators=[Optional(), Length(max=5000)])
    ask_es = TextAreaField("Ask in Spanish", validators=[Optional(), Length(max=2000)])

    def values(self) -> DemandFields:
        return DemandFields(
            title=self.title.data or "", slug=self.slug.data or "", explanation=self.explanation.data or "",
            ask=self.ask.data or "",
            translations={"es": {"title": self.title_es.data or "", "explanation": self.explanation_es.data or "",
                                 "ask": self.ask_es.data or ""}})

    def fill_from(self, demand) -> None:
        es = (demand.translations or {}).get("es", {})
        self.title.data, self.slug.data = demand.title, demand.slug
        self.explanation.data, self.ask.data = demand.explanation, demand.ask
        self.title_es.data, self.explanation_es.data = es.get("title", ""), es.get("explanation", "")
        self.ask_es.data = es.get("ask", "")


class TemplateForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=10_000)], render_kw={"rows": 10})
    sms_body = TextAreaField("Text-message version (call script)", validators=[DataRequired(), Length(max=1000)],
                             render_kw={"rows": 3})
    preview_member = SelectField("Preview for", validators=[Optional()], validate_choice=False)

    def values(self) -> TemplateFields:
        return TemplateFields(self.subject.data or "", self.body.data or "", self.sms_body.data or "")


class TargetForm(FlaskForm):
    title = StringField("Title (used in the greeting, e.g. Secretary)", validators=[Optional(), Length(max=120)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class SignerImportForm(FlaskForm):
    """First step: the names, pasted or as a file, and a source for rows without their own."""

    text = TextAreaField("Paste names or CSV", validators=[Optional(), Length(max=200_000)], render_kw={"rows": 10})
    upload = FileField("…or upload a CSV file")
    source = StringField("Source for rows without a source_url (a link to the letter or the press release)",
                         validators=[Optional(), Length(max=500)])


class SignerReviewForm(FlaskForm):
    """Second step: the same text again, and the organizer's choice per ambiguous or unmatched row."""

    text = TextAreaField(validators=[DataRequired(), Length(max=200_000)])
    source = StringField("Source for rows without a source_url", validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons: its only field is the CSRF token."""
