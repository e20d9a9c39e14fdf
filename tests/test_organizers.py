"""The admin's organizer pages: invite, disable, re-enable; and who may see them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.models import Delivery, DeliveryKind, Medium, Organizer, OrganizerRole, OrganizerToken, TokenPurpose
from outreach.organizers import services
from outreach.organizers.passwords import verify_password
from tests.conftest import ORGANIZER_PASSWORD, _make_organizer, csrf_token, log_in
from tests.test_auth import NEW_PASSWORD, errors, is_logged_in, login

LIST = "/dashboard/organizers"
INVITE = "/dashboard/organizers/invite"


@pytest.fixture
def app_config():
    return {"FORM_MIN_SECONDS": 0, "PUBLIC_BASE_URL": "https://outreach.example.org", "ORG_NAME": "Test Org"}


def post(client, url: str, data: dict | None = None):
    page = client.get(LIST)
    token = csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else _any_token(client)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _any_token(client) -> str:
    return csrf_token(client.get("/account").get_data(as_text=True))


def invite(client, email="new.person@example.org", name="New Person", role="organizer"):
    return post(client, INVITE, {"email": email, "name": name, "role": role})


def invitation_path(db, organizer_id: int) -> str:
    delivery = db.session.scalars(select(Delivery).where(Delivery.organizer_id == organizer_id)
                                  .order_by(Delivery.id.desc())).first()
    assert delivery.kind is DeliveryKind.ORGANIZER_EMAIL and delivery.medium is Medium.EMAIL
    assert delivery.recipient_key == "organizer"
    marker = "https://outreach.example.org/invite/"
    assert marker in delivery.body
    return "/invite/" + delivery.body.split(marker, 1)[1].split()[0]


# --- who may see the pages ---------------------------------------------------------------------------------

def test_organizers_get_403_on_admin_pages(dashboard_client, organizer, admin, db):
    assert dashboard_client.get(LIST).status_code == 403
    for url in (INVITE, f"{LIST}/{admin.id}/disable", f"{LIST}/{admin.id}/enable"):
        response = post(dashboard_client, url, {"email": "x@example.org", "name": "X", "role": "admin"})
        assert response.status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Organizer, admin.id).enabled
    assert db.session.scalar(select(Organizer).where(Organizer.email == "x@example.org")) is None


def test_admins_see_every_organizer(admin_client, admin, organizer):
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert organizer.email in html and admin.email in html
    assert "(you)" in html


def test_the_navigation_shows_organizers_to_admins_only(admin_client, app):
    assert f'href="{LIST}"' in admin_client.get("/account").get_data(as_text=True)
    other = app.test_client()
    log_in(other, _make_organizer("plain@example.org", "organizer"))
    assert f'href="{LIST}"' not in other.get("/account").get_data(as_text=True)


# --- invitations ------------------------------------------------------------------------------------------------

def test_an_invitation_creates_an_account_and_emails_a_link_to_choose_a_password(app, admin_client, db):
    response = invite(admin_client, email="New.Person@Example.org", role="admin")
    assert response.status_code == 302
    invited = db.session.scalar(select(Organizer).where(Organizer.email == "new.person@example.org"))
    assert invited.password_hash is None and invited.role is OrganizerRole.ADMIN and invited.name == "New Person"
    token = db.session.scalar(select(OrganizerToken).where(OrganizerToken.organizer_id == invited.id))
    assert token.purpose is TokenPurpose.INVITATION
    path = invitation_path(db, invited.id)

    # Nobody can log in to an invited account before a password is chosen.
    visitor = app.test_client()
    assert login(visitor, invited.email, "anything at all").status_code == 200
    assert not is_logged_in(visitor)

    page = visitor.get(path)
    assert page.status_code == 200 and invited.email in page.get_data(as_text=True)
    chosen = visitor.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                      "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.status_code == 302
    assert login(visitor, invited.email, NEW_PASSWORD).status_code == 302
    assert visitor.get(LIST).status_code == 200  # an admin
    assert visitor.get(path).status_code == 404  # the link is spent


def test_inviting_an_existing_organizer_says_so_next_to_the_email(admin_client, organizer, db):
    response = invite(admin_client, email=organizer.email.upper())
    assert response.status_code == 400
    assert [name for name, _ in errors(response.get_data(as_text=True))] == ["email"]
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(Delivery)) is None


@pytest.mark.parametrize("fields, field", [
    ({"email": "not an address", "name": "X", "role": "organizer"}, "email"),
    ({"email": "", "name": "X", "role": "organizer"}, "email"),
    ({"email": "x@example.org", "name": "", "role": "organizer"}, "name"),
    ({"email": "x@example.org", "name": "X", "role": "superuser"}, "role"),
])
def test_invitation_errors_sit_next_to_their_field(admin_client, db, fields, field):
    response = post(admin_client, INVITE, fields)
    assert response.status_code == 400
    assert [name for name, _ in errors(response.get_data(as_text=True))] == [field]
    assert db.session.scalar(select(Organizer).where(Organizer.email == "x@example.org")) is None


def test_inviting_again_before_the_answer_sends_a_fresh_link(app, admin, db):
    first = services.invite(admin, "late@example.org", "Late", OrganizerRole.ORGANIZER)
    old = invitation_path(db, first.id)
    again = services.invite(admin, "late@example.org", "Late", OrganizerRole.ORGANIZER)
    assert again.id == first.id
    new = invitation_path(db, first.id)
    assert old != new
    raw_old, raw_new = old.rsplit("/", 1)[1], new.rsplit("/", 1)[1]
    assert services.organizer_for_token(raw_old, TokenPurpose.INVITATION) is None
    assert services.organizer_for_token(raw_new, TokenPurpose.INVITATION).id == first.id


def test_only_admins_can_invite_through_the_service(app, organizer):
    with pytest.raises(services.AccountError):
        services.invite(organizer, "x@example.org", "X", OrganizerRole.ADMIN)


# --- disable and re-enable ----------------------------------------------------------------------------------------

def test_disabling_ends_the_organizers_sessions_and_login(app, admin_client, organizer, db):
    theirs = app.test_client()
    log_in(theirs, organizer)
    assert is_logged_in(theirs)
    response = post(admin_client, f"{LIST}/{organizer.id}/disable")
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Organizer, organizer.id).enabled
    assert not is_logged_in(theirs)
    assert login(theirs, organizer.email, ORGANIZER_PASSWORD).status_code == 200
    assert not is_logged_in(theirs)

    assert post(admin_client, f"{LIST}/{organizer.id}/enable").status_code == 302
    assert login(theirs, organizer.email, ORGANIZER_PASSWORD).status_code == 302
    assert is_logged_in(theirs)


def test_a_disabled_organizers_links_stop_working(app, admin, organizer, db):
    services.request_password_reset(organizer.email)
    raw = db.session.scalar(select(Delivery)).body.split("/reset/", 1)[1].split()[0]
    services.disable(admin, organizer)
    assert services.organizer_for_token(raw, TokenPurpose.PASSWORD_RESET) is None
    with pytest.raises(services.AccountError):
        services.reset_password_with_token(raw, NEW_PASSWORD)
    db.session.expire_all()
    assert verify_password(db.session.get(Organizer, organizer.id).password_hash, ORGANIZER_PASSWORD)


def test_an_admin_cannot_disable_themselves(admin_client, admin, db):
    response = post(admin_client, f"{LIST}/{admin.id}/disable")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organizer, admin.id).enabled
    assert "You cannot disable your own account." in admin_client.get(LIST).get_data(as_text=True)
    assert is_logged_in(admin_client)


def test_disabling_someone_who_does_not_exist_is_404(admin_client):
    assert post(admin_client, f"{LIST}/99999/disable").status_code == 404


def test_disable_needs_csrf(admin_client, organizer, db):
    assert admin_client.post(f"{LIST}/{organizer.id}/disable").status_code == 400
    db.session.expire_all()
    assert db.session.get(Organizer, organizer.id).enabled
