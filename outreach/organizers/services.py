"""Organizer accounts: creation, login with throttling, sessions, invitations and password resets.

Every function that writes owns its transaction. `now` is a parameter wherever time matters, so tests
move the clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select, update

from outreach.extensions import db
from outreach.models import (
    Delivery,
    DeliveryKind,
    LoginFailure,
    Medium,
    Organizer,
    OrganizerRole,
    OrganizerToken,
    TokenPurpose,
)
from outreach.models.base import as_utc, utcnow
from outreach.models.organizers import new_session_token
from outreach.organizers.passwords import hash_password, needs_rehash, password_problem, verify_password

# Organizers are named by id in logs, never by email address (DESIGN convention 9).
log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why, in words for the organizer.

    `field` names the form field the message belongs next to.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- email addresses and passwords ------------------------------------------------------------------

def normalize_email(raw: str) -> str:
    """Return an email address lower-cased and checked for shape, or raise AccountError."""
    try:
        # No DNS lookup: an organizer's mail domain may not resolve from the server, and tests have no network.
        address = validate_email((raw or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountError(f"Enter a valid email address ({exc}).", field="email") from None
    return address.lower()


def _check_new_password(password: str, field: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, field=field)


def find_organizer(email: str) -> Organizer | None:
    """Return the organizer with this email address (any case), or None."""
    return db.session.scalar(select(Organizer).where(Organizer.email == email.strip().lower()))


def create_organizer(email: str, password: str | None, *, name: str = "",
                     role: OrganizerRole = OrganizerRole.ORGANIZER) -> Organizer:
    """Create an organizer; without a password the account waits for an invitation link to set one."""
    address = normalize_email(email)
    if find_organizer(address) is not None:
        raise AccountError(f"An organizer with the email address {address} already exists.", field="email")
    if password is not None:
        _check_new_password(password)
    organizer = Organizer(email=address, name=(name or "").strip()[:120], role=role,
                          password_hash=hash_password(password) if password is not None else None)
    db.session.add(organizer)
    db.session.commit()
    return organizer


# --- login and its throttle ----------------------------------------------------------------------------

def account_key(email: str) -> str:
    """Return the throttle key of an email address: a hash, so the table holds no address in clear."""
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def ip_key(client_ip: str | None) -> str:
    """Return the throttle key of a client address."""
    return f"ip:{client_ip or 'unknown'}"[:100]


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt: the organizer, or why not (never whether the account exists)."""

    organizer: Organizer | None = None
    throttled: bool = False
    retry_after_minutes: int = 0

    @property
    def ok(self) -> bool:
        return self.organizer is not None


def _window(config) -> timedelta:
    return timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])


def throttle_retry_after(keys: list[str], now: datetime) -> int:
    """Return the whole minutes until the busiest of these keys may try again, or 0 when none is throttled."""
    config = current_app.config
    since = now - _window(config)
    limit = config["LOGIN_MAX_FAILURES"]
    wait = timedelta(0)
    for key in keys:
        times = db.session.scalars(
            select(LoginFailure.failed_at).where(LoginFailure.key == key, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at.desc()).limit(limit)).all()
        if len(times) >= limit:
            # The key is free again once the oldest of its `limit` latest failures leaves the window.
            wait = max(wait, as_utc(times[-1]) + _window(config) - now)
    if wait <= timedelta(0):
        return 0
    return max(1, -(-int(wait.total_seconds()) // 60))


def prune_login_failures(now: datetime) -> int:
    """Delete failures older than the throttle window; they count for nothing any more."""
    result = db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - _window(current_app.config)))
    return result.rowcount or 0


def _over_limit(keys: list[str], now: datetime) -> bool:
    since = now - _window(current_app.config)
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    for key in keys:
        count = db.session.scalar(select(func.count()).select_from(LoginFailure)
                                  .where(LoginFailure.key == key, LoginFailure.failed_at > since))
        if count > limit:
            return True
    return False


def authenticate(email: str, password: str, client_ip: str | None, *, now: datetime | None = None) -> LoginResult:
    """Check a login; throttled per account and per client address, and the same answer for unknown emails."""
    now = now or utcnow()
    keys = [account_key(email), ip_key(client_ip)]
    prune_login_failures(now)
    # The attempt is written (as a failure) and committed before it is checked, so parallel guesses each
    # see the ones before them: a burst cannot get more than LOGIN_MAX_FAILURES password checks through.
    attempt = [LoginFailure(key=key, failed_at=now) for key in keys]
    db.session.add_all(attempt)
    db.session.commit()
    attempt_ids = [row.id for row in attempt]
    if _over_limit(keys, now):
        # Refused even with the right password. Not counted, so the lock ends when the window passes.
        db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt_ids)))
        db.session.commit()
        log.warning("login refused by the throttle (too many failures for the account or the address)")
        return LoginResult(throttled=True, retry_after_minutes=max(1, throttle_retry_after(keys, now)))
    organizer = find_organizer(email)
    # Verified even for an unknown email (against a dummy hash), so timing does not tell who has an account.
    matches = verify_password(organizer.password_hash if organizer else None, password)
    if organizer is None or not matches or not organizer.enabled:
        return LoginResult()  # the attempt's rows stay: they are the failure's record
    if needs_rehash(organizer.password_hash):
        organizer.password_hash = hash_password(password)
    organizer.last_login_at = now
    # A success clears the account's count (the owner got in), but not the address's earlier failures:
    # one valid account must not let an address go on guessing other people's passwords.
    db.session.execute(delete(LoginFailure).where(
        (LoginFailure.key == keys[0]) | LoginFailure.id.in_(attempt_ids)))
    db.session.commit()
    log.info("organizer %d logged in", organizer.id)
    return LoginResult(organizer=organizer)


# --- sessions --------------------------------------------------------------------------------------

def end_sessions(organizer: Organizer) -> None:
    """End every session of an organizer: cookies carry the old session token, which no longer loads anyone."""
    organizer.session_token = new_session_token()
    db.session.commit()


def change_password(organizer: Organizer, current_password: str, new_password: str) -> None:
    """Replace an organizer's password after checking the current one; ends every session."""
    if not verify_password(organizer.password_hash, current_password):
        raise AccountError("That is not your current password.", field="current_password")
    _check_new_password(new_password, field="new_password")
    organizer.password_hash = hash_password(new_password)
    organizer.session_token = new_session_token()
    db.session.commit()


def set_phone(organizer: Organizer, phone_e164: str | None) -> None:
    """Set (or clear) the organizer's own phone for alert test sends."""
    organizer.phone = phone_e164 or None
    db.session.commit()


def set_enabled(actor: Organizer, organizer: Organizer, enabled: bool) -> None:
    """Disable or re-enable an organizer (admins only); disabling ends their sessions at once."""
    if not actor.is_admin:
        raise AccountError("Only admins can disable or enable organizers.")
    if not enabled and actor.id == organizer.id:
        raise AccountError("You cannot disable your own account.")
    organizer.enabled = enabled
    if not enabled:
        organizer.session_token = new_session_token()
    db.session.commit()


def disable(actor: Organizer, organizer: Organizer) -> None:
    """Disable an organizer and end their sessions."""
    set_enabled(actor, organizer, False)


def enable(actor: Organizer, organizer: Organizer) -> None:
    """Re-enable a disabled organizer."""
    set_enabled(actor, organizer, True)


# --- emailed one-time links --------------------------------------------------------------------------

def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue_token(organizer: Organizer, purpose: TokenPurpose, now: datetime) -> str:
    """Add a new link token (not committed) and retire the organizer's earlier unused ones of that purpose."""
    db.session.execute(
        update(OrganizerToken)
        .where(OrganizerToken.organizer_id == organizer.id, OrganizerToken.purpose == purpose,
               OrganizerToken.used_at.is_(None))
        .values(used_at=now))
    raw = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    db.session.add(OrganizerToken(organizer_id=organizer.id, purpose=purpose, token_hash=_token_hash(raw),
                                  created_at=now, expires_at=now + timedelta(hours=hours)))
    return raw


def _link(endpoint: str, raw: str) -> str:
    # Built from PUBLIC_BASE_URL, never from the request's Host header, which a client chooses.
    # The URL map builds the path without a request, so services also work from the CLI and tests.
    path = current_app.url_map.bind("localhost").build(endpoint, {"token": raw})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _queue_email(organizer: Organizer, subject: str, body: str, now: datetime) -> None:
    db.session.add(Delivery(kind=DeliveryKind.ORGANIZER_EMAIL, medium=Medium.EMAIL, organizer_id=organizer.id,
                            recipient_key="organizer", recipient_name=organizer.name, subject=subject, body=body,
                            created_at=now, not_before=now))


def request_password_reset(email: str, *, now: datetime | None = None) -> bool:
    """Email a reset link when an enabled account has this address; the caller answers the same either way.

    Returns whether a link was queued (for tests and logs that do not name the address).
    """
    now = now or utcnow()
    organizer = find_organizer(email)
    # An invited organizer who lost the invitation may use this too: the link proves the mailbox either way.
    if organizer is None or not organizer.enabled:
        log.info("password reset asked for an address with no enabled account")
        return False
    raw = _issue_token(organizer, TokenPurpose.PASSWORD_RESET, now)
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    org = current_app.config["ORG_NAME"]
    body = (f"Someone (we hope you) asked to reset the password of your {org} organizer account.\n\n"
            f"Choose a new password here:\n{_link('auth.reset_password', raw)}\n\n"
            f"The link works once, for {hours} hours. Using it logs you out everywhere.\n"
            f"If you did not ask for this, ignore this email: your password stays the same.\n")
    _queue_email(organizer, f"Reset your {org} password", body, now)
    db.session.commit()
    log.info("password reset link queued for organizer %d", organizer.id)
    return True


def invite(actor: Organizer, email: str, name: str, role: OrganizerRole, *, now: datetime | None = None) -> Organizer:
    """Create an organizer without a password and email them a link to choose one (admins only).

    Inviting an address whose invitation is still unanswered sends a fresh link.
    """
    now = now or utcnow()
    if not actor.is_admin:
        raise AccountError("Only admins can invite organizers.")
    address = normalize_email(email)
    organizer = find_organizer(address)
    if organizer is not None and organizer.password_hash is not None:
        raise AccountError(f"An organizer with the email address {address} already exists.", field="email")
    if organizer is None:
        organizer = Organizer(email=address, name=(name or "").strip()[:120], role=role, password_hash=None)
        db.session.add(organizer)
        db.session.flush()
    else:
        organizer.name = (name or "").strip()[:120] or organizer.name
        organizer.role = role
        organizer.enabled = True
    raw = _issue_token(organizer, TokenPurpose.INVITATION, now)
    hours = current_app.config["PASSWORD_LINK_HOURS"]
    org = current_app.config["ORG_NAME"]
    inviter = actor.name or actor.email
    body = (f"{inviter} invited you to the {org} organizer dashboard.\n\n"
            f"Choose your password here:\n{_link('auth.accept_invitation', raw)}\n\n"
            f"The link works once, for {hours} hours. Ask {inviter} for a new one if it has expired.\n")
    _queue_email(organizer, f"Your {org} organizer account", body, now)
    db.session.commit()
    return organizer


def organizer_for_token(raw: str, purpose: TokenPurpose, *, now: datetime | None = None) -> Organizer | None:
    """Return the enabled organizer a usable (unused, unexpired) link belongs to, or None."""
    token = _usable_token(raw, purpose, now or utcnow())
    return token.organizer if token is not None else None


def _usable_token(raw: str, purpose: TokenPurpose, now: datetime) -> OrganizerToken | None:
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(select(OrganizerToken).where(OrganizerToken.token_hash == _token_hash(raw)))
    if (token is None or token.purpose is not purpose or token.used_at is not None
            or as_utc(token.expires_at) <= now or not token.organizer.enabled):
        return None
    return token


def set_password_with_token(raw: str, purpose: TokenPurpose, new_password: str, *,
                            now: datetime | None = None) -> Organizer:
    """Set a password through an emailed link: the link is spent and every existing session ends."""
    now = now or utcnow()
    _check_new_password(new_password)
    token = _usable_token(raw, purpose, now)
    if token is None:
        raise AccountError("This link has expired or was already used. Ask for a new one.")
    # Spent by a conditional update, so two tabs submitting the same link cannot both use it.
    spent = db.session.execute(
        update(OrganizerToken).where(OrganizerToken.id == token.id, OrganizerToken.used_at.is_(None))
        .values(used_at=now))
    if spent.rowcount != 1:
        db.session.rollback()
        raise AccountError("This link has expired or was already used. Ask for a new one.")
    organizer = token.organizer
    # Every other link of this organizer dies with it: one reset, one way in.
    db.session.execute(update(OrganizerToken)
                       .where(OrganizerToken.organizer_id == organizer.id, OrganizerToken.used_at.is_(None))
                       .values(used_at=now))
    organizer.password_hash = hash_password(new_password)
    organizer.session_token = new_session_token()
    # Whoever held the link proved they read the mailbox; old failures should not lock them out now.
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == account_key(organizer.email)))
    db.session.commit()
    return organizer


def reset_password_with_token(raw: str, new_password: str, *, now: datetime | None = None) -> Organizer:
    """Set a new password through a password-reset link."""
    return set_password_with_token(raw, TokenPurpose.PASSWORD_RESET, new_password, now=now)


def accept_invitation(raw: str, new_password: str, *, now: datetime | None = None) -> Organizer:
    """Choose the first password through an invitation link."""
    return set_password_with_token(raw, TokenPurpose.INVITATION, new_password, now=now)


def list_organizers() -> list[Organizer]:
    """Return every organizer, enabled ones first, then by email."""
    return list(db.session.scalars(select(Organizer).order_by(Organizer.enabled.desc(), Organizer.email)))

