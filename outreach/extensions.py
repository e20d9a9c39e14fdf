"""Unbound extensions, bound to an app in create_app."""

from __future__ import annotations

from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SUPPORTED_LOCALES = ("en", "es")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def select_locale() -> str:
    """Pick the language: an explicit choice, then the browser's preference."""
    chosen = request.args.get("lang")
    if chosen in SUPPORTED_LOCALES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in SUPPORTED_LOCALES:
        return session["lang"]
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says why on its own; no flashed English on public pages
# "strong" would end the session when the client address changes (phones roam between networks);
# the session token on the organizer row is what ends sessions.
login_manager.session_protection = "basic"
