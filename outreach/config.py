"""Configuration read from environment variables: plain values, never clients."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from outreach.congress.geocoder import DEFAULT_BENCHMARK, DEFAULT_CENSUS_URL, DEFAULT_TIMEOUT, DEFAULT_VINTAGE


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment() -> dict:
    """Return the settings named in the README's configuration table."""
    return {
        "OUTREACH_ENV": _env("OUTREACH_ENV", "development"),
        "DATABASE_URL": _env("DATABASE_URL"),
        "SECRET_KEY": _env("SECRET_KEY"),
        "OUTREACH_DATA_DIR": _env("OUTREACH_DATA_DIR"),
        "GEOCODER": _env("GEOCODER", "census"),
        "CENSUS_GEOCODER_URL": _env("CENSUS_GEOCODER_URL", DEFAULT_CENSUS_URL),
        "CENSUS_BENCHMARK": _env("CENSUS_BENCHMARK", DEFAULT_BENCHMARK),
        "CENSUS_VINTAGE": _env("CENSUS_VINTAGE", DEFAULT_VINTAGE),
        "GEOCODER_TIMEOUT": float(_env("GEOCODER_TIMEOUT", str(DEFAULT_TIMEOUT))),
        "PUBLIC_BASE_URL": _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "REDIS_URL": _env("REDIS_URL"),
        "OUTREACH_EMBEDDED_WORKER": _env_bool("OUTREACH_EMBEDDED_WORKER", True),
        "ORG_NAME": _env("ORG_NAME", "Outreach (development)"),
        "ORG_HELP_CONTACT": _env("ORG_HELP_CONTACT", "help@example.org"),
    }


def resolve_database_url(url: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL, placing the default SQLite file in the instance folder."""
    if url is None:
        return f"sqlite:///{Path(instance_path) / 'outreach.db'}"
    # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants psycopg 3 explicitly.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def development_secret_key(instance_path: str) -> str:
    """Return the development secret stored in the instance folder, creating it once."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable deployment."""


def check_production(config: dict) -> None:
    """Refuse settings that are unsafe outside development."""
    if config["OUTREACH_ENV"] not in {"development", "production"}:
        raise ConfigurationError("OUTREACH_ENV must be 'development' or 'production'.")
    if config["OUTREACH_ENV"] != "production":
        return
    if not config.get("SECRET_KEY"):
        raise ConfigurationError("OUTREACH_ENV=production needs SECRET_KEY.")
    if config.get("DEBUG"):
        raise ConfigurationError("OUTREACH_ENV=production refuses to run with debug on.")
