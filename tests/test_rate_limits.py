"""Rate limits: per client address on public POSTs and the lookup API, per phone number, email address and
target office on the forms that send, the client address taken from trusted proxies only, and Redis storage.

Limits are set per test in hours so that no window can roll over while a test runs.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from outreach.models import Action, Delivery, Subscriber
from tests.conftest import csrf_token, make_app
from tests.test_action_form import WRITE_URL, errors_at, filled, open_write_page
from tests.test_pages import ACTION_URL, parse

HIGH = "1000/hour"
PHONE_REFUSAL = "Too many messages from this number right now; try again later."
EMAIL_REFUSAL = "Too many messages from this email address right now; try again later."
OFFICE_REFUSAL = ("This office is getting a great many messages right now, so we are pausing for a few minutes. "
                  "Please try again later.")
POLITE_429 = "You have sent a lot of requests in a short time. Please wait a few minutes and try again."
REP, SENATOR = "S001145", "D000563"


def limits(**overrides) -> dict:
    """App config with rate limiting on, everything generous unless a test tightens it."""
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "RATE_LIMIT_PER_IP": HIGH,
            "RATE_LIMIT_LOOKUP": HIGH, "RATE_LIMIT_PER_PHONE": HIGH, "RATE_LIMIT_PER_EMAIL": HIGH,
            "RATE_LIMIT_PER_OFFICE": HIGH, **overrides}


@pytest.fixture
def app_config():
    return limits()


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def submit(client, data: dict, ip: str = "127.0.0.1", **fields):
    """Post the write form as a new submission (a fresh one-time token) from `ip`."""
    return client.post(WRITE_URL, data={**data, "form_token": secrets.token_urlsafe(24), **fields},
                       environ_base={"REMOTE_ADDR": ip})


@pytest.fixture
def write_form(client, synced):
    return open_write_page(client).get_data(as_text=True)


# --- per client address --------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_IP="3/hour")])
def test_public_posts_share_one_budget_per_address(client, synced):
    token = csrf_token(client.get(ACTION_URL).get_data(as_text=True))
    ip = {"REMOTE_ADDR": "10.1.1.1"}
    for _ in range(3):
        assert client.post(ACTION_URL, data={"csrf_token": token, "zip_code": "60202"}, environ_base=ip).status_code == 200
    refused = client.post(ACTION_URL, data={"csrf_token": token, "zip_code": "60202"}, environ_base=ip)
    assert refused.status_code == 429
    assert POLITE_429 in refused.get_data(as_text=True)
    assert "Content-Security-Policy" in refused.headers and refused.headers.get("Retry-After")
    # The budget is per address and shared by every public form; reading pages is not limited.
    assert client.post("/subscribe", data={"csrf_token": token}, environ_base=ip).status_code == 429
    assert client.get(ACTION_URL, environ_base=ip).status_code == 200
    other = client.post(ACTION_URL, data={"csrf_token": token, "zip_code": "60202"},
                        environ_base={"REMOTE_ADDR": "10.1.1.2"})
    assert other.status_code == 200


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_LOOKUP="2/hour")])
def test_lookup_api_is_limited_with_a_json_error(client, synced):
    for _ in range(2):
        assert client.get("/api/v1/lookup", query_string={"zip": "60202"}).status_code == 200
    refused = client.get("/api/v1/lookup", query_string={"zip": "60202"})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.get_json()["error"]["message"]


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_IP="3/hour")])
def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, synced):
    token = csrf_token(client.get(ACTION_URL).get_data(as_text=True))
    statuses = [client.post(ACTION_URL, data={"csrf_token": token, "zip_code": "60202"},
                            headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_IP="3/hour", TRUSTED_PROXIES=1)])
def test_with_one_trusted_proxy_only_its_hop_counts(client, synced):
    token = csrf_token(client.get(ACTION_URL).get_data(as_text=True))

    def post(forwarded: str) -> int:
        return client.post(ACTION_URL, data={"csrf_token": token, "zip_code": "60202"},
                           headers={"X-Forwarded-For": forwarded}).status_code

    # A client cannot escape its limit by adding addresses of its own in front of what the proxy appended.
    assert [post(f"198.51.100.{n}, 203.0.113.5") for n in range(4)] == [200, 200, 200, 429]
    assert post("203.0.113.6") == 200  # another client behind the same proxy


def test_the_login_post_is_limited_per_address(client, organizer, db):
    client.application.config["RATE_LIMIT_PER_IP"] = "2/hour"
    if "auth.login" not in client.application.view_functions:
        pytest.fail("auth.login is not registered")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": organizer.email, "password": "wrong"}
    statuses = [client.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.2.2.2"}).status_code
                for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]


# --- per phone, email, office ----------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="2/hour")])
def test_per_phone_limit_refuses_politely_and_queues_nothing(client, write_form, db):
    data = filled(write_form, offices=False, script=True)
    for n in range(2):
        assert submit(client, data, ip=f"10.3.0.{n}").status_code == 303
    deliveries = count(db, Delivery)
    refused = submit(client, data, ip="10.3.0.9", phone="312.555.0123")  # the same number, written differently
    assert refused.status_code == 200
    assert errors_at(parse(refused.get_data(as_text=True)), "phone") == [PHONE_REFUSAL]
    assert count(db, Action) == 2 and count(db, Delivery) == deliveries
    assert submit(client, data, phone="(312) 555-0188").status_code == 303  # another number is fine


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_EMAIL="2/hour")])
def test_per_email_limit(client, write_form, db):
    data = filled(write_form)
    for n in range(2):
        assert submit(client, data, phone="").status_code == 303
    refused = submit(client, data, phone="", email="ANA.QUINTERO@EXAMPLE.ORG")
    assert errors_at(parse(refused.get_data(as_text=True)), "email") == [EMAIL_REFUSAL]
    assert count(db, Action) == 2
    assert submit(client, data, phone="", email="someone.else@example.org").status_code == 303


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_OFFICE="2/hour")])
def test_per_office_limit_is_keyed_by_each_office(client, write_form, db):
    data = filled(write_form, members=[REP])
    for n in range(2):
        assert submit(client, data, phone="", email=f"p{n}@example.org").status_code == 303
    refused = submit(client, data, phone="", email="p3@example.org")
    assert errors_at(parse(refused.get_data(as_text=True)), "members") == [OFFICE_REFUSAL]
    assert count(db, Action) == 2
    # Another office is not affected; a text-only action messages no office and is not counted.
    assert submit(client, data, phone="", email="p4@example.org", members=[SENATOR]).status_code == 303
    script_only = filled(write_form, offices=False, script=True, members=[REP])
    assert submit(client, script_only, email="p5@example.org").status_code == 303


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="1/hour")])
def test_a_repeated_post_of_the_same_form_is_not_counted_again(client, write_form, db):
    data = {**filled(write_form, offices=False, script=True), "form_token": secrets.token_urlsafe(24)}
    first = client.post(WRITE_URL, data=data)
    again = client.post(WRITE_URL, data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count(db, Action) == 1


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="1/hour")])
def test_subscribe_is_limited_per_phone(client, synced, db):
    def post():
        html = client.get("/subscribe").get_data(as_text=True)
        return client.post("/subscribe", data={"csrf_token": csrf_token(html), "phone": "(312) 555-0123",
                                               "language": "en", "consent": "y"})

    assert post().status_code == 303
    deliveries = count(db, Delivery)
    refused = post()
    assert errors_at(parse(refused.get_data(as_text=True)), "phone") == [PHONE_REFUSAL]
    assert count(db, Subscriber) == 1 and count(db, Delivery) == deliveries


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="5/hour", RATE_LIMIT_PER_EMAIL="5/hour")])
def test_the_limit_store_never_holds_a_number_or_address(client, write_form, app):
    assert submit(client, filled(write_form, script=True)).status_code == 303
    storage = app.extensions["outreach.limits"].storage
    keys = " ".join(list(storage.events) + list(storage.storage))
    assert "outreach/phone/" in keys and "outreach/email/" in keys and "outreach/office/" in keys
    for secret in ("5550123", "+13125550123", "quintero", "example.org"):
        assert secret not in keys.lower()


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="1/hour")])
def test_rate_limiting_switched_off_limits_nothing(client, write_form, db):
    client.application.config["RATELIMIT_ENABLED"] = False
    for _ in range(3):
        assert submit(client, filled(write_form, offices=False, script=True)).status_code == 303


# --- Redis -------------------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379: {exc}")
    connection.flushdb()
    yield connection
    connection.flushdb()


REDIS_LIMITS = {**{k: v for k, v in limits().items() if k != "RATELIMIT_STORAGE_URI"},
                "REDIS_URL": REDIS_URL, "RATE_LIMIT_PER_PHONE": "2/hour"}


@pytest.mark.parametrize("app_config", [REDIS_LIMITS])
def test_limits_live_in_redis_and_are_shared_by_processes(redis_db, client, write_form, db, test_database_url):
    app = client.application
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL  # REDIS_URL alone selects Redis
    data = filled(write_form, offices=False, script=True)
    assert submit(client, data).status_code == 303
    # Another process (another app on the same Redis) counts a second message from the number...
    other = make_app(test_database_url, **REDIS_LIMITS)
    with other.test_request_context():
        assert other.extensions["outreach.limits"].hit("RATE_LIMIT_PER_PHONE", "phone", "+13125550123")
    # ...so this one refuses a third.
    refused = submit(client, data)
    assert errors_at(parse(refused.get_data(as_text=True)), "phone") == [PHONE_REFUSAL]
    keys = [k.decode() for k in redis_db.keys("*")]
    assert any("outreach/phone/" in k for k in keys)
    assert any("LIMITER/" in k and "public-post" in k for k in keys), keys  # Flask-Limiter per address
    assert not any("5550123" in k or "example.org" in k for k in keys)


@pytest.mark.parametrize("app_config", [limits(RATE_LIMIT_PER_PHONE="1/hour")])
def test_an_unreachable_redis_falls_back_to_counting_in_memory(client, write_form, db, caplog):
    pytest.importorskip("redis")
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from outreach.web.limits import SubmissionLimits

    nowhere = storage_from_string("redis://127.0.0.1:1/0")  # nothing listens on port 1
    client.application.extensions["outreach.limits"] = SubmissionLimits(nowhere, MovingWindowRateLimiter(nowhere))
    data = filled(write_form, offices=False, script=True)
    assert submit(client, data).status_code == 303
    assert "rate-limit storage unreachable" in caplog.text
    refused = submit(client, data)
    assert errors_at(parse(refused.get_data(as_text=True)), "phone") == [PHONE_REFUSAL]
