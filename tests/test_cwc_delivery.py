"""Delivery to Congress offices end to end: office lists from sync, routing, the worker, retries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.delivery.worker import run_once
from outreach.models import CwcOffice, Delivery, DeliveryKind, DeliveryState, Medium
from tests.conftest import FIXTURE_DATA
from tests.test_action_form import send, status_token

IL9 = {"S001145": "HIL09", "D000563": "SIL02", "D000622": "SIL03"}


@pytest.fixture
def app_config(fake_cwc):
    return {**fake_cwc.env(), "CWC_TIMEOUT": 0.5, "RECONCILE_AFTER_SECONDS": 0}


@pytest.fixture
def offices_synced(runner, db, synced):
    result = runner.invoke(args=["outreach", "sync", "--data-dir", str(FIXTURE_DATA)])
    assert result.exit_code == 0, result.output
    assert "CWC house offices: 10" in result.output and "CWC senate offices: 5" in result.output
    return result


def office_deliveries(db) -> dict[str, Delivery]:
    db.session.expire_all()
    rows = db.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.OFFICE_MESSAGE)).all()
    return {d.recipient_key: d for d in rows}


def test_sync_stores_each_chambers_office_list_with_its_date(db, offices_synced):
    stored = db.session.scalars(select(CwcOffice)).all()
    assert {"HIL09", "SIL02", "SIL03"} <= {o.office_code for o in stored}
    assert all(o.fetched_at is not None for o in stored)


def test_il9_constituent_gets_one_house_and_two_senate_deliveries(app, client, db, fake_cwc, offices_synced):
    status_token(send(client)[1])
    deliveries = office_deliveries(db)
    assert {k: d.office_code for k, d in deliveries.items()} == IL9
    assert {d.state for d in deliveries.values()} == {DeliveryState.PENDING}
    assert {d.medium for d in deliveries.values()} == {Medium.CWC}

    with app.app_context():
        run_once(app)
    assert [m["office"] for m in fake_cwc.house_messages] == ["HIL09"]
    assert sorted(m["office"] for m in fake_cwc.senate_messages) == ["SIL02", "SIL03"]
    deliveries = office_deliveries(db)
    assert {d.state for d in deliveries.values()} == {DeliveryState.SENT}
    assert all(d.provider_id == d.key for d in deliveries.values())


def test_offices_off_the_list_are_hand_offs(app, client, db, fake_cwc, offices_synced):
    # Duckworth's seat leaves the Senate's CWC list: her office is a hand-off, the others still go by CWC.
    db.session.delete(db.session.get(CwcOffice, "SIL03"))
    db.session.commit()
    status_token(send(client)[1])
    deliveries = office_deliveries(db)
    assert deliveries["D000622"].state is DeliveryState.HANDOFF
    assert deliveries["S001145"].state is DeliveryState.PENDING
    assert deliveries["D000563"].state is DeliveryState.PENDING


def test_a_senate_office_without_an_accepted_title_is_a_hand_off(client, db, offices_synced):
    status_token(send(client, prefix="")[1])
    deliveries = office_deliveries(db)
    assert deliveries["S001145"].state is DeliveryState.PENDING  # the House takes a neutral title
    assert deliveries["D000563"].state is DeliveryState.HANDOFF


def test_retry_after_a_timeout_reuses_the_delivery_id(app, client, db, fake_cwc, offices_synced):
    fake_cwc.script("house", ["hang-accepted"], hang_seconds=1.5)
    status_token(send(client)[1])
    with app.app_context():
        run_once(app)
        house = office_deliveries(db)["S001145"]
        assert house.state is DeliveryState.UNKNOWN
        house_key = house.key
        fake_cwc.release()
        run_once(app)  # reconcile: CWC has no lookup, so the same DeliveryId goes again
        run_once(app)
    assert fake_cwc.delivery_ids("house") == [house_key, house_key]
    assert office_deliveries(db)["S001145"].state is DeliveryState.SENT


def test_without_cwc_settings_every_office_is_a_hand_off(client, db, synced, app):
    app.config.update({k: None for k in ("CWC_HOUSE_API_URL", "CWC_SENATE_API_URL")})
    status_token(send(client)[1])
    assert {d.state for d in office_deliveries(db).values()} == {DeliveryState.HANDOFF}
