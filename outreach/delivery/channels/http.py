"""What HTTP-based channels share: classifying transport failures and reading Retry-After."""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone

import requests
import urllib3

from outreach.delivery.channels.base import Outcome, ProviderResult, exception_chain


def transport_error(label: str, exc: requests.exceptions.RequestException) -> ProviderResult:
    """Classify a failed request: nothing written → retry; written but unanswered → unknown."""
    causes = list(exception_chain(exc))
    # urllib3's NewConnectionError (refused) and NameResolutionError are ConnectTimeoutErrors: all of them
    # happen before a byte of the request is written.
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
            isinstance(cause, (urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)) for cause in causes):
        return ProviderResult(Outcome.RETRY, error=f"{label}: could not connect")
    if isinstance(exc, requests.exceptions.Timeout) or any(
            isinstance(cause, urllib3.exceptions.ReadTimeoutError) for cause in causes):
        return ProviderResult(Outcome.UNKNOWN, error=f"{label}: timed out waiting for an answer")
    # A connection dropped while writing or reading (or a TLS failure we cannot place): it may have been taken.
    return ProviderResult(Outcome.UNKNOWN, error=f"{label}: connection lost")


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
