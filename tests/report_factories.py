"""Actions for the report, export and dashboard tests, made through the real submit_action service."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select, update

from outreach.actions.services import ActionSubmission, submit_action
from outreach.extensions import db
from outreach.models import Action, Campaign

_tokens = itertools.count(1)

# Members the fixture lookup gives for a confirmed district (tests/fixtures/README.md).
SEATS = {
    ("IL", 9): ["S001145", "D000563", "D000622"],   # Schakowsky signed; Durbin, Duckworth were senators
    ("IL", 7): ["D000096", "D000563", "D000622"],   # Davis: not listed
    ("NY", 10): ["G000599", "S000148", "G000555"],  # Goldman: not in office in 2021
    ("DC", 0): ["N000147"],                         # Norton: delegate, not listed
    ("WY", 0): ["H001096", "B001261", "L000571"],
}


def builtin_campaign() -> Campaign:
    return db.session.scalar(select(Campaign).where(Campaign.slug == "end-ice-entanglement"))


def make_action(campaign: Campaign, *, demand: int = 0, seat: tuple[str, int] = ("IL", 9),
                members: list[str] | None = None, at: datetime | None = None, first_name: str = "Ana",
                last_name: str = "Diaz", email: str = "", phone: str = "", text_me_script: bool = False,
                send_to_offices: bool = True, locale: str = "en") -> Action:
    """Submit one action as the form would, then move its timestamp to `at` (UTC)."""
    state, district = seat
    submission = ActionSubmission(
        form_token=f"report-test-{next(_tokens)}", campaign=campaign, demand=campaign.demands[demand],
        locale=locale, state=state, district=district, member_ids=members or SEATS[seat],
        send_to_offices=send_to_offices, text_me_script=text_me_script, first_name=first_name,
        last_name=last_name, email=email, phone=phone, city="Evanston", street="1 Main St", zip_code="60202")
    with current_app.test_request_context():  # the receipt builds a URL
        action = submit_action(submission)
    if at is not None:
        db.session.execute(update(Action).where(Action.id == action.id).values(
            created_at=at.astimezone(timezone.utc)))
        db.session.commit()
    return action
