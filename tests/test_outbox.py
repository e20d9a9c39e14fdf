"""The outbox state machine: claim, send, settle, expire, reconcile — through the Channel interface."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.delivery import outbox
from outreach.delivery.channels.base import Found, Outcome, ProviderResult, Reconciliation
from outreach.models import (
    Action,
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Medium,
    Suppression,
)
from outreach.models.base import as_utc, utcnow


class ScriptedChannel:
    """A channel whose answers a test scripts, recording every message it is given."""

    name = "scripted"

    def __init__(self, *results: ProviderResult, found: Found = Found.NO):
        self.results = deque(results)
        self.found = found
        self.sent = []
        self.asked = []

    def send(self, message):
        self.sent.append(message)
        return self.results.popleft() if self.results else ProviderResult(Outcome.ACCEPTED, provider_id="SM1")

    def reconcile(self, message):
        self.asked.append(message)
        return Reconciliation(self.found, provider_id="SMfound" if self.found is Found.YES else None)


@pytest.fixture
def text_delivery(db, synced):
    campaign = db.session.scalar(select(Campaign))
    action = Action(campaign_id=campaign.id, demand_id=campaign.demands[0].id, form_token="t1", state="IL",
                    district=9, first_name="Ana", phone="+13125550100", email="ana@example.org")
    delivery = Delivery(kind=DeliveryKind.SCRIPT_SMS, medium=Medium.SMS, recipient_key="constituent",
                        body="Call your members", action=action)
    db.session.add(action)
    db.session.commit()
    return delivery.id


def run_round(app, channel):
    claimed = outbox.claim_due(10)
    for delivery_id in claimed:
        outbox.dispatch(delivery_id, {Medium.SMS: channel}, app.config)
    return claimed


def state_of(db, delivery_id):
    db.session.expire_all()
    return db.session.get(Delivery, delivery_id)


def test_accepted_is_sent_with_the_provider_id(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.ACCEPTED, provider_id="SMabc"))
    assert run_round(app, channel) == [text_delivery]
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.SENT and delivery.provider_id == "SMabc"
    assert delivery.provider == "scripted" and delivery.sent_at is not None
    assert channel.sent[0].to == "+13125550100" and channel.sent[0].delivery_key == delivery.key
    assert run_round(app, channel) == []  # nothing is sent twice


def test_claimed_rows_are_committed_as_sending_before_the_call(app, db, text_delivery):
    seen = []

    class Watching(ScriptedChannel):
        def send(self, message):
            # A separate connection sees the committed state while the provider is being called.
            with db.engine.connect() as other:
                seen.append(other.scalar(select(Delivery.state).where(Delivery.id == message.delivery_id)))
            return super().send(message)

    run_round(app, Watching())
    assert seen == [DeliveryState.SENDING]


def test_rate_limited_goes_back_to_pending_with_backoff(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.RETRY, error="twilio HTTP 429", retry_after=20))
    run_round(app, channel)
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.PENDING
    assert as_utc(delivery.not_before) > utcnow() + timedelta(seconds=15)
    assert run_round(app, channel) == []  # not due yet
    delivery.not_before = utcnow()
    db.session.commit()
    run_round(app, channel)
    assert state_of(db, text_delivery).state is DeliveryState.SENT
    assert len(channel.sent) == 2


def test_unclear_answer_becomes_unknown_and_is_never_resent_blindly(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.UNKNOWN, error="twilio HTTP 500"), found=Found.YES)
    run_round(app, channel)
    assert state_of(db, text_delivery).state is DeliveryState.UNKNOWN
    assert run_round(app, channel) == []
    outbox.reconcile_unknown({Medium.SMS: channel}, app.config, now=utcnow() + timedelta(minutes=5))
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.SENT and delivery.provider_id == "SMfound"
    assert len(channel.sent) == 1


def test_unknown_confirmed_absent_is_sent_again(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.UNKNOWN, error="timeout"), found=Found.NO)
    run_round(app, channel)
    outbox.reconcile_unknown({Medium.SMS: channel}, app.config, now=utcnow() + timedelta(minutes=5))
    assert state_of(db, text_delivery).state is DeliveryState.PENDING
    run_round(app, channel)
    assert state_of(db, text_delivery).state is DeliveryState.SENT
    assert len(channel.sent) == 2 and channel.sent[0].delivery_key == channel.sent[1].delivery_key


def test_cannot_tell_leaves_it_unknown_for_later(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.UNKNOWN), found=Found.CANNOT_TELL)
    run_round(app, channel)
    outbox.reconcile_unknown({Medium.SMS: channel}, app.config, now=utcnow() + timedelta(minutes=5))
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.UNKNOWN and as_utc(delivery.not_before) > utcnow()


def test_permanent_error_fails_and_21610_suppresses_the_number(app, db, text_delivery):
    channel = ScriptedChannel(ProviderResult(Outcome.FAILED, error="twilio 21610", opt_out=True))
    run_round(app, channel)
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.FAILED and delivery.finished_at is not None
    assert db.session.scalar(select(Suppression.address)) == "+13125550100"


def test_suppressed_number_is_skipped_at_send_time(app, db, text_delivery):
    outbox.suppress(Medium.SMS, "+13125550100", "STOP")
    channel = ScriptedChannel()
    run_round(app, channel)
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.SKIPPED and delivery.skip_reason == "opted out"
    assert channel.sent == []


def test_expired_lease_of_a_killed_worker_becomes_unknown(app, db, text_delivery):
    assert outbox.claim_due(10) == [text_delivery]  # claimed, then the worker dies before sending
    assert outbox.expire_leases(now=utcnow() + timedelta(minutes=2)) == 1
    delivery = state_of(db, text_delivery)
    assert delivery.state is DeliveryState.UNKNOWN and "lease expired" in delivery.last_error


def test_a_claim_is_exclusive(app, db, text_delivery):
    assert outbox.claim_due(10) == [text_delivery]
    assert outbox.claim_due(10) == []


def test_webhook_report_wins_over_a_late_settle(app, db, text_delivery):
    outbox.claim_due(10)
    key = state_of(db, text_delivery).key
    assert outbox.record_status(key, DeliveryState.DELIVERED)
    assert outbox.dispatch(text_delivery, {Medium.SMS: ScriptedChannel()}, app.config) is None
    assert state_of(db, text_delivery).state is DeliveryState.DELIVERED


def test_record_status_never_moves_backwards(app, db, text_delivery):
    key = state_of(db, text_delivery).key
    assert outbox.record_status(key, DeliveryState.DELIVERED)
    assert not outbox.record_status(key, DeliveryState.SENT)
    assert not outbox.record_status(key, DeliveryState.DELIVERED)
    assert state_of(db, text_delivery).state is DeliveryState.DELIVERED


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 15), (2, 30), (3, 60), (20, 3600)])
def test_backoff_doubles_up_to_an_hour(attempts, seconds):
    assert outbox.backoff(attempts) == timedelta(seconds=seconds)


def test_operator_commands_list_retry_and_resolve(app, db, runner, text_delivery):
    run_round(app, ScriptedChannel(ProviderResult(Outcome.FAILED, error="twilio 21211: invalid number")))
    listing = runner.invoke(args=["outreach", "deliveries"])
    assert f"{text_delivery}\tfailed\tscript_sms\tsms" in listing.output and "21211" in listing.output
    assert "+1312" not in listing.output
    assert runner.invoke(args=["outreach", "retry", str(text_delivery)]).exit_code == 0
    assert state_of(db, text_delivery).state is DeliveryState.PENDING
    refused = runner.invoke(args=["outreach", "resolve", str(text_delivery), "--as", "sent"])
    assert refused.exit_code != 0 and "only failed, unknown" in refused.output


def test_email_suppression_ignores_case(db):
    outbox.suppress(Medium.EMAIL, "Ana@Example.org ", "spamreport")
    assert outbox.is_suppressed(Medium.EMAIL, "ana@example.org")
    assert not outbox.is_suppressed(Medium.SMS, "ana@example.org")


def test_21610_marks_the_subscriber_opted_out_too(app, db, synced):
    from outreach.models import Subscriber, SubscriberStatus
    from outreach.sms.subscriptions import Consent, Source, join

    with app.test_request_context():
        result = join("+13125550199", "en", Consent(Source.WEB_FORM, "terms", "test-1"), confirm=True)
        db.session.commit()
    channel = ScriptedChannel(ProviderResult(Outcome.FAILED, error="twilio 21610", opt_out=True))
    run_round(app, channel)
    db.session.expire_all()
    subscriber = db.session.scalar(select(Subscriber))
    assert subscriber.status is SubscriberStatus.OPTED_OUT
    assert outbox.is_suppressed(Medium.SMS, "+13125550199")
    assert len(channel.sent) == 1 and result is not None
