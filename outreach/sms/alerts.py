"""Action alerts: write one, count who it reaches, test it, send or schedule it, pause, resume, cancel, watch it.

Every public function here owns its transaction (commits, or rolls back and raises AlertError).

Sending is fan-out plus the outbox: fan-out writes one pending Delivery per subscriber in bulk, unique on
(alert, subscriber) with ON CONFLICT DO NOTHING, so running it twice, or in two workers at once, writes nothing
twice. The rules that depend on the moment of sending (pause, cancel, expiry, a STOP since fan-out, quiet hours,
three alerts a day) are applied by the outbox right before each text goes (`outbox._alert_gate`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from outreach.extensions import SUPPORTED_LOCALES, db
from outreach.models import (
    Alert,
    AlertStatus,
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Demand,
    Medium,
    Organizer,
    SegmentKind,
)
from outreach.models.base import as_utc, utcnow
from outreach.models.deliveries import new_delivery_key
from outreach.sms import is_gsm7, segments
from outreach.sms.audience import Segment, count, recipients

log = logging.getLogger(__name__)

LOCALES = ("en", "es")
FANOUT_CHUNK = 1000
EDITABLE = (AlertStatus.DRAFT, AlertStatus.SCHEDULED)
QUEUED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.UNKNOWN)


class AlertError(ValueError):
    """An alert cannot do what was asked (wrong status, no phone, an empty body…); the message says why."""


@dataclass
class AlertInput:
    name: str
    bodies: Mapping[str, str]
    segment: Segment = field(default_factory=Segment)
    campaign_id: int | None = None
    demand_id: int | None = None
    send_at: datetime | None = None      # None: when it is sent
    expires_at: datetime | None = None   # None: ALERT_DEFAULT_EXPIRY_HOURS after the send time


@dataclass(frozen=True)
class Preview:
    locale: str
    text: str
    characters: int
    segments: int
    encoding: str  # "GSM-7" or "UCS-2"


@dataclass(frozen=True)
class Progress:
    queued: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    total: int
    status: str

    @property
    def done(self) -> int:
        return self.total - self.queued

    @property
    def percent(self) -> int:
        """Return the share of texts that are no longer waiting, 0–100 (100 for an alert with no texts)."""
        return 100 if self.total == 0 else int(self.done * 100 // self.total)

    def as_dict(self) -> dict:
        return {"queued": self.queued, "sent": self.sent, "delivered": self.delivered, "failed": self.failed,
                "skipped": self.skipped, "total": self.total, "percent": self.percent, "status": self.status}


# --- wording -----------------------------------------------------------------------------------

def stop_footer(locale: str) -> str:
    """Return the opt-out line every alert carries, in the subscriber's language."""
    with force_locale(locale):
        return gettext("Reply STOP to stop")


def action_link(campaign_id: int | None, demand_id: int | None) -> str | None:
    """Return the absolute URL of the action page an alert links to, from PUBLIC_BASE_URL."""
    if campaign_id is None:
        return None
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    adapter = current_app.url_map.bind("localhost")
    demand = db.session.get(Demand, demand_id) if demand_id is not None else None
    if demand is not None and demand.campaign_id == campaign.id:
        path = adapter.build("public.demand", {"slug": campaign.slug, "demand_slug": demand.slug})
    else:
        path = adapter.build("public.campaign", {"slug": campaign.slug})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def compose(bodies: Mapping[str, str], locale: str, link: str | None) -> str:
    """Return the text one subscriber gets: their language (else English), the link, and the STOP line."""
    body = (bodies.get(locale) or "").strip() or (bodies.get("en") or "").strip()
    if not body:
        return ""
    if link and link not in body:
        body = f"{body} {link}"
    if "STOP" not in body.upper():
        # The footer's language follows the body's: an English fallback gets the English footer.
        footer_locale = locale if (bodies.get(locale) or "").strip() else "en"
        body = f"{body}\n{stop_footer(footer_locale)}"
    return body


def preview(bodies: Mapping[str, str], link: str | None) -> list[Preview]:
    """Return, per language, the final text with its length and SMS segment count (GSM-7 or UCS-2)."""
    result = []
    for locale in LOCALES:
        if not (bodies.get(locale) or "").strip():
            continue
        text = compose(bodies, locale, link)
        result.append(Preview(locale, text, len(text), segments(text), "GSM-7" if is_gsm7(text) else "UCS-2"))
    return result


# --- writing -----------------------------------------------------------------------------------

def _validated(data: AlertInput, now: datetime) -> AlertInput:
    if not data.name.strip():
        raise AlertError("Give the alert a name.")
    if not (data.bodies.get("en") or "").strip():
        raise AlertError("Write the English text: it is what subscribers without a translation get.")
    seg = data.segment
    if seg.kind in (SegmentKind.STATE, SegmentKind.DISTRICT) and not seg.state:
        raise AlertError("Choose a state.")
    if seg.kind is SegmentKind.DISTRICT and seg.district is None:
        raise AlertError("Choose a district.")
    if seg.kind is SegmentKind.SIGNING_STATUS and not (seg.campaign_id and seg.statuses):
        raise AlertError("Choose a campaign and at least one signing status.")
    if data.expires_at is not None and data.send_at is not None and as_utc(data.expires_at) <= as_utc(data.send_at):
        raise AlertError("The expiry must be after the send time.")
    return data


def _apply(alert: Alert, data: AlertInput) -> None:
    alert.name = data.name.strip()[:200]
    alert.bodies = {locale: (data.bodies.get(locale) or "").strip() for locale in LOCALES
                    if (data.bodies.get(locale) or "").strip()}
    alert.campaign_id, alert.demand_id = data.campaign_id, data.demand_id
    seg = data.segment
    alert.segment_kind = seg.kind
    alert.segment_state = seg.state.upper() if seg.state and seg.kind is not SegmentKind.EVERYONE else None
    alert.segment_district = seg.district if seg.kind is SegmentKind.DISTRICT else None
    alert.segment_campaign_id = seg.campaign_id if seg.kind is SegmentKind.SIGNING_STATUS else None
    alert.segment_statuses = list(seg.statuses) if seg.kind is SegmentKind.SIGNING_STATUS else []
    alert.send_at = data.send_at
    alert.expires_at = data.expires_at


def create_alert(data: AlertInput, organizer_id: int | None) -> Alert:
    """Save a new draft alert and commit."""
    _validated(data, utcnow())
    alert = Alert(created_by_id=organizer_id, status=AlertStatus.DRAFT)
    _apply(alert, data)
    db.session.add(alert)
    db.session.commit()
    log.info("alert %s created", alert.id)
    return alert


def update_alert(alert_id: int, data: AlertInput) -> Alert:
    """Change a draft (or a scheduled alert not yet fanned out) and commit; a scheduled one goes back to draft."""
    alert = _locked(alert_id)
    if alert.status not in EDITABLE or alert.fanned_out_at is not None:
        db.session.rollback()
        raise AlertError("This alert is being sent or was sent; it can no longer be edited.")
    _validated(data, utcnow())
    _apply(alert, data)
    alert.status = AlertStatus.DRAFT  # a changed alert is sent again only when the organizer says so
    db.session.commit()
    return alert


def get_alert(alert_id: int) -> Alert | None:
    """Return one alert."""
    return db.session.get(Alert, alert_id)


def list_alerts() -> list[Alert]:
    """Return every alert, newest first."""
    return list(db.session.scalars(select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc())))


def recipient_count(segment: Segment) -> int:
    """Return how many subscribers a segment reaches now (active, not suppressed)."""
    result = count(segment)
    db.session.rollback()
    return result


def _locked(alert_id: int) -> Alert:
    alert = db.session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        db.session.rollback()
        raise AlertError("No such alert.")
    return alert


# --- test send ---------------------------------------------------------------------------------

def send_test(alert_id: int, organizer_id: int) -> Delivery:
    """Queue the alert's texts (each language) to the organizer's own phone and commit."""
    alert = db.session.get(Alert, alert_id)
    organizer = db.session.get(Organizer, organizer_id)
    if alert is None or organizer is None:
        db.session.rollback()
        raise AlertError("No such alert.")
    if not organizer.phone:
        db.session.rollback()
        raise AlertError("Add your own mobile number to your account to receive test sends.")
    link = action_link(alert.campaign_id, alert.demand_id)
    texts = [compose(alert.bodies, locale, link) for locale in LOCALES if alert.bodies.get(locale)]
    # alert_id stays empty: a test is not one of the alert's texts (no cap, no quiet hours, not in its progress).
    deliveries = [Delivery(organizer_id=organizer.id, medium=Medium.SMS, kind=DeliveryKind.ALERT_SMS,
                           recipient_key="organizer", recipient_name=organizer.name, body=f"[TEST] {text}")
                  for text in texts]
    db.session.add_all(deliveries)
    db.session.commit()
    log.info("alert %s: test send queued for organizer %s", alert_id, organizer_id)
    return deliveries[0]


# --- sending -----------------------------------------------------------------------------------

def send(alert_id: int, send_at: datetime | None = None, now: datetime | None = None) -> Alert:
    """Send an alert now (fan-out in this transaction) or schedule it for `send_at`; commit."""
    now = now or utcnow()
    alert = _locked(alert_id)
    if alert.status is not AlertStatus.DRAFT and not (alert.status is AlertStatus.SCHEDULED
                                                       and alert.fanned_out_at is None):
        db.session.rollback()
        raise AlertError("Only a draft or scheduled alert can be sent.")
    when = as_utc(send_at) if send_at is not None else (as_utc(alert.send_at) if alert.send_at else None)
    if when is None or when <= now:
        when = now
    expires = as_utc(alert.expires_at) if alert.expires_at else None
    if expires is None:
        expires = when + timedelta(hours=current_app.config["ALERT_DEFAULT_EXPIRY_HOURS"])
    if expires <= when:
        db.session.rollback()
        raise AlertError("The alert would expire before it is sent.")
    alert.send_at, alert.expires_at, alert.status = when, expires, AlertStatus.SCHEDULED
    if when <= now:
        _start(alert, now)
    db.session.commit()
    log.info("alert %s %s", alert.id, "sending" if alert.status is AlertStatus.SENDING else "scheduled")
    return alert


def _start(alert: Alert, now: datetime) -> int:
    """Fan out a scheduled alert inside the caller's transaction; return how many texts were written."""
    alert.status = AlertStatus.SENDING
    alert.fanned_out_at = now
    written = fan_out(alert)
    alert.recipient_count = db.session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.alert_id == alert.id))
    return written


def fan_out(alert: Alert) -> int:
    """Write one pending text per subscriber in the segment, in bulk; existing ones are left as they are.

    Works in the caller's transaction. Unique on (alert, subscriber): running it again writes nothing twice.
    """
    link = action_link(alert.campaign_id, alert.demand_id)
    bodies = {locale: compose(alert.bodies, locale, link) for locale in SUPPORTED_LOCALES}
    not_before = as_utc(alert.send_at) if alert.send_at else utcnow()
    rows = db.session.execute(recipients(Segment.of(alert))).all()
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Delivery).on_conflict_do_nothing(index_elements=["alert_id", "subscriber_id"])
    now = utcnow()
    written = 0
    for start in range(0, len(rows), FANOUT_CHUNK):
        chunk = [{"key": new_delivery_key(), "alert_id": alert.id, "subscriber_id": row.id,
                  "kind": DeliveryKind.ALERT_SMS, "medium": Medium.SMS, "recipient_key": f"subscriber:{row.id}",
                  "body": bodies.get(row.locale) or bodies["en"], "state": DeliveryState.PENDING,
                  "not_before": not_before, "attempts": 0, "created_at": now, "updated_at": now,
                  "recipient_name": "", "subject": ""}
                 for row in rows[start:start + FANOUT_CHUNK]]
        result = db.session.connection().execute(statement, chunk)
        written += max(result.rowcount, 0)
    log.info("alert %s fanned out: %s texts written", alert.id, written)
    return written


def fan_out_due(now: datetime | None = None) -> int:
    """Fan out every scheduled alert whose time has come, each exactly once across workers; return how many."""
    now = now or utcnow()
    due = db.session.scalars(select(Alert.id).where(Alert.status == AlertStatus.SCHEDULED,
                                                    Alert.send_at <= now)).all()
    db.session.rollback()
    started = 0
    for alert_id in due:
        # The status change is the claim: of two workers, the second finds it no longer scheduled (on
        # PostgreSQL it waits for the first's commit, then its WHERE no longer matches).
        claimed = db.session.execute(update(Alert).where(Alert.id == alert_id, Alert.status == AlertStatus.SCHEDULED)
                                     .values(status=AlertStatus.SENDING, fanned_out_at=now, updated_at=now))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        alert = db.session.get(Alert, alert_id)
        _start(alert, now)
        db.session.commit()
        started += 1
    return started


def pause(alert_id: int) -> Alert:
    """Hold an alert's unsent texts where they are until it is resumed; commit."""
    alert = _locked(alert_id)
    if alert.status not in (AlertStatus.SENDING, AlertStatus.SCHEDULED):
        db.session.rollback()
        raise AlertError("Only an alert that is scheduled or sending can be paused.")
    alert.status = AlertStatus.PAUSED
    db.session.commit()
    log.info("alert %s paused", alert_id)
    return alert


def resume(alert_id: int) -> Alert:
    """Let a paused alert's texts go again (its expiry still holds); commit."""
    alert = _locked(alert_id)
    if alert.status is not AlertStatus.PAUSED:
        db.session.rollback()
        raise AlertError("Only a paused alert can be resumed.")
    alert.status = AlertStatus.SENDING if alert.fanned_out_at is not None else AlertStatus.SCHEDULED
    db.session.commit()
    log.info("alert %s resumed", alert_id)
    return alert


def cancel(alert_id: int) -> int:
    """Stop an alert for good: every text not yet sent is skipped ("alert cancelled"); return how many."""
    alert = _locked(alert_id)
    if alert.status in (AlertStatus.DONE, AlertStatus.CANCELLED):
        db.session.rollback()
        raise AlertError("This alert has finished; there is nothing left to cancel.")
    alert.status = AlertStatus.CANCELLED
    now = utcnow()
    # Rows a worker holds right now (sending) are caught by the same check at send time, after this commits.
    result = db.session.execute(
        update(Delivery).where(Delivery.alert_id == alert_id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.SKIPPED, skip_reason="alert cancelled", finished_at=now, updated_at=now,
                lease_until=None))
    db.session.commit()
    log.info("alert %s cancelled: %s texts skipped", alert_id, result.rowcount)
    return result.rowcount


# --- progress ----------------------------------------------------------------------------------

def progress(alert_id: int) -> Progress:
    """Return how many of an alert's texts are queued, sent, delivered, failed and skipped."""
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise AlertError("No such alert.")
    counts = dict(db.session.execute(select(Delivery.state, func.count()).where(Delivery.alert_id == alert_id)
                                     .group_by(Delivery.state)).all())
    db.session.rollback()
    return Progress(queued=sum(counts.get(s, 0) for s in QUEUED_STATES), sent=counts.get(DeliveryState.SENT, 0),
                    delivered=counts.get(DeliveryState.DELIVERED, 0), failed=counts.get(DeliveryState.FAILED, 0),
                    skipped=counts.get(DeliveryState.SKIPPED, 0) + counts.get(DeliveryState.HANDOFF, 0),
                    total=sum(counts.values()), status=alert.status.value)


def finish_done() -> int:
    """Mark sending alerts with no text left in the queue as done; return how many."""
    waiting = (select(Delivery.id).where(Delivery.alert_id == Alert.id, Delivery.state.in_(QUEUED_STATES))
               .exists())
    result = db.session.execute(update(Alert).where(Alert.status == AlertStatus.SENDING, ~waiting)
                                .values(status=AlertStatus.DONE, updated_at=utcnow()))
    db.session.commit()
    return result.rowcount


__all__ = ["AlertError", "AlertInput", "Preview", "Progress", "action_link", "cancel", "compose",
           "create_alert", "fan_out", "fan_out_due", "finish_done", "get_alert", "list_alerts", "pause", "preview",
           "progress", "recipient_count", "resume", "send", "send_test", "stop_footer", "update_alert"]
