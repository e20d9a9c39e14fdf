"""Configuration from the environment, and what production refuses."""

from __future__ import annotations

import pytest

from outreach import create_app
from outreach.config import ConfigurationError, resolve_database_url


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "production")
    with pytest.raises(ConfigurationError, match="debug"):
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 32, "DEBUG": True})


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("OUTREACH_ENV", "staging")
    with pytest.raises(ConfigurationError, match="OUTREACH_ENV"):
        create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "s"})


def test_development_generates_one_secret_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("OUTREACH_ENV", "development")
    monkeypatch.setattr("outreach.PROJECT_ROOT", tmp_path)
    first = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_urls(url, expected):
    assert resolve_database_url(url, "/instance") == expected


def test_default_database_lives_in_the_instance_folder():
    assert resolve_database_url(None, "/srv/instance") == "sqlite:////srv/instance/outreach.db"


def test_geocoder_none_turns_address_lookup_off():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "s", "GEOCODER": "none"})
    assert app.extensions["outreach.geocoder"] is None
