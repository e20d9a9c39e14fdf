"""Organizer password hashing: argon2id through argon2-cffi, rehashed when the parameters change."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap stops a megabyte "password" from costing CPU

# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB, t=3, p=4).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when there is no real hash, so an unknown email costs as much time as a known one.
    return _hasher.hash("no account has this password; it only spends the same time")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether the password matches the hash; never raises, and spends the same time without a hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        if password_hash is None:
            _hasher.verify(_dummy_hash(), password)
            return False
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether a hash was made with other parameters than today's and should be replaced."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def password_problem(password: str) -> str | None:
    """Return why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "A password cannot be only spaces."
    return None
