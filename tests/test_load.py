"""A bounded load test on 127.0.0.1: many action posts from many client addresses, concurrently.

1,000 posts from 50 addresses (behind one trusted proxy, addresses in X-Forwarded-For) create deliveries only
within the per-address, per-phone and per-email limits; a flood aimed at one office stops at that office's limit.
Counts are exact because every counter is atomic; nothing here measures time. Limits are per hour so that no
window rolls over during the run; every wait is bounded.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from sqlalchemy import func, select

from outreach.models import Action, Delivery, DeliveryKind
from tests.test_action_form import WRITE_URL, filled, open_write_page
from tests.test_rate_limits import OFFICE_REFUSAL, REP, SENATOR, limits

CLIENTS = 50
TIMEOUT = 300  # seconds for a whole run; far more than it takes, so only a hang trips it


def threads_for(app) -> int:
    # SQLite takes one writer at a time; PostgreSQL takes them all.
    return 4 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else 12


def run_clients(app, main_client, plans: dict[str, list[dict]]) -> Counter:
    """Post each address's submissions in order, addresses concurrently; return a count of outcomes."""
    session = main_client.get_cookie("session")
    local = threading.local()
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def client():
        if not hasattr(local, "client"):
            local.client = app.test_client()
            local.client.set_cookie("session", session.value, domain=session.domain or "localhost")
        return local.client

    def run(address: str, posts: list[dict]) -> None:
        for data in posts:
            response = client().post(WRITE_URL, data=data, headers={"X-Forwarded-For": address},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"})
            body = response.get_data(as_text=True) if response.status_code == 200 else ""
            outcome = (response.status_code, next((m for m in REFUSALS if m in body), None))
            with lock:
                outcomes[outcome] += 1

    with ThreadPoolExecutor(max_workers=threads_for(app)) as pool:
        futures = [pool.submit(run, address, posts) for address, posts in plans.items()]
        done, not_done = wait(futures, timeout=TIMEOUT)
        assert not not_done, "the load run did not finish in time"
        for future in done:
            future.result()
    return outcomes


PHONE_REFUSAL = "Too many messages from this number right now; try again later."
EMAIL_REFUSAL = "Too many messages from this email address right now; try again later."
REFUSALS = (PHONE_REFUSAL, EMAIL_REFUSAL, OFFICE_REFUSAL)


def count(db, *where, model=Delivery) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("app_config", [limits(TRUSTED_PROXIES=1, RATE_LIMIT_PER_IP="10/hour",
                                               RATE_LIMIT_PER_PHONE="4/hour", RATE_LIMIT_PER_EMAIL="6/hour")])
def test_a_thousand_posts_from_fifty_addresses_stay_within_the_limits(app, client, synced, db):
    html = open_write_page(client).get_data(as_text=True)
    texting = filled(html, offices=False, script=True)
    writing = filled(html, phone="")
    plans = {}
    for n in range(CLIENTS):
        address = f"198.51.100.{n + 1}"
        if n < CLIENTS // 2:  # each texts its own number; a new email every time, so the phone limit decides
            plans[address] = [{**texting, "form_token": secrets.token_urlsafe(24), "phone": f"(312) 555-01{n:02d}",
                               "email": f"t{n}-{j}@example.org"} for j in range(20)]
        else:  # each writes to the offices from its own email address
            plans[address] = [{**writing, "form_token": secrets.token_urlsafe(24), "email": f"w{n}@example.org"}
                              for j in range(20)]
    assert sum(len(p) for p in plans.values()) == 1000

    outcomes = run_clients(app, client, plans)

    # Per address: 10 posts get through and 10 are refused with 429; of the 10, the sender limits decide.
    assert outcomes[(429, None)] == CLIENTS * 10
    assert outcomes[(303, None)] == 25 * 4 + 25 * 6
    assert outcomes[(200, PHONE_REFUSAL)] == 25 * 6
    assert outcomes[(200, EMAIL_REFUSAL)] == 25 * 4
    assert sum(outcomes.values()) == 1000
    assert count(db, model=Action) == 250
    # Deliveries exist only for accepted actions: one script per texting action, one per office per letter.
    assert count(db, Delivery.kind == DeliveryKind.SCRIPT_SMS) == 25 * 4
    assert count(db, Delivery.kind == DeliveryKind.OFFICE_MESSAGE) == 25 * 6 * 3
    per_phone = Counter(db.session.scalars(select(Action.phone).where(Action.phone.is_not(None))))
    assert per_phone and max(per_phone.values()) == 4
    per_email = Counter(db.session.scalars(select(Action.email).where(Action.email.like("w%"))))
    assert len(per_email) == 25 and set(per_email.values()) == {6}


@pytest.mark.parametrize("app_config", [limits(TRUSTED_PROXIES=1, RATE_LIMIT_PER_OFFICE="40/hour")])
def test_a_flood_at_one_office_is_cut_at_its_limit(app, client, synced, db):
    html = open_write_page(client).get_data(as_text=True)
    letter = filled(html, phone="", members=[REP])
    plans = {f"203.0.113.{n + 1}": [{**letter, "form_token": secrets.token_urlsafe(24),
                                     "email": f"f{n}-{j}@example.org"} for j in range(6)] for n in range(CLIENTS)}

    outcomes = run_clients(app, client, plans)

    assert outcomes[(303, None)] == 40
    assert outcomes[(200, OFFICE_REFUSAL)] == CLIENTS * 6 - 40
    assert count(db, Delivery.kind == DeliveryKind.OFFICE_MESSAGE, Delivery.recipient_key == REP) == 40
    assert count(db, model=Action) == 40
    # The other offices are still open.
    other = {**letter, "form_token": secrets.token_urlsafe(24), "email": "late@example.org", "members": [SENATOR]}
    assert client.post(WRITE_URL, data=other, headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 303
