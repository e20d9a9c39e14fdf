"""flask outreach create-organizer."""

from __future__ import annotations

from sqlalchemy import func, select

from outreach.models import Organizer, OrganizerRole
from outreach.organizers.passwords import verify_password

PASSWORD = "a long enough passphrase"


def create(runner, *args: str, input: str | None = None):
    return runner.invoke(args=["outreach", "create-organizer", *args], input=input)


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Organizer))


def test_creates_an_admin_from_stdin(runner, db):
    result = create(runner, "Lead@Example.ORG", "--name", "Lead Organizer", "--role", "admin", "--password-stdin",
                    input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    organizer = db.session.scalar(select(Organizer))
    assert organizer.email == "lead@example.org"
    assert organizer.name == "Lead Organizer" and organizer.role is OrganizerRole.ADMIN and organizer.enabled
    assert organizer.password_hash.startswith("$argon2id$")
    assert verify_password(organizer.password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_the_default_role_is_organizer(runner, db):
    assert create(runner, "o@example.org", "--password-stdin", input=PASSWORD).exit_code == 0
    assert db.session.scalar(select(Organizer)).role is OrganizerRole.ORGANIZER


def test_prompts_twice_for_the_password(runner, db):
    result = create(runner, "o@example.org", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "at least 12 characters" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert verify_password(db.session.scalar(select(Organizer)).password_hash, PASSWORD)


def test_a_mismatched_or_short_prompt_asks_again(runner, db):
    typed = f"short\n{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n"
    result = create(runner, "o@example.org", input=typed)
    assert result.exit_code == 0, result.output
    assert "Use at least 12 characters." in result.output
    assert "do not match" in result.output
    assert verify_password(db.session.scalar(select(Organizer)).password_hash, PASSWORD)


def test_an_existing_email_is_a_clear_error(runner, db):
    assert create(runner, "o@example.org", "--password-stdin", input=PASSWORD).exit_code == 0
    result = create(runner, "O@EXAMPLE.org", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count(db) == 1


def test_a_short_password_is_refused_and_says_the_minimum(runner, db):
    result = create(runner, "o@example.org", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert count(db) == 0


def test_an_invalid_email_is_refused(runner, db):
    for address in ("not-an-address", "two@@example.org", "someone@localhost"):
        result = create(runner, address, "--password-stdin", input=PASSWORD)
        assert result.exit_code == 1, address
        assert "valid email address" in result.output
    assert count(db) == 0


def test_an_unknown_role_is_refused(runner, db):
    result = create(runner, "o@example.org", "--role", "root", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 2
    assert count(db) == 0
