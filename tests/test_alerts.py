"""Action alerts: fan-out, segments, languages, pause/resume/cancel, expiry, the daily cap, STOP mid-blast."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta, timezone

import pytest
from zoneinfo import ZoneInfo
from sqlalchemy import func, insert, select

from outreach.delivery import outbox
from outreach.delivery.channels.base import Found, Outcome, ProviderResult, Reconciliation
from outreach.delivery.worker import run_once
from outreach.models import (
    Alert,
    AlertStatus,
    Campaign,
    ConsentRecord,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Medium,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from outreach.models.base import as_utc, utcnow
from outreach.sms import alerts
from outreach.sms.alerts import AlertError, AlertInput
from outreach.sms.audience import Segment
from outreach.sms.subscriptions import opt_out

# 15:00 in Chicago on a winter weekday: inside the window for every mainland zone.
DAYTIME = datetime(2026, 1, 14, 21, 0, tzinfo=timezone.utc)


class RecordingChannel:
    """An SMS channel that accepts everything and records who got what."""

    name = "recording"

    def __init__(self):
        self.sent = []
        self.results = deque()

    def send(self, message):
        self.sent.append(message)
        return self.results.popleft() if self.results else ProviderResult(Outcome.ACCEPTED, provider_id="SM1")

    def reconcile(self, message):
        return Reconciliation(Found.NO)

    def to(self, phone):
        return [m for m in self.sent if m.to == phone]


@pytest.fixture
def channel(app):
    recording = RecordingChannel()
    app.extensions["outreach.channels"][Medium.SMS] = recording
    return recording


def add_subscribers(db, specs):
    """Insert subscribers from (phone, state, district, locale[, status]) tuples; return their ids by phone."""
    consent = ConsentRecord(phone="+10000000000", source="web_form", disclosure_text="yes",
                            disclosure_version="test")
    db.session.add(consent)
    db.session.flush()
    rows = []
    for spec in specs:
        phone, state, district, locale, *rest = spec
        rows.append({"phone": phone, "state": state, "district": district, "locale": locale,
                     "consent_id": consent.id, "status": rest[0] if rest else SubscriberStatus.ACTIVE,
                     "created_at": utcnow()})
    db.session.execute(insert(Subscriber), rows)
    db.session.commit()
    return dict(db.session.execute(select(Subscriber.phone, Subscriber.id)).all())


@pytest.fixture
def people(db, synced):
    return add_subscribers(db, [
        ("+13125550001", "IL", 9, "en"),   # Schakowsky: signed
        ("+13125550002", "IL", 7, "es"),   # Davis: not listed
        ("+13125550003", "IL", 7, "en", SubscriberStatus.OPTED_OUT),
        ("+12125550004", "NY", 12, "es"),  # Nadler: not listed
        ("+13035550005", "CO", 2, "en"),   # Neguse: not listed
        ("+13125550006", "IL", None, "en"),  # split ZIP: district unknown
        ("+13125550007", "IL", 5, "en"),   # Quigley: signed
    ])


def new_alert(db, segment=Segment(), bodies=None, **kwargs):
    data = AlertInput(name="Call today", bodies=bodies or {"en": "Call your Rep today!", "es": "¡Llama hoy!"},
                      segment=segment, **kwargs)
    return alerts.create_alert(data, organizer_id=None).id


def deliveries_of(db, alert_id):
    db.session.expire_all()
    return db.session.scalars(select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)).all()


def next_local_hour(hour, zone="America/Chicago"):
    """Return the next moment after the real now when it is `hour`:00 in a zone (rows are created at real now)."""
    local = utcnow().astimezone(ZoneInfo(zone))
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if moment <= local:
        moment = (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.astimezone(timezone.utc)


def drain(app, now=DAYTIME, rounds=20):
    for _ in range(rounds):
        if not run_once(app, batch=50, now=now):
            return


# --- fan-out -----------------------------------------------------------------------------------

def test_fan_out_writes_one_text_per_reachable_subscriber_and_never_twice(app, db, people):
    db.session.add(Suppression(medium=Medium.SMS, address="+13125550007", reason="21610"))
    db.session.commit()
    alert_id = new_alert(db)
    alerts.send(alert_id, now=DAYTIME)
    rows = deliveries_of(db, alert_id)
    # Everyone active and not suppressed: not the opted-out one, not the suppressed one.
    assert sorted(r.subscriber_id for r in rows) == sorted(
        people[p] for p in ("+13125550001", "+13125550002", "+12125550004", "+13035550005", "+13125550006"))
    assert {(r.kind, r.medium, r.state) for r in rows} == {(DeliveryKind.ALERT_SMS, Medium.SMS,
                                                            DeliveryState.PENDING)}
    alert = db.session.get(Alert, alert_id)
    assert alert.status is AlertStatus.SENDING and alert.recipient_count == 5

    # Again (as a second worker would): nothing new.
    assert alerts.fan_out(alert) == 0
    db.session.commit()
    assert len(deliveries_of(db, alert_id)) == 5


def test_each_subscriber_gets_their_language_with_english_fallback_link_and_stop(app, db, people):
    campaign = db.session.scalar(select(Campaign))
    demand = campaign.demands[0]
    app.config["PUBLIC_BASE_URL"] = "https://act.example.org/"
    alert_id = new_alert(db, bodies={"en": "Call your Rep today!", "es": "¡Llama hoy!"},
                         campaign_id=campaign.id, demand_id=demand.id)
    alerts.send(alert_id, now=DAYTIME)
    bodies = {r.subscriber_id: r.body for r in deliveries_of(db, alert_id)}
    link = f"https://act.example.org/c/{campaign.slug}/{demand.slug}"
    assert bodies[people["+13125550001"]] == f"Call your Rep today! {link}\nReply STOP to stop"
    spanish = bodies[people["+13125550002"]]
    assert spanish == f"¡Llama hoy! {link}\n{alerts.stop_footer('es')}" and "STOP" in spanish

    only_english = new_alert(db, bodies={"en": "English only. Reply STOP to opt out"})
    alerts.send(only_english, now=DAYTIME)
    assert {r.body for r in deliveries_of(db, only_english)} == {"English only. Reply STOP to opt out"}


def test_preview_counts_characters_and_segments_per_language(app):
    previews = {p.locale: p for p in alerts.preview({"en": "x" * 150, "es": "¡Acción ya! ✊"}, None)}
    assert previews["en"].encoding == "GSM-7" and previews["en"].segments == 2  # 150 + the STOP line > 160
    assert previews["es"].encoding == "UCS-2" and previews["es"].characters == len(previews["es"].text)


# --- segments ----------------------------------------------------------------------------------

def test_segments_and_recipient_counts(app, db, people):
    campaign = db.session.scalar(select(Campaign))
    assert alerts.recipient_count(Segment()) == 6
    assert alerts.recipient_count(Segment(SegmentKind.STATE, state="IL")) == 4
    assert alerts.recipient_count(Segment(SegmentKind.DISTRICT, state="IL", district=7)) == 1
    not_listed = Segment(SegmentKind.SIGNING_STATUS, campaign_id=campaign.id, statuses=("not_listed",))
    # Davis (IL-7), Nadler (NY-12), Neguse (CO-2); not the opted-out IL-7 number, not the unknown district.
    assert alerts.recipient_count(not_listed) == 3
    signed = Segment(SegmentKind.SIGNING_STATUS, campaign_id=campaign.id, statuses=("signed",))
    assert alerts.recipient_count(signed) == 2

    alert_id = new_alert(db, segment=not_listed)
    alerts.send(alert_id, now=DAYTIME)
    assert sorted(r.subscriber_id for r in deliveries_of(db, alert_id)) == sorted(
        people[p] for p in ("+13125550002", "+12125550004", "+13035550005"))


def test_invalid_alerts_are_refused(app, db, people):
    with pytest.raises(AlertError):
        alerts.create_alert(AlertInput(name="x", bodies={"es": "solo español"}), None)
    with pytest.raises(AlertError):
        alerts.create_alert(AlertInput(name="x", bodies={"en": "hi"}, segment=Segment(SegmentKind.DISTRICT,
                                                                                      state="IL")), None)


# --- sending -----------------------------------------------------------------------------------

def test_send_now_goes_out_once_and_the_alert_finishes(app, db, people, channel):
    alert_id = new_alert(db)
    alerts.send(alert_id, now=DAYTIME)
    drain(app)
    assert len(channel.sent) == 6
    assert len({m.to for m in channel.sent}) == 6
    progress = alerts.progress(alert_id)
    assert (progress.sent, progress.queued, progress.total, progress.percent) == (6, 0, 6, 100)
    assert db.session.get(Alert, alert_id).status is AlertStatus.DONE


def test_scheduled_alert_is_fanned_out_by_the_worker_when_its_time_comes(app, db, people, channel):
    alert_id = new_alert(db)
    alerts.send(alert_id, send_at=DAYTIME + timedelta(hours=1), now=DAYTIME)
    assert db.session.get(Alert, alert_id).status is AlertStatus.SCHEDULED
    drain(app, now=DAYTIME)
    assert deliveries_of(db, alert_id) == [] and channel.sent == []
    alert = db.session.get(Alert, alert_id)
    assert as_utc(alert.expires_at) == DAYTIME + timedelta(hours=25)  # default expiry after the send time
    drain(app, now=DAYTIME + timedelta(hours=1))
    drain(app, now=DAYTIME + timedelta(hours=1))
    assert len(channel.sent) == 6


def test_pause_holds_every_text_and_resume_lets_them_go(app, db, people, channel):
    alert_id = new_alert(db)
    alerts.send(alert_id, now=DAYTIME)
    first = outbox.claim_due(2, now=DAYTIME)
    alerts.pause(alert_id)
    # Two texts were claimed before the pause: the check at send time puts them back.
    for delivery_id in first:
        assert outbox.dispatch(delivery_id, {Medium.SMS: channel}, app.config, now=DAYTIME) is DeliveryState.PENDING
    drain(app)
    assert channel.sent == []
    assert alerts.progress(alert_id).queued == 6
    assert {r.attempts for r in deliveries_of(db, alert_id)} == {0}

    alerts.resume(alert_id)
    drain(app)
    assert len(channel.sent) == 6


def test_cancel_skips_everything_not_sent(app, db, people, channel):
    alert_id = new_alert(db)
    alerts.send(alert_id, now=DAYTIME)
    claimed = outbox.claim_due(1, now=DAYTIME)
    outbox.dispatch(claimed[0], {Medium.SMS: channel}, app.config, now=DAYTIME)
    in_hand = outbox.claim_due(1, now=DAYTIME)
    assert alerts.cancel(alert_id) == 4
    # The one a worker held while the cancel happened is skipped at send time.
    assert outbox.dispatch(in_hand[0], {Medium.SMS: channel}, app.config, now=DAYTIME) is DeliveryState.SKIPPED
    drain(app)
    assert len(channel.sent) == 1
    rows = deliveries_of(db, alert_id)
    assert sorted(r.skip_reason or "" for r in rows) == [""] + ["alert cancelled"] * 5
    progress = alerts.progress(alert_id)
    assert (progress.sent, progress.skipped, progress.percent) == (1, 5, 100)
    with pytest.raises(AlertError):
        alerts.resume(alert_id)


def test_expired_alert_texts_are_skipped(app, db, people, channel):
    alert_id = new_alert(db, expires_at=DAYTIME + timedelta(hours=2))
    alerts.send(alert_id, now=DAYTIME)
    drain(app, now=DAYTIME + timedelta(hours=2))
    assert channel.sent == []
    assert {r.skip_reason for r in deliveries_of(db, alert_id)} == {"alert expired"}


def test_quiet_hours_hold_texts_until_morning_then_they_go(app, db, people, channel):
    evening = datetime(2026, 1, 15, 2, 30, tzinfo=timezone.utc)  # 20:30 in Chicago, 19:30 in Denver
    alert_id = new_alert(db)
    alerts.send(alert_id, now=evening)
    drain(app, now=evening)
    # Colorado (19:30) is still inside the window; Illinois (20:30) and New York (21:30) are not.
    assert [m.to for m in channel.sent] == ["+13035550005"]
    held = {r.subscriber_id: as_utc(r.not_before) for r in deliveries_of(db, alert_id)
            if r.state is DeliveryState.PENDING}
    assert held == {people["+13125550001"]: datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc),  # 08:00 Chicago
                    people["+13125550002"]: datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc),
                    people["+13125550006"]: datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc),
                    people["+13125550007"]: datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc),
                    people["+12125550004"]: datetime(2026, 1, 15, 13, 0, tzinfo=timezone.utc)}  # 08:00 New York
    drain(app, now=datetime(2026, 1, 15, 13, 59, tzinfo=timezone.utc))
    assert [m.to for m in channel.sent] == ["+13035550005", "+12125550004"]
    drain(app, now=datetime(2026, 1, 15, 14, 0, tzinfo=timezone.utc))
    assert len(channel.sent) == 6


def test_quiet_hours_past_expiry_skip(app, db, people, channel):
    evening = datetime(2026, 1, 15, 2, 30, tzinfo=timezone.utc)  # 20:30 in Chicago
    alert_id = new_alert(db, segment=Segment(SegmentKind.STATE, state="IL"), expires_at=evening + timedelta(hours=3))
    alerts.send(alert_id, now=evening)
    drain(app, now=evening)
    assert channel.sent == []
    assert {r.skip_reason for r in deliveries_of(db, alert_id)} == {"alert expired"}


def test_fourth_alert_in_a_day_waits_for_a_slot_then_is_skipped_at_expiry(app, db, people, channel):
    phone = "+13125550001"
    # Three alerts already reached this subscriber in the last 24 hours.
    earlier = []
    for hours in (20, 10, 5):
        old = new_alert(db, segment=Segment(SegmentKind.DISTRICT, state="IL", district=9))
        alerts.send(old, now=DAYTIME - timedelta(hours=hours))
        earlier.append(old)
    drain(app)
    db.session.expire_all()
    for old, hours in zip(earlier, (20, 10, 5)):
        row = deliveries_of(db, old)[0]
        row.sent_at = DAYTIME - timedelta(hours=hours)
        db.session.commit()
    assert len(channel.to(phone)) == 3

    fourth = new_alert(db, segment=Segment(SegmentKind.DISTRICT, state="IL", district=9))
    alerts.send(fourth, now=DAYTIME)
    drain(app)
    row = deliveries_of(db, fourth)[0]
    # It waits until the oldest of the three leaves the 24 hours (4 hours from now).
    assert row.state is DeliveryState.PENDING and as_utc(row.not_before) == DAYTIME + timedelta(hours=4)
    drain(app, now=DAYTIME + timedelta(hours=4))
    assert len(channel.to(phone)) == 4

    fifth = new_alert(db, segment=Segment(SegmentKind.DISTRICT, state="IL", district=9),
                      expires_at=DAYTIME + timedelta(hours=5))
    db.session.expire_all()
    deliveries_of(db, fourth)[0].sent_at = DAYTIME + timedelta(hours=4)
    db.session.commit()
    alerts.send(fifth, now=DAYTIME + timedelta(hours=4))
    drain(app, now=DAYTIME + timedelta(hours=4))
    # The next slot frees when the 10-hours-ago text leaves (14 h from the start): after this one expires.
    assert deliveries_of(db, fifth)[0].skip_reason == "daily alert limit"
    assert len(channel.to(phone)) == 4


def test_a_stop_mid_blast_stops_that_numbers_text(app, db, people, channel):
    alert_id = new_alert(db)
    alerts.send(alert_id, now=DAYTIME)
    run_once(app, batch=2, now=DAYTIME)
    sent_before = {m.to for m in channel.sent}
    target = next(p for p in ("+13035550005", "+13125550006", "+12125550004") if p not in sent_before)
    opt_out(target, "STOP")
    db.session.commit()
    drain(app)
    assert channel.to(target) == []
    row = next(r for r in deliveries_of(db, alert_id) if r.subscriber_id == people[target])
    assert (row.state, row.skip_reason) == (DeliveryState.SKIPPED, "opted out")
    assert len(channel.sent) == 5


def test_transactional_texts_ignore_quiet_hours(app, db, people, channel):
    from outreach.sms.subscriptions import queue_text

    night = next_local_hour(2)
    subscriber = db.session.get(Subscriber, people["+13125550001"])
    queue_text(subscriber, DeliveryKind.SMS_REPLY, "Thanks, we saved your ZIP code.")
    db.session.commit()
    drain(app, now=night)
    assert [m.body for m in channel.sent] == ["Thanks, we saved your ZIP code."]


def test_test_send_goes_to_the_organizer_only(app, db, people, channel, organizer):
    alert_id = new_alert(db)
    with pytest.raises(AlertError):
        alerts.send_test(alert_id, organizer.id)  # no phone on the account yet
    organizer.phone = "+17735550199"
    db.session.commit()
    alerts.send_test(alert_id, organizer.id)
    drain(app, now=next_local_hour(2))
    assert [m.to for m in channel.sent] == ["+17735550199", "+17735550199"]
    assert channel.sent[0].body.startswith("[TEST] Call your Rep today!")
    assert deliveries_of(db, alert_id) == []
    assert db.session.get(Alert, alert_id).status is AlertStatus.DRAFT
    count = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.organizer_id == organizer.id))
    assert count == 2


def test_the_segment_counter_is_still_a_function_after_the_audience_module_is_loaded():
    import outreach.sms
    import outreach.sms.audience  # noqa: F401

    assert callable(outreach.sms.segments) and outreach.sms.segments("hi") == 1
