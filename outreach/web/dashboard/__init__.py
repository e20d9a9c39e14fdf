"""The organizer dashboard: every page needs a login, and none may be cached."""

from __future__ import annotations

from flask import Blueprint, current_app, url_for
from flask_login import current_user, login_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# (endpoint, label) in the order the navigation shows them; modules that are not present are left out.
NAVIGATION = (
    ("dashboard.home", "Campaigns"),
    ("dashboard.alerts", "SMS alerts"),
    ("dashboard.inbox", "Inbox"),
    ("dashboard.data_status", "Congress data"),
    ("dashboard.organizers", "Organizers"),
)


@bp.before_request
@login_required
def require_login() -> None:
    """Send anyone not logged in to the login page (Flask-Login adds ?next=)."""


@bp.after_request
def never_cache(response):
    # Organizer pages hold people's data: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def dashboard_navigation() -> dict:
    def nav_links() -> list[tuple[str, str]]:
        links = []
        for endpoint, label in NAVIGATION:
            if endpoint not in current_app.view_functions:
                continue
            if endpoint == "dashboard.organizers" and not (current_user.is_authenticated and current_user.is_admin):
                continue
            links.append((url_for(endpoint), label))
        return links

    return {"dashboard_nav_links": nav_links}


# Route modules register their views on `bp`; imported last so `bp` exists.
from outreach.web.dashboard import alerts, campaigns, inbox, organizers, reports  # noqa: E402,F401
