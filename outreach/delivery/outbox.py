"""The outbox: write deliveries, claim due ones, apply what providers say. Every function owns its commit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from outreach.delivery.channels.base import (
    Channel,
    Constituent,
    CwcEnvelope,
    Found,
    OutgoingMessage,
    Outcome,
    ProviderResult,
)
from outreach.delivery.ratelimit import send_slot
from outreach.delivery.states import FINAL, may_advance
from outreach.extensions import db
from outreach.models import (
    Action,
    Alert,
    AlertStatus,
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Demand,
    InboundMessage,
    Medium,
    Organizer,
    ProviderEvent,
    Subscriber,
    SubscriberStatus,
    Suppression,
    Target,
    WorkerHeartbeat,
)
from outreach.models.base import as_utc, utcnow
from outreach.models.deliveries import SENT_DESPITE_SUPPRESSION

log = logging.getLogger(__name__)


def record_status(delivery_key: str, new_state: DeliveryState, provider_id: str | None = None,
                  error: str | None = None) -> bool:
    """Move a delivery forward on a provider's report, never backwards; return whether it changed."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.key == delivery_key).with_for_update())
    if delivery is None or not may_advance(delivery.state, new_state):
        db.session.rollback()
        return False
    delivery.state = new_state
    if provider_id and not delivery.provider_id:
        delivery.provider_id = provider_id
    if error:
        delivery.last_error = error[:1000]
    if new_state in (DeliveryState.SENT, DeliveryState.DELIVERED) and delivery.sent_at is None:
        delivery.sent_at = utcnow()
    if new_state in FINAL:
        delivery.finished_at = utcnow()
    delivery.lease_until = None
    db.session.commit()
    log.info("delivery %s is %s (provider report)", delivery.id, new_state.value)
    return True


def normalized_address(medium: Medium, address: str) -> str:
    """Return the form addresses are compared in: emails lowercased, numbers as given (E.164)."""
    address = address.strip()
    return address.lower() if medium is Medium.EMAIL else address


def suppress(medium: Medium, address: str, reason: str) -> None:
    """Add an address or number to the suppression list (idempotent)."""
    address = normalized_address(medium, address)
    exists = db.session.scalar(select(Suppression.id).where(Suppression.medium == medium,
                                                            Suppression.address == address))
    if exists is None:
        db.session.add(Suppression(medium=medium, address=address, reason=reason))
        try:
            db.session.commit()
        except IntegrityError:  # another worker or webhook recorded it first
            db.session.rollback()


def is_suppressed(medium: Medium, address: str) -> bool:
    """Tell whether an address or number is on the suppression list."""
    address = normalized_address(medium, address)
    return db.session.scalar(select(Suppression.id).where(Suppression.medium == medium,
                                                          Suppression.address == address)) is not None


def already_seen(provider: str, event_id: str) -> bool:
    """Tell whether a webhook event was applied before (providers resend batches)."""
    return db.session.get(ProviderEvent, (provider, event_id)) is not None


def remember_event(provider: str, event_id: str) -> None:
    """Record that a webhook event was applied: called after its effects, so a crash in between means the
    provider's retry applies it again (each effect is idempotent) rather than skipping it as seen."""
    db.session.add(ProviderEvent(provider=provider, event_id=event_id))
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent copy of the same event got there first
        db.session.rollback()


# --- the worker's side: claim, send, settle ----------------------------------------------------

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Return how long to wait before the next attempt: the provider's word, else doubling from 15 s."""
    if retry_after is not None:
        return timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds()))
    return min(timedelta(seconds=15 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim_due(limit: int, now: datetime | None = None, lease: timedelta = timedelta(seconds=60)) -> list[int]:
    """Mark up to `limit` due pending deliveries as sending and commit; return their ids."""
    now = now or utcnow()
    # A paused alert's texts stay where they are: not claimed at all until it is resumed.
    paused = select(Alert.id).where(Alert.status == AlertStatus.PAUSED)
    query = (select(Delivery.id)
             .where(Delivery.state == DeliveryState.PENDING, Delivery.not_before <= now,
                    or_(Delivery.alert_id.is_(None), Delivery.alert_id.not_in(paused)))
             .order_by(Delivery.not_before, Delivery.id)
             .limit(limit))
    if db.engine.dialect.name == "postgresql":
        # Rows another worker is claiming are skipped, not waited for: any number of workers share the queue.
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for delivery_id in db.session.scalars(query).all():
        # The state guard keeps a claim exclusive on SQLite too, where there is no row locking.
        result = db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.SENDING, lease_until=now + lease, attempts=Delivery.attempts + 1,
                    updated_at=now))
        if result.rowcount == 1:
            claimed.append(delivery_id)
    db.session.commit()
    return claimed


def outgoing_message(delivery: Delivery, config) -> OutgoingMessage | None:
    """Build what a channel needs from the database; None when there is no one left to send to."""
    if delivery.organizer_id is not None:
        return _organizer_message(delivery, config)
    if delivery.subscriber_id is not None or delivery.inbound_message_id is not None:
        sender = (db.session.get(Subscriber, delivery.subscriber_id) if delivery.subscriber_id is not None
                  else db.session.get(InboundMessage, delivery.inbound_message_id))
        if sender is None:
            return None
        return OutgoingMessage(delivery_id=delivery.id, delivery_key=delivery.key, to=sender.phone,
                               body=delivery.body, created_at=delivery.created_at)
    action = delivery.action
    if action is None:
        return None
    reply_to = None
    if delivery.medium is Medium.CWC:
        to = delivery.office_code
    elif delivery.kind is DeliveryKind.TARGET_EMAIL:
        target = db.session.get(Target, int(delivery.recipient_key.removeprefix("target:")))
        to = target.email if target else None
        reply_to = action.email  # the target answers the constituent, not us
    else:
        to = action.email if delivery.medium is Medium.EMAIL else action.phone
    if not to:
        return None
    campaign = db.session.get(Campaign, action.campaign_id)
    envelope = _cwc_envelope(delivery, action, campaign) if delivery.medium is Medium.CWC else None
    if delivery.medium is Medium.CWC and envelope is None:
        return None
    return OutgoingMessage(
        delivery_id=delivery.id, delivery_key=delivery.key, to=to, body=delivery.body, subject=delivery.subject,
        to_name=delivery.recipient_name, from_name=(campaign.sender_name if campaign else "") or config["ORG_NAME"],
        from_email=(campaign.sender_email if campaign else "") or config["ORG_SENDER_EMAIL"],
        reply_to=reply_to, created_at=delivery.created_at,
        cwc=envelope)


def _organizer_message(delivery: Delivery, config) -> OutgoingMessage | None:
    """An organizer's own email (a password link) or text (an alert's test send)."""
    organizer = db.session.get(Organizer, delivery.organizer_id)
    to = None if organizer is None else (organizer.phone if delivery.medium is Medium.SMS else organizer.email)
    if not to:
        return None
    return OutgoingMessage(delivery_id=delivery.id, delivery_key=delivery.key, to=to, body=delivery.body,
                           subject=delivery.subject, to_name=organizer.name, from_name=config["ORG_NAME"],
                           from_email=config["ORG_SENDER_EMAIL"], created_at=delivery.created_at)


def _cwc_envelope(delivery: Delivery, action: Action, campaign: Campaign | None) -> CwcEnvelope | None:
    if not (delivery.office_code and action.email and action.street and action.city and action.zip_code):
        return None
    demand = db.session.get(Demand, action.demand_id)
    return CwcEnvelope(
        office_code=delivery.office_code,
        campaign_id=f"{campaign.slug if campaign else 'campaign'}-{demand.slug if demand else action.demand_id}",
        constituent=Constituent(prefix=action.prefix or "", first_name=action.first_name or "",
                                last_name=action.last_name or "", email=action.email, address1=action.street,
                                city=action.city, state=action.state, zip_code=action.zip_code, phone=action.phone),
        organization_statement=delivery.statement or delivery.body,
        constituent_message=action.personal_note,
        delivery_date=as_utc(delivery.created_at).date())


def dispatch(delivery_id: int, channels: Mapping[Medium, Channel], config,
             now: datetime | None = None) -> DeliveryState | None:
    """Send one claimed delivery and record the outcome; the row was committed as sending beforehand.

    `now` is the clock the alert rules (expiry, quiet hours, daily cap) read; tests pass a frozen one.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.state is not DeliveryState.SENDING:
        db.session.rollback()
        return None
    message = outgoing_message(delivery, config)
    if message is None:
        return _settle(delivery_id, DeliveryState.SKIPPED, skip_reason="no address to send to")
    if delivery.kind is DeliveryKind.ALERT_SMS and delivery.alert_id is not None:
        # The alert's rules include the suppression list (checked against the subscriber's number).
        held, state = _alert_gate(delivery, now or utcnow(), config)
        if held:
            return state
    elif delivery.kind not in SENT_DESPITE_SUPPRESSION and is_suppressed(delivery.medium, message.to):
        return _settle(delivery_id, DeliveryState.SKIPPED, skip_reason="opted out")
    medium = delivery.medium
    lease_until = as_utc(delivery.lease_until) if delivery.lease_until else None
    channel = channels.get(medium)
    if channel is None:
        return _settle(delivery_id, DeliveryState.FAILED, error=f"no channel for {medium.value}")
    db.session.rollback()  # no transaction is held open across the provider call
    if medium is Medium.SMS and channel.name != "console":
        result = _send_within_rate(delivery_id, channel, message, lease_until, config)
        if result is None:
            return None
    else:
        result = channel.send(message)
    if result.opt_out:
        _record_opt_out(medium, message.to, result.error or "opted out")
    if result.outcome is Outcome.ACCEPTED:
        return _settle(delivery_id, DeliveryState.SENT, provider=channel.name, provider_id=result.provider_id)
    if result.outcome is Outcome.RETRY:
        attempts = db.session.get(Delivery, delivery_id).attempts
        return _settle(delivery_id, DeliveryState.PENDING, provider=channel.name, error=result.error,
                       not_before=utcnow() + backoff(attempts, result.retry_after))
    if result.outcome is Outcome.UNKNOWN:
        return _settle(delivery_id, DeliveryState.UNKNOWN, provider=channel.name, error=result.error,
                       not_before=utcnow() + timedelta(seconds=config["RECONCILE_AFTER_SECONDS"]))
    return _settle(delivery_id, DeliveryState.FAILED, provider=channel.name, error=result.error)


def _send_within_rate(delivery_id: int, channel: Channel, message: OutgoingMessage, lease_until: datetime | None,
                      config) -> ProviderResult | None:
    """Send a text under the global SMS rate (→ the provider's answer), or None when the lease was lost first."""
    # Once half the lease is gone, another worker could soon treat the row as unknown and reconcile it, so it is
    # sent only while still ours, with a fresh lease (renewed before the wait for a slot when it can be).
    half = timedelta(seconds=config["DELIVERY_LEASE_SECONDS"] / 2)
    if lease_until is None or lease_until - utcnow() < half:
        if not _renew_lease(delivery_id, config):
            return None
        lease_until = utcnow() + 2 * half
    # A slot whose worker died mid-request stops counting once the request would surely have timed out (the
    # provider client's connect and read timeouts, each TWILIO_TIMEOUT).
    stale_after = timedelta(seconds=2 * config["TWILIO_TIMEOUT"] + 5)
    with send_slot(float(config["SMS_MAX_PER_SECOND"]), stale_after=stale_after):
        if lease_until - utcnow() < half and not _renew_lease(delivery_id, config):
            log.info("delivery %s: lease lost while waiting for a send slot; not sent", delivery_id)
            return None
        return channel.send(message)


def _renew_lease(delivery_id: int, config) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.state == DeliveryState.SENDING)
        .values(lease_until=now + timedelta(seconds=config["DELIVERY_LEASE_SECONDS"]), updated_at=now))
    db.session.commit()
    return result.rowcount == 1


# --- action alerts: the rules checked at send time --------------------------------------------------

DAY = timedelta(hours=24)
# A text of another alert to the same subscriber that is being sent right now: look again this much later.
IN_FLIGHT_RECHECK = timedelta(seconds=30)


def _alert_gate(delivery: Delivery, now: datetime, config) -> tuple[bool, DeliveryState | None]:
    """Apply an alert's rules to one of its texts: (False, None) to send it now, else (True, the state it was put in,
    or None when the row was no longer ours).

    In this order: paused (back to the queue), cancelled, expired, opted out, quiet hours, the daily cap.
    Checked here, right before the send, so a pause, a cancel or a STOP that arrives mid-blast holds.
    """
    alert = db.session.get(Alert, delivery.alert_id)
    if alert is None or alert.status is AlertStatus.CANCELLED:
        return True, _settle(delivery.id, DeliveryState.SKIPPED, skip_reason="alert cancelled")
    if alert.status is AlertStatus.PAUSED:
        return True, _defer(delivery.id, as_utc(delivery.not_before))
    expires_at = as_utc(alert.expires_at) if alert.expires_at else None
    if expires_at is not None and now >= expires_at:
        return True, _settle(delivery.id, DeliveryState.SKIPPED, skip_reason="alert expired")
    subscriber = db.session.get(Subscriber, delivery.subscriber_id) if delivery.subscriber_id else None
    if subscriber is None or subscriber.status is not SubscriberStatus.ACTIVE or is_suppressed(Medium.SMS,
                                                                                                 subscriber.phone):
        return True, _settle(delivery.id, DeliveryState.SKIPPED, skip_reason="opted out")

    from outreach.delivery.quiet_hours import next_allowed

    allowed_at = next_allowed(now, subscriber.state, config["QUIET_HOURS_START"], config["QUIET_HOURS_END"])
    if allowed_at > now:
        if expires_at is not None and allowed_at >= expires_at:
            return True, _settle(delivery.id, DeliveryState.SKIPPED, skip_reason="alert expired")
        return True, _defer(delivery.id, allowed_at)

    free_at = _daily_cap_frees_at(delivery, now, config["ALERT_MAX_PER_DAY"])
    if free_at is not None:
        if expires_at is not None and free_at >= expires_at:
            return True, _settle(delivery.id, DeliveryState.SKIPPED, skip_reason="daily alert limit")
        return True, _defer(delivery.id, free_at)
    return False, None


def _daily_cap_frees_at(delivery: Delivery, now: datetime, max_per_day: int) -> datetime | None:
    """Return when this subscriber may get another alert if the 24-hour cap is reached now, else None."""
    rows = db.session.execute(
        select(Delivery.id, Delivery.sent_at, Delivery.state).where(
            Delivery.subscriber_id == delivery.subscriber_id, Delivery.kind == DeliveryKind.ALERT_SMS,
            Delivery.alert_id.is_not(None), Delivery.id != delivery.id,
            or_(Delivery.sent_at > now - DAY,
                # Another alert's text to the same person in the middle of its send counts too; of two such,
                # the older row goes first, so they cannot both slip under the cap.
                Delivery.state.in_((DeliveryState.SENDING, DeliveryState.UNKNOWN)) & (Delivery.id < delivery.id)))
    ).all()
    sent = sorted(as_utc(row.sent_at) for row in rows if row.sent_at is not None and as_utc(row.sent_at) > now - DAY)
    if len(rows) < max_per_day:
        return None
    if len(sent) >= max_per_day:
        return sent[len(sent) - max_per_day] + DAY
    return now + IN_FLIGHT_RECHECK


def _defer(delivery_id: int, not_before: datetime) -> DeliveryState | None:
    """Put a claimed text back in the queue until `not_before`; the claim's attempt does not count."""
    now = utcnow()
    result = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.state == DeliveryState.SENDING)
        .values(state=DeliveryState.PENDING, not_before=not_before, lease_until=None, updated_at=now,
                attempts=case((Delivery.attempts > 0, Delivery.attempts - 1), else_=0)))
    db.session.commit()
    return DeliveryState.PENDING if result.rowcount else None


def _record_opt_out(medium: Medium, address: str, reason: str) -> None:
    if medium is Medium.SMS:
        # The subscriber is marked opted out too, not only suppressed, so segments and counts agree.
        from outreach.sms.subscriptions import opt_out

        opt_out(address, reason, confirm=False)
        db.session.commit()
    else:
        suppress(medium, address, reason)


def _settle(delivery_id: int, state: DeliveryState, *, provider: str | None = None, provider_id: str | None = None,
            error: str | None = None, skip_reason: str | None = None,
            not_before: datetime | None = None) -> DeliveryState | None:
    now = utcnow()
    values: dict = {"state": state, "lease_until": None, "updated_at": now}
    if provider:
        values["provider"] = provider
    if provider_id:
        values["provider_id"] = provider_id
    if error:
        values["last_error"] = error[:1000]
    if skip_reason:
        values["skip_reason"] = skip_reason
    if not_before:
        values["not_before"] = not_before
    if state is DeliveryState.SENT:
        values["sent_at"] = now
    if state in FINAL:
        values["finished_at"] = now
    # Only a row still in our hands (sending, or marked unknown after its lease ran out) is settled here;
    # a webhook that already moved it further wins.
    result = db.session.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.state.in_((DeliveryState.SENDING, DeliveryState.UNKNOWN)))
        .values(**values))
    db.session.commit()
    if result.rowcount:
        log.info("delivery %s is %s", delivery_id, state.value)
        return state
    return None


def expire_leases(now: datetime | None = None) -> int:
    """Mark deliveries stuck in sending past their lease (a killed worker) as unknown."""
    now = now or utcnow()
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.lease_until < now)
        .values(state=DeliveryState.UNKNOWN, lease_until=None, updated_at=now, not_before=now,
                last_error="lease expired: the worker stopped while sending"))
    db.session.commit()
    return result.rowcount


def reconcile_unknown(channels: Mapping[Medium, Channel], config, limit: int = 20,
                      now: datetime | None = None) -> int:
    """Ask providers about unknown deliveries: found → sent, confirmed absent → pending, else ask later."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Delivery).where(Delivery.state == DeliveryState.UNKNOWN, Delivery.not_before <= now)
        .order_by(Delivery.not_before, Delivery.id).limit(limit)).all()
    settled = 0
    for delivery in rows:
        delivery_id, medium = delivery.id, delivery.medium
        message = outgoing_message(delivery, config)
        channel = channels.get(medium)
        db.session.rollback()
        if message is None or channel is None:
            continue
        answer = channel.reconcile(message)
        if answer.found is Found.YES:
            settled += _settle(delivery_id, DeliveryState.SENT, provider=channel.name,
                               provider_id=answer.provider_id) is not None
        elif answer.found is Found.NO:
            db.session.execute(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.state == DeliveryState.UNKNOWN)
                .values(state=DeliveryState.PENDING, not_before=utcnow(), updated_at=utcnow()))
            db.session.commit()
            settled += 1
        else:
            attempts = db.session.get(Delivery, delivery_id).attempts
            db.session.execute(update(Delivery).where(
                Delivery.id == delivery_id, Delivery.state == DeliveryState.UNKNOWN)
                .values(not_before=utcnow() + backoff(attempts), updated_at=utcnow()))
            db.session.commit()
    return settled


def heartbeat(worker_id: str) -> None:
    """Record that a worker is alive, for /healthz."""
    row = db.session.get(WorkerHeartbeat, worker_id)
    if row is None:
        db.session.add(WorkerHeartbeat(worker_id=worker_id, beat_at=utcnow()))
    else:
        row.beat_at = utcnow()
    db.session.commit()


def latest_heartbeat() -> datetime | None:
    """Return when any worker last reported in."""
    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
