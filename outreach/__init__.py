"""Outreach: action pages, messages and SMS alerts for sign-on letter campaigns."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from outreach import config as settings
from outreach.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, then extensions, then blueprints, then CLI."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), static_folder="static",
                instance_path=str(PROJECT_ROOT / "instance"))
    _configure(app, test_config)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _configure(app: Flask, test_config: dict | None) -> None:
    app.config.update(settings.from_environment())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.resolve_database_url(
        app.config.get("DATABASE_URL"), app.instance_path)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    if not app.config.get("SECRET_KEY") and app.config["OUTREACH_ENV"] == "development":
        app.config["SECRET_KEY"] = settings.development_secret_key(app.instance_path)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A Redis outage must not turn every public form into an error page: limits fall back to process memory.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    settings.check_production(app.config)
    # Twilio's logger prints full request URLs and bodies, phone numbers included (DESIGN convention 9).
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


def _init_extensions(app: Flask) -> None:
    from outreach import models  # noqa: F401  (registers the tables with the metadata)
    from outreach.congress.geocoder import geocoder_from_config
    from outreach.delivery.channels import channels_from_config
    from outreach.delivery.worker import install_embedded_worker
    from outreach.organizers.sessions import load_organizer
    from outreach.privacy import install_log_redaction
    from outreach.security import install_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(load_organizer)
    app.extensions["outreach.geocoder"] = geocoder_from_config(app.config)
    app.extensions["outreach.channels"] = channels_from_config(app.config)
    install_embedded_worker(app)
    install_log_redaction()
    install_security(app)


def _register_blueprints(app: Flask) -> None:
    from outreach.web import actions, api, auth, dashboard, health, public, subscribe, webhooks

    app.register_blueprint(public.bp)
    app.register_blueprint(actions.bp)
    app.register_blueprint(subscribe.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)


def _register_cli(app: Flask) -> None:
    from outreach.cli import outreach_cli

    app.cli.add_command(outreach_cli)
