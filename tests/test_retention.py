"""Retention and erasure: street addresses and phone numbers do not outlive their purpose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.actions.services import erase_action, erase_expired_contact_details
from outreach.models import Action, Campaign, Delivery, DeliveryKind, DeliveryState, Medium
from outreach.models.actions import new_token
from outreach.models.base import utcnow


@pytest.fixture
def make_action(db, synced):
    campaign = db.session.scalar(select(Campaign))

    def make(age_days: float, state: DeliveryState, finished_days_ago: float | None = None) -> int:
        created = utcnow() - timedelta(days=age_days)
        finished = None if finished_days_ago is None else utcnow() - timedelta(days=finished_days_ago)
        action = Action(campaign_id=campaign.id, demand_id=campaign.demands[0].id, form_token=new_token(),
                        state="IL", district=9, first_name="Ana", last_name="Diaz", email="ana@example.org",
                        street="1600 Main St", city="Evanston", zip_code="60202", phone="+13125550100",
                        created_at=created)
        action.deliveries.append(Delivery(kind=DeliveryKind.SCRIPT_SMS, medium=Medium.SMS,
                                          recipient_key="constituent", body="Call them", state=state,
                                          created_at=created, finished_at=finished))
        db.session.add(action)
        db.session.commit()
        return action.id

    return make


def test_address_and_phone_erased_once_deliveries_finished_long_enough_ago(db, make_action):
    old_done = make_action(40, DeliveryState.DELIVERED, finished_days_ago=39)
    old_but_recently_finished = make_action(40, DeliveryState.DELIVERED, finished_days_ago=2)
    old_still_unknown = make_action(40, DeliveryState.UNKNOWN)
    young = make_action(3, DeliveryState.DELIVERED, finished_days_ago=3)

    assert erase_expired_contact_details(30) == 1
    db.session.expire_all()
    erased = db.session.get(Action, old_done)
    assert erased.street is None and erased.phone is None and erased.contact_details_erased_at
    assert erased.first_name == "Ana" and erased.email == "ana@example.org"  # the rest goes with "delete my data"
    for kept in (old_but_recently_finished, old_still_unknown, young):
        assert db.session.get(Action, kept).street == "1600 Main St"
    assert erase_expired_contact_details(30) == 0


def test_delete_my_data_keeps_only_anonymous_counts(db, make_action):
    action_id = make_action(1, DeliveryState.PENDING)
    erase_action(db.session.get(Action, action_id))
    db.session.expire_all()
    action = db.session.get(Action, action_id)
    for field in ("first_name", "last_name", "email", "street", "city", "zip_code", "phone", "personal_note"):
        assert getattr(action, field) is None
    assert (action.state, action.district) == ("IL", 9) and action.erased_at is not None
    delivery = action.deliveries[0]
    assert delivery.state is DeliveryState.SKIPPED and delivery.body == ""


def test_purge_command(runner, make_action):
    make_action(40, DeliveryState.SENT, finished_days_ago=35)
    result = runner.invoke(args=["outreach", "purge", "--days", "30"])
    assert "Erased contact details of 1 actions." in result.output
