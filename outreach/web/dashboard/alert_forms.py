"""Forms of the alert composer and its buttons (English-only, like the dashboard)."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from outreach.campaigns.signing import SigningStatus
from outreach.delivery.quiet_hours import STATE_ZONES
from outreach.models import Alert, Campaign, SegmentKind
from outreach.sms.alerts import AlertInput
from outreach.sms.audience import Segment
from outreach.web.dashboard.times import from_org_local, to_org_local

SEGMENT_CHOICES = [
    SelectChoice(SegmentKind.EVERYONE.value, "Everyone subscribed"),
    SelectChoice(SegmentKind.STATE.value, "One state"),
    SelectChoice(SegmentKind.DISTRICT.value, "One congressional district"),
    SelectChoice(SegmentKind.SIGNING_STATUS.value, "By their Representative's signing status"),
]
STATUS_CHOICES = [
    SelectChoice(SigningStatus.SIGNED.value, "Signed the letter"),
    SelectChoice(SigningStatus.NOT_LISTED.value, "Not on the signer list"),
    SelectChoice(SigningStatus.NOT_ELIGIBLE.value, "Not eligible (other chamber)"),
    SelectChoice(SigningStatus.NOT_IN_OFFICE.value, "Not in office on the letter's date"),
]


# The first is how a value is written back into the box: browsers take only "2030-01-15T09:00" (WTForms' default
# writes a space, which a browser shows as an empty box, so saving a draft again lost its times).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AlertForm(FlaskForm):
    name = StringField("Name (for organizers only)", validators=[DataRequired(), Length(max=200)])
    body_en = TextAreaField("Text in English", validators=[DataRequired(), Length(max=1600)], render_kw={"rows": 4})
    body_es = TextAreaField("Text in Spanish (optional; Spanish speakers get English without it)",
                            validators=[Optional(), Length(max=1600)], render_kw={"rows": 4})
    link = SelectField("Link to an action page", choices=[], validate_choice=False)
    segment_kind = SelectField("Send to", choices=SEGMENT_CHOICES, default=SegmentKind.EVERYONE.value)
    segment_state = SelectField("State", choices=[SelectChoice("", "—")] + [SelectChoice(s, s) for s in sorted(STATE_ZONES)],
                                validators=[Optional()])
    segment_district = IntegerField("District (0 for at-large)", validators=[Optional(), NumberRange(min=0, max=60)])
    segment_campaign = SelectField("Campaign (for signing status)", choices=[], validate_choice=False)
    segment_statuses = MultiCheckboxField("Their Representative", choices=STATUS_CHOICES)
    send_at = DateTimeLocalField("Send at (empty: when you press Send)", format=LOCAL_FORMATS,
                                 validators=[Optional()])
    expires_at = DateTimeLocalField("Expires at (empty: 24 hours after sending)", format=LOCAL_FORMATS,
                                    validators=[Optional()])
    count = SubmitField("Count recipients")
    check = SubmitField("Preview")
    save = SubmitField("Save draft")

    def set_choices(self, campaigns: list[Campaign]) -> None:
        """Offer the campaigns and their demands as link targets and signing-status segments."""
        self.link.choices = [SelectChoice("", "No link")] + [
            SelectChoice(f"{c.id}:{d.id}", f"{c.title} — {d.title}") for c in campaigns for d in c.demands] + [
            SelectChoice(f"{c.id}:", f"{c.title} (campaign page)") for c in campaigns]
        self.segment_campaign.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.title)
                                                                    for c in campaigns]

    def link_ids(self) -> tuple[int | None, int | None]:
        """Return (campaign id, demand id) of the chosen link."""
        campaign, _, demand = (self.link.data or "").partition(":")
        return (int(campaign) if campaign.isdigit() else None, int(demand) if demand.isdigit() else None)

    def segment(self) -> Segment:
        """Return the chosen segment."""
        kind = SegmentKind(self.segment_kind.data or SegmentKind.EVERYONE.value)
        campaign = self.segment_campaign.data
        return Segment(kind, state=self.segment_state.data or None, district=self.segment_district.data,
                       campaign_id=int(campaign) if campaign and campaign.isdigit() else None,
                       statuses=tuple(self.segment_statuses.data or ()))

    def bodies(self) -> dict[str, str]:
        """Return the texts by language."""
        return {"en": self.body_en.data or "", "es": self.body_es.data or ""}

    def values(self) -> AlertInput:
        """Return the service's view of the form."""
        campaign_id, demand_id = self.link_ids()
        return AlertInput(name=self.name.data or "", bodies=self.bodies(), segment=self.segment(),
                          campaign_id=campaign_id, demand_id=demand_id, send_at=from_org_local(self.send_at.data),
                          expires_at=from_org_local(self.expires_at.data))

    def fill_from(self, alert: Alert) -> None:
        """Show an alert's stored values."""
        self.name.data = alert.name
        self.body_en.data = alert.bodies.get("en", "")
        self.body_es.data = alert.bodies.get("es", "")
        self.link.data = f"{alert.campaign_id}:{alert.demand_id or ''}" if alert.campaign_id else ""
        self.segment_kind.data = alert.segment_kind.value
        self.segment_state.data = alert.segment_state or ""
        self.segment_district.data = alert.segment_district
        self.segment_campaign.data = str(alert.segment_campaign_id or "")
        self.segment_statuses.data = list(alert.segment_statuses or [])
        self.send_at.data = to_org_local(alert.send_at)
        self.expires_at.data = to_org_local(alert.expires_at)


class SendForm(FlaskForm):
    """Send now, or at a time."""

    send_at = DateTimeLocalField("Or schedule for", format=LOCAL_FORMATS, validators=[Optional()])
    send = SubmitField("Send")

    def when(self) -> datetime | None:
        return from_org_local(self.send_at.data)


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (test send, pause, resume, cancel)."""
