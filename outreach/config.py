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
        "ORG_TIMEZONE": _env("ORG_TIMEZONE", "America/New_York"),  # the dashboard's times (IANA name)
        "ORG_SENDER_EMAIL": _env("ORG_SENDER_EMAIL", "outreach@example.org"),
        "RETENTION_DAYS": int(_env("RETENTION_DAYS", "30")),
        "SENDGRID_API_KEY": _env("SENDGRID_API_KEY"),
        "SENDGRID_API_HOST": _env("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        "SENDGRID_WEBHOOK_PUBLIC_KEY": _env("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        "SENDGRID_TIMEOUT": float(_env("SENDGRID_TIMEOUT", "10")),
        "TWILIO_ACCOUNT_SID": _env("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": _env("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": _env("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": _env("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE": _env("TWILIO_API_BASE"),
        "TWILIO_TIMEOUT": float(_env("TWILIO_TIMEOUT", "10")),
        "CWC_HOUSE_API_URL": _env("CWC_HOUSE_API_URL"),
        "CWC_HOUSE_API_KEY": _env("CWC_HOUSE_API_KEY"),
        "CWC_SENATE_API_URL": _env("CWC_SENATE_API_URL"),
        "CWC_SENATE_API_KEY": _env("CWC_SENATE_API_KEY"),
        "CWC_DELIVERY_AGENT_NAME": _env("CWC_DELIVERY_AGENT_NAME"),
        "CWC_DELIVERY_AGENT_EMAIL": _env("CWC_DELIVERY_AGENT_EMAIL"),
        "CWC_DELIVERY_AGENT_PHONE": _env("CWC_DELIVERY_AGENT_PHONE"),
        "CWC_DELIVERY_AGENT_CONTACT_NAME": _env("CWC_DELIVERY_AGENT_CONTACT_NAME"),
        "CWC_TIMEOUT": float(_env("CWC_TIMEOUT", "15")),
        "SMS_MAX_PER_SECOND": float(_env("SMS_MAX_PER_SECOND", "1")),
        # How long a worker may hold a claimed delivery before it counts as killed (must exceed the
        # providers' timeouts), and how long an unclear send waits before the provider is asked about it.
        "DELIVERY_LEASE_SECONDS": float(_env("DELIVERY_LEASE_SECONDS", "60")),
        "WORKER_THREADS": int(_env("WORKER_THREADS", "1")),  # sender threads per `flask outreach worker` process
        "RECONCILE_AFTER_SECONDS": float(_env("RECONCILE_AFTER_SECONDS", "30")),
        # Organizer logins: after this many failures in the window, per account or per client address,
        # even the right password is refused until the window has passed.
        "LOGIN_MAX_FAILURES": int(_env("LOGIN_MAX_FAILURES", "10")),
        "LOGIN_LOCKOUT_MINUTES": int(_env("LOGIN_LOCKOUT_MINUTES", "15")),
        "PASSWORD_LINK_HOURS": int(_env("PASSWORD_LINK_HOURS", "2")),
        # Action alerts.
        "ALERT_DEFAULT_EXPIRY_HOURS": int(_env("ALERT_DEFAULT_EXPIRY_HOURS", "24")),
        "ALERT_MAX_PER_DAY": int(_env("ALERT_MAX_PER_DAY", "3")),
        "QUIET_HOURS_START": int(_env("QUIET_HOURS_START", "20")),  # local hour when alerts stop
        "QUIET_HOURS_END": int(_env("QUIET_HOURS_END", "8")),       # local hour when they may go again
        # Abuse resistance. Limits use Flask-Limiter's notation ("5/minute;50/day").
        "TRUSTED_PROXIES": int(_env("TRUSTED_PROXIES", "0")),
        "RATE_LIMIT_PER_IP": _env("RATE_LIMIT_PER_IP", "10/minute;100/hour"),
        "RATE_LIMIT_LOOKUP": _env("RATE_LIMIT_LOOKUP", "30/minute;600/hour"),
        "RATE_LIMIT_PER_PHONE": _env("RATE_LIMIT_PER_PHONE", "3/hour;10/day"),
        "RATE_LIMIT_PER_EMAIL": _env("RATE_LIMIT_PER_EMAIL", "5/hour;20/day"),
        "RATE_LIMIT_PER_OFFICE": _env("RATE_LIMIT_PER_OFFICE", "60/minute"),
        "FORM_MIN_SECONDS": float(_env("FORM_MIN_SECONDS", "3")),
        "TURNSTILE_SITE_KEY": _env("TURNSTILE_SITE_KEY"),
        "TURNSTILE_SECRET_KEY": _env("TURNSTILE_SECRET_KEY"),
        "TURNSTILE_VERIFY_URL": _env("TURNSTILE_VERIFY_URL",
                                     "https://challenges.cloudflare.com/turnstile/v0/siteverify"),
        # Country calling codes texts may go to; the U.S. (and its territories, +1) by default.
        "SMS_ALLOWED_COUNTRY_CODES": [code.strip().lstrip("+") for code in
                                      (_env("SMS_ALLOWED_COUNTRY_CODES", "1") or "1").split(",") if code.strip()],
        "EMBED_ALLOWED_ORIGINS": (_env("EMBED_ALLOWED_ORIGINS", "") or "").split(),
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


MIN_SECRET_LENGTH = 32
# Values seen in tutorials, samples and this project's own tests: anyone could sign sessions with them.
KNOWN_SECRETS = frozenset({"test-secret", "secret", "changeme", "change-me", "dev", "development", "your-secret-key",
                           "production-test-secret", "s3cr3t", "supersecret", "default"})


def weak_secret(key: str) -> bool:
    """Tell whether a secret key is short, well known, or made of too few different characters."""
    stripped = key.strip()
    return (len(stripped) < MIN_SECRET_LENGTH or stripped.lower() in KNOWN_SECRETS
            or len(set(stripped)) < 10)


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
    if weak_secret(str(config["SECRET_KEY"])):
        raise ConfigurationError(f"OUTREACH_ENV=production needs a random SECRET_KEY of at least {MIN_SECRET_LENGTH} "
                                 "characters (for example: python -c 'import secrets; print(secrets.token_hex(32))').")
    # Production never falls back to the console channel: receipts go by email, scripts by text.
    missing = [name for name in ("SENDGRID_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config.get(name)]
    if not (config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ConfigurationError("OUTREACH_ENV=production needs keys for its channels: " + ", ".join(missing))
