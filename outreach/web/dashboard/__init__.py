"""The organizer dashboard: every page needs a login, and none may be cached."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user, login_required

from outreach.web.dashboard import times

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# (endpoint, label) in the order the navigation shows them.
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
        admin = current_user.is_authenticated and current_user.is_admin
        return [(url_for(endpoint), label) for endpoint, label in NAVIGATION
                if admin or endpoint != "dashboard.organizers"]

    return {"dashboard_nav_links": nav_links}


# Dashboard times are shown in the organization's zone; a misspelt zone stops the app at start, not on a page.
bp.record_once(lambda state: times.check_zone(state.app.config["ORG_TIMEZONE"]))
bp.add_app_template_filter(times.org_time, "org_time")


# Route modules register their views on `bp`; imported last so `bp` exists.
from outreach.web.dashboard import alerts, campaigns, inbox, organizers, reports  # noqa: E402,F401
