"""Fixtures: the app on SQLite or PostgreSQL, a client, data loaded from fixtures, and a network guard."""

from __future__ import annotations

import contextvars
import os
import re
import socket
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from outreach import create_app
from outreach.campaigns.services import seed_builtin_campaign
from outreach.congress.sync import sync
from outreach.extensions import db as _db

pytest_plugins = ["tests.fakes.census", "tests.fakes.twilio", "tests.fakes.sendgrid", "tests.fakes.cwc"]

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"
DEFAULT_POSTGRES = "postgresql://127.0.0.1/test"


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database the tests run on (PostgreSQL from TEST_DATABASE_URL)")


# --- network guard -----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def no_real_network(monkeypatch):
    """Fail any connection that leaves 127.0.0.1: providers are faked locally."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            raise AssertionError(f"test tried to reach the network: {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


# --- databases ---------------------------------------------------------------------------------

class Databases:
    """Creates throwaway databases for one test run and drops them at the end."""

    def __init__(self, backend: str, tmp: Path):
        self.backend = backend
        self.tmp = tmp
        self.created: list[str] = []
        self.prefix = f"outreach_test_{uuid.uuid4().hex[:8]}"
        if backend == "postgresql":
            self.admin_url = sa.make_url(_sqlalchemy_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)))
            self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def new(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        database = f"{self.prefix}_{name}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        self.created.append(database)
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.backend != "postgresql":
            return
        with self.admin.connect() as conn:
            for database in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self.admin.dispose()


def _sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory):
    backend = request.config.getoption("--backend")
    dbs = Databases(backend, tmp_path_factory.mktemp("db"))
    if backend == "postgresql":
        try:
            with dbs.admin.connect():
                pass
        except sa.exc.OperationalError as exc:
            message = f"PostgreSQL not reachable at TEST_DATABASE_URL ({dbs.admin_url.render_as_string()}): {exc.orig}"
            if os.environ.get("OUTREACH_REQUIRE_POSTGRES") == "1":
                pytest.fail(message, pytrace=False)
            pytest.skip("SKIPPING PostgreSQL tests — " + message)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def test_database_url(databases):
    """One database for the unit tests; each test empties it."""
    return databases.new("unit")


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "OUTREACH_ENV": "development",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "OUTREACH_DATA_DIR": str(FIXTURE_DATA),
        "GEOCODER": "none",
        "RATELIMIT_ENABLED": False,
        "FORM_MIN_SECONDS": 0,  # the time trap is off unless a test turns it on (tests/test_antibot.py)
        # The fakes take texts as fast as they come; the real default (one a second) would make every test
        # that sends two texts wait. Tests of the limit set their own (tests/test_sms_ratelimit.py).
        "SMS_MAX_PER_SECOND": 1000,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app_config():
    """Per-test overrides of the app configuration (a test may replace or extend this)."""
    return {}


_schema_built: set[str] = set()  # database URLs whose tables this session created


def _fresh_tables(database_url: str) -> None:
    """Give the test empty tables: built once per database, then emptied before each test.

    Emptying takes a tenth of the time of dropping and creating the schema again, which every test paid before.
    A test that changed the schema (tests/test_schema.py runs the migrations down) makes emptying fail, and the
    schema is then built again.
    """
    if database_url in _schema_built:
        try:
            _empty_tables()
            return
        except sa.exc.DBAPIError:
            _db.session.rollback()
    _db.drop_all()
    _db.create_all()
    _schema_built.add(database_url)


def _empty_tables() -> None:
    tables = _db.metadata.sorted_tables
    if _db.engine.dialect.name == "postgresql":
        quote = _db.engine.dialect.identifier_preparer.quote
        _db.session.execute(sa.text(f"TRUNCATE {', '.join(quote(t.name) for t in tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):  # children first: ids restart at 1 once a table is empty
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(test_database_url, app_config):
    app = make_app(test_database_url, **app_config)
    with app.app_context():
        _fresh_tables(test_database_url)
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The `app` fixture keeps an app context pushed for the whole test, and Flask reuses it for each
    test-client request, so `g` (where Flask-Babel caches the locale) would carry over between requests.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def synced(app):
    """The fixture members and ZIP rows, loaded by the real sync, plus the built-in campaign."""
    report = sync(str(FIXTURE_DATA))
    seed_builtin_campaign()
    return report


@pytest.fixture
def census_app_config(fake_census):
    return {"GEOCODER": "census", "CENSUS_GEOCODER_URL": fake_census.base_url, "GEOCODER_TIMEOUT": 1.0}


@pytest.fixture
def live_server(app, synced):
    """Serve the test app, with the fixture data, on a free port of 127.0.0.1 for one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# --- full data (integration) -------------------------------------------------------------------

@pytest.fixture(scope="session")
def full_data_dir():
    value = os.environ.get("OUTREACH_DATA_DIR")
    if not value or not Path(value).is_dir():
        message = f"OUTREACH_DATA_DIR is not a folder ({value!r}); integration tests need the full data"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def full_app(databases, full_data_dir):
    """An app synced once from the full data, shared read-only by the integration tests."""
    app = make_app(databases.new("full"), OUTREACH_DATA_DIR=full_data_dir)
    with app.app_context():
        _db.create_all()
        app.config["FULL_SYNC_REPORT"] = sync(full_data_dir)
        seed_builtin_campaign()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


# --- organizers -----------------------------------------------------------------------------------

ORGANIZER_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """Argon2id with its smallest sensible cost: the real parameters take 0.2 s a hash here, and hundreds of tests
    hash or verify a password (each dashboard test logs in). The algorithm and every code path stay the same;
    tests marked real_password_hashing keep the real parameters."""
    from argon2 import PasswordHasher

    from outreach.organizers import passwords

    if request.node.get_closest_marker("real_password_hashing"):
        yield
        return
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


def _make_organizer(email: str, role: str):
    from outreach.models import Organizer, OrganizerRole
    from outreach.organizers.passwords import hash_password

    organizer = Organizer(email=email, name=email.split("@")[0].title(), role=OrganizerRole(role),
                          password_hash=hash_password(ORGANIZER_PASSWORD))
    _db.session.add(organizer)
    _db.session.commit()
    return organizer


@pytest.fixture
def organizer(app):
    """An organizer (not an admin) whose password is ORGANIZER_PASSWORD."""
    return _make_organizer("organizer@example.org", "organizer")


@pytest.fixture
def admin(app):
    """An admin whose password is ORGANIZER_PASSWORD."""
    return _make_organizer("admin@example.org", "admin")


def log_in(client, organizer) -> None:
    """Give a test client a logged-in session, as Flask-Login would after a successful login."""
    with client.session_transaction() as session:
        session["_user_id"] = organizer.session_token
        session["_fresh"] = True


@pytest.fixture
def dashboard_client(client, organizer):
    """A client logged in as `organizer`."""
    log_in(client, organizer)
    return client


@pytest.fixture
def admin_client(client, admin):
    """A client logged in as `admin`."""
    log_in(client, admin)
    return client


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)
