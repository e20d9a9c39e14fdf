"""Organizer login, its throttle, logout, the account page and password reset links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach.models import Delivery, DeliveryKind, LoginFailure, Medium, Organizer, OrganizerToken, TokenPurpose
from outreach.models.base import utcnow
from outreach.organizers import services
from outreach.organizers.passwords import hash_password, verify_password
from outreach.web.auth import INVALID_LOGIN
from tests.conftest import ORGANIZER_PASSWORD, csrf_token, log_in

IP = "203.0.113.7"
OTHER_IP = "198.51.100.23"
NEW_PASSWORD = "a different long passphrase"
_HIDDEN = re.compile(r"<input[^>]*>")


@pytest.fixture
def app_config():
    # The anti-bot time trap (FORM_MIN_SECONDS) would refuse a test client that posts at once.
    return {"FORM_MIN_SECONDS": 0, "PUBLIC_BASE_URL": "https://outreach.example.org", "ORG_NAME": "Test Org"}


def hidden_fields(html: str) -> dict[str, str]:
    """Return the hidden inputs of the first form in a page (CSRF, and whatever a base form class adds)."""
    form = html[html.index("<form", html.index("<main")):]
    form = form[:form.index("</form>")]
    fields = {}
    for tag in _HIDDEN.findall(form):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
    return fields


def submit(client, url: str, data: dict, ip: str = IP, **kwargs):
    """GET a form page, then POST it with the page's hidden fields plus `data`."""
    page = client.get(url, environ_base={"REMOTE_ADDR": ip})
    return client.post(url, data={**hidden_fields(page.get_data(as_text=True)), **data},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


def login(client, email: str, password: str, ip: str = IP, next_: str | None = None):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return submit(client, url, {"email": email, "password": password}, ip=ip)


def is_logged_in(client) -> bool:
    """Return whether the client's session opens a login-only page."""
    return client.get("/account").status_code == 200


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" id="([^"]+)-error">([^<]*)</p>', html)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


# --- login -----------------------------------------------------------------------------------------

def test_login_lands_on_the_dashboard_and_records_the_time(client, organizer, db):
    response = login(client, "Organizer@Example.org ", ORGANIZER_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/dashboard/", "/dashboard")
    assert db.session.get(Organizer, organizer.id).last_login_at is not None
    assert is_logged_in(client)


def test_login_page_is_csrf_protected(client, organizer):
    response = client.post("/login", data={"email": organizer.email, "password": ORGANIZER_PASSWORD})
    assert response.status_code == 400
    assert not is_logged_in(client)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, organizer):
    wrong = login(client, organizer.email, "not the password at all")
    unknown = login(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert errors(wrong.get_data(as_text=True)) == errors(unknown.get_data(as_text=True))
    assert errors(wrong.get_data(as_text=True)) == [("password", INVALID_LOGIN)]
    assert not is_logged_in(client)


def test_empty_fields_get_errors_next_to_them(client):
    response = submit(client, "/login", {"email": "", "password": ""})
    assert dict(errors(response.get_data(as_text=True))) == {
        "email": "Enter your email address.", "password": "Enter your password."}


def test_ten_wrong_passwords_then_the_right_one_is_refused(client, organizer, db):
    for _ in range(10):
        assert login(client, organizer.email, "wrong password guess").status_code == 200
    response = login(client, organizer.email, ORGANIZER_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert not is_logged_in(client)
    # No email address in clear in the throttle table.
    keys = set(db.session.scalars(select(LoginFailure.key)))
    assert keys == {services.account_key(organizer.email), f"ip:{IP}"}
    assert not any("@" in key for key in keys)


def test_the_account_is_throttled_from_another_address_too(client, organizer):
    for _ in range(10):
        login(client, organizer.email, "wrong password guess", ip=IP)
    response = login(client, organizer.email, ORGANIZER_PASSWORD, ip=OTHER_IP)
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_an_address_is_throttled_across_accounts(client, organizer):
    for number in range(10):
        login(client, f"guess{number}@example.org", "wrong password guess", ip=IP)
    assert login(client, organizer.email, ORGANIZER_PASSWORD, ip=IP).status_code == 429
    assert not is_logged_in(client)
    # The account itself is not locked: the right password from elsewhere works.
    assert login(client, organizer.email, ORGANIZER_PASSWORD, ip=OTHER_IP).status_code == 302


def test_the_throttle_ends_when_the_window_has_passed(app, organizer, db):
    start = utcnow()
    for _ in range(10):
        assert not services.authenticate(organizer.email, "wrong", IP, now=start).ok
    assert services.authenticate(organizer.email, ORGANIZER_PASSWORD, IP, now=start + timedelta(minutes=5)).throttled
    later = start + timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"], seconds=1)
    result = services.authenticate(organizer.email, ORGANIZER_PASSWORD, IP, now=later)
    assert result.ok
    # Failures older than the window were pruned on the way.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_nine_failures_do_not_lock_and_a_success_clears_the_account_count(app, organizer, db):
    now = utcnow()
    for _ in range(9):
        services.authenticate(organizer.email, "wrong", IP, now=now)
    assert services.authenticate(organizer.email, ORGANIZER_PASSWORD, OTHER_IP, now=now).ok
    remaining = set(db.session.scalars(select(LoginFailure.key)))
    assert remaining == {f"ip:{IP}"}  # the address keeps its count: one good account must not reset it


def test_a_disabled_organizer_cannot_log_in(client, organizer, db):
    organizer.enabled = False
    db.session.commit()
    response = login(client, organizer.email, ORGANIZER_PASSWORD)
    assert response.status_code == 200
    assert errors(response.get_data(as_text=True)) == [("password", INVALID_LOGIN)]


@pytest.mark.real_password_hashing
def test_an_old_hash_is_replaced_on_login(app, organizer, db):
    from argon2 import PasswordHasher

    organizer.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(ORGANIZER_PASSWORD)
    db.session.commit()
    assert services.authenticate(organizer.email, ORGANIZER_PASSWORD, IP).ok
    new_hash = db.session.get(Organizer, organizer.id).password_hash
    assert new_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106's second recommendation
    assert verify_password(new_hash, ORGANIZER_PASSWORD)


@pytest.mark.real_password_hashing
def test_password_hashes_are_argon2id_and_verify_never_raises():
    hashed = hash_password("twelve chars ok")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "twelve chars ok")
    assert not verify_password(hashed, "twelve chars no")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")
    assert not verify_password("", "anything")


# --- where login sends you -------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/dashboard/", "https://evil.example", "http://evil.example/",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "/%09/evil.example".replace("%09", "\t"),
    "javascript:alert(1)", "http:evil.example", "evil.example", "///evil.example", " //evil.example",
])
def test_next_never_leaves_the_site(client, organizer, target):
    response = submit(client, "/login", {"email": organizer.email, "password": ORGANIZER_PASSWORD},
                      query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/dashboard/", "/dashboard")


def test_next_on_this_site_is_honoured(client, organizer):
    page = client.get("/login", query_string={"next": "/dashboard/organizers?x=1"})
    response = client.post("/login", query_string={"next": "/dashboard/organizers?x=1"},
                           data={**hidden_fields(page.get_data(as_text=True)), "email": organizer.email,
                                 "password": ORGANIZER_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/organizers?x=1"


def _login_only_paths(app) -> list[str]:
    """Every GET page under /dashboard (arguments filled with placeholders), and the account page."""
    paths = ["/account"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/dashboard") and "GET" in rule.methods:
            values = {name: 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"
                      for name in rule.arguments}
            paths.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    return paths


def test_anonymous_visitors_are_sent_to_login(app, client):
    paths = _login_only_paths(app)
    assert "/dashboard/organizers" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].split("?")[0].endswith("/login"), path


def test_a_logged_in_visit_to_login_goes_to_the_dashboard(dashboard_client):
    response = dashboard_client.get("/login")
    assert response.status_code == 302


# --- logout and sessions ------------------------------------------------------------------------------

def test_logout_then_replaying_the_old_cookie_is_sent_to_login(client, organizer):
    login(client, organizer.email, ORGANIZER_PASSWORD)
    old_cookie = session_cookie(client)
    account = client.get("/account")
    assert account.status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(account.get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    client.set_cookie("session", old_cookie)  # an attacker who copied the cookie earlier
    replay = client.get("/dashboard/organizers")
    assert replay.status_code == 302
    assert replay.headers["Location"].split("?")[0].endswith("/login")
    assert client.get("/account").status_code == 302


def test_logout_is_post_only_and_needs_csrf(dashboard_client):
    assert dashboard_client.get("/logout").status_code == 405
    assert dashboard_client.post("/logout").status_code == 400
    assert is_logged_in(dashboard_client)


def test_auth_pages_are_not_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


# --- account page ---------------------------------------------------------------------------------------

def _second_session(app, organizer):
    other = app.test_client()
    log_in(other, organizer)
    assert is_logged_in(other)
    return other


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, client, organizer, db):
    login(client, organizer.email, ORGANIZER_PASSWORD)
    other = _second_session(app, organizer)
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account/password", data={"csrf_token": csrf_token(page),
                                                      "current_password": ORGANIZER_PASSWORD,
                                                      "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(other)
    db.session.expire_all()
    assert verify_password(db.session.get(Organizer, organizer.id).password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("fields, field, message", [
    ({"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "current_password", "That is not your current password."),
    ({"current_password": ORGANIZER_PASSWORD, "new_password": "short", "confirm": "short"},
     "new_password", "Use at least 12 characters."),
    ({"current_password": ORGANIZER_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
     "confirm", "The two passwords are not the same."),
])
def test_password_change_errors_sit_next_to_their_field(dashboard_client, organizer, db, fields, field, message):
    token_before = organizer.session_token
    page = dashboard_client.get("/account").get_data(as_text=True)
    response = dashboard_client.post("/account/password", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code == 400
    assert (field, message) in errors(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Organizer, organizer.id).session_token == token_before


def test_setting_the_phone_validates_and_stores_e164(dashboard_client, organizer, db):
    page = dashboard_client.get("/account").get_data(as_text=True)
    bad = dashboard_client.post("/account/phone", data={"csrf_token": csrf_token(page), "phone": "12345"})
    assert bad.status_code == 400
    assert [name for name, _ in errors(bad.get_data(as_text=True))] == ["phone"]
    good = dashboard_client.post("/account/phone", data={"csrf_token": csrf_token(page), "phone": "(312) 555-0123"})
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organizer, organizer.id).phone == "+13125550123"
    dashboard_client.post("/account/phone", data={"csrf_token": csrf_token(page), "phone": ""})
    db.session.expire_all()
    assert db.session.get(Organizer, organizer.id).phone is None


# --- password reset ------------------------------------------------------------------------------------------

def _reset_deliveries(db) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.ORGANIZER_EMAIL)))


def _link_path(delivery: Delivery) -> str:
    match = re.search(r"https://outreach\.example\.org(/(?:reset|invite)/[A-Za-z0-9_-]+)", delivery.body)
    assert match, delivery.body
    return match.group(1)


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(client, organizer, db):
    known = submit(client, "/forgot", {"email": organizer.email})
    unknown = submit(client, "/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 (CSRF tokens differ)
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    [delivery] = _reset_deliveries(db)
    assert (delivery.medium, delivery.organizer_id, delivery.recipient_key) == (Medium.EMAIL, organizer.id, "organizer")
    assert organizer.email not in delivery.body and "@" not in delivery.recipient_key
    token = db.session.scalar(select(OrganizerToken))
    raw = _link_path(delivery).rsplit("/", 1)[1]
    assert token.purpose is TokenPurpose.PASSWORD_RESET and raw not in token.token_hash
    assert len(token.token_hash) == 64


def test_the_outbox_addresses_a_reset_email_to_the_organizer(app, organizer, db):
    from outreach.delivery.outbox import outgoing_message

    services.request_password_reset(organizer.email)
    [delivery] = _reset_deliveries(db)
    message = outgoing_message(delivery, app.config)
    assert message.to == organizer.email and "/reset/" in message.body


def test_no_reset_email_for_a_disabled_account(app, organizer, db):
    organizer.enabled = False
    db.session.commit()
    assert services.request_password_reset(organizer.email) is False
    assert _reset_deliveries(db) == []


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app, client, organizer, db):
    other = _second_session(app, organizer)
    services.request_password_reset(organizer.email)
    path = _link_path(_reset_deliveries(db)[0])
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                       "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not is_logged_in(other)
    assert login(client, organizer.email, NEW_PASSWORD).status_code == 302
    # Single use: the page and the form both refuse the spent link.
    again = client.get(path)
    assert again.status_code == 404
    with pytest.raises(services.AccountError):
        services.reset_password_with_token(path.rsplit("/", 1)[1], "yet another long password")


def test_a_reset_link_expires(app, organizer, db):
    issued = utcnow()
    services.request_password_reset(organizer.email, now=issued)
    raw = _link_path(_reset_deliveries(db)[0]).rsplit("/", 1)[1]
    hours = app.config["PASSWORD_LINK_HOURS"]
    assert services.organizer_for_token(raw, TokenPurpose.PASSWORD_RESET, now=issued + timedelta(hours=hours - 0.1))
    late = issued + timedelta(hours=hours, seconds=1)
    assert services.organizer_for_token(raw, TokenPurpose.PASSWORD_RESET, now=late) is None
    with pytest.raises(services.AccountError):
        services.reset_password_with_token(raw, NEW_PASSWORD, now=late)
    db.session.expire_all()
    assert verify_password(db.session.get(Organizer, organizer.id).password_hash, ORGANIZER_PASSWORD)


def test_a_newer_reset_link_replaces_the_older_one(app, organizer, db):
    services.request_password_reset(organizer.email)
    services.request_password_reset(organizer.email)
    first, second = (_link_path(d).rsplit("/", 1)[1] for d in _reset_deliveries(db))
    assert services.organizer_for_token(first, TokenPurpose.PASSWORD_RESET) is None
    assert services.organizer_for_token(second, TokenPurpose.PASSWORD_RESET) is not None


def test_a_reset_link_is_not_an_invitation_link(app, organizer, db):
    services.request_password_reset(organizer.email)
    raw = _link_path(_reset_deliveries(db)[0]).rsplit("/", 1)[1]
    assert services.organizer_for_token(raw, TokenPurpose.INVITATION) is None


def test_an_unknown_reset_link_is_404(client):
    assert client.get("/reset/not-a-real-token-at-all").status_code == 404


def test_a_short_new_password_is_refused_next_to_its_field(client, organizer, db):
    services.request_password_reset(organizer.email)
    path = _link_path(_reset_deliveries(db)[0])
    page = client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(page), "password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert ("password", "Use at least 12 characters.") in errors(response.get_data(as_text=True))


def test_reset_tokens_are_redacted_from_request_logs():
    from outreach.privacy import drop_query_strings

    line = '127.0.0.1 - - "GET /reset/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde HTTP/1.1" 200 -'
    assert "AbCdEfGh" not in drop_query_strings(line)
    line = '127.0.0.1 - - "POST /invite/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde HTTP/1.1" 302 -'
    assert "AbCdEfGh" not in drop_query_strings(line)


def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit_checked(app, organizer, monkeypatch):
    import threading
    import time

    from outreach.extensions import db as _db

    real_verify = services.verify_password
    checked = []

    def slow_verify(password_hash, password):
        checked.append(1)
        time.sleep(0.05)  # keeps the guesses in flight together, as a real burst would be
        return real_verify(password_hash, password)

    monkeypatch.setattr(services, "verify_password", slow_verify)
    email = organizer.email  # read here: the fixture's object belongs to this thread's session
    results = []

    def guess(number: int) -> None:
        with app.app_context():
            results.append(services.authenticate(email, f"guess {number}", f"192.0.2.{number}"))
            _db.session.remove()

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 25 and not any(result.ok for result in results)
    assert len(checked) <= app.config["LOGIN_MAX_FAILURES"]
    assert sum(result.throttled for result in results) >= 25 - app.config["LOGIN_MAX_FAILURES"]


def test_the_login_form_has_the_bot_traps(app, client, organizer, db):
    app.config["FORM_MIN_SECONDS"] = 3
    too_fast = login(client, organizer.email, ORGANIZER_PASSWORD)
    assert too_fast.status_code == 200
    assert 'class="error form-error"' in too_fast.get_data(as_text=True)
    assert not is_logged_in(client)
    app.config["FORM_MIN_SECONDS"] = 0
    honeypot = submit(client, "/login", {"email": organizer.email, "password": ORGANIZER_PASSWORD,
                                         "website": "http://spam.example"})
    assert 'class="error form-error"' in honeypot.get_data(as_text=True)
    assert not is_logged_in(client)
    # Refused before the password was looked at: nothing counted against the account.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_logs_name_no_email_address_and_no_link_token(client, organizer, db, caplog):
    caplog.set_level("DEBUG")
    login(client, organizer.email, "wrong password guess")
    login(client, organizer.email, ORGANIZER_PASSWORD)
    submit(client, "/forgot", {"email": organizer.email})
    submit(client, "/forgot", {"email": "nobody@example.org"})
    raw = _link_path(_reset_deliveries(db)[0]).rsplit("/", 1)[1]
    assert f"organizer {organizer.id} logged in" in caplog.text
    assert organizer.email not in caplog.text and "nobody@example.org" not in caplog.text
    assert raw not in caplog.text


def test_an_invited_organizer_who_lost_the_invitation_can_ask_for_a_reset(app, admin, db):
    invited = services.invite(admin, "late@example.org", "Late", services.OrganizerRole.ORGANIZER)
    assert services.request_password_reset("LATE@example.org") is True
    raw = _reset_deliveries(db)[-1].body.split("/reset/", 1)[1].split()[0]
    services.reset_password_with_token(raw, NEW_PASSWORD)
    assert services.authenticate("late@example.org", NEW_PASSWORD, IP).organizer.id == invited.id
