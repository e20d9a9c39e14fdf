"""Form protections against bots (being written): a honeypot, a time trap and optional Turnstile."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ProtectedForm(FlaskForm):
    """Base class for public-facing forms that bots target (action, subscribe, login)."""
