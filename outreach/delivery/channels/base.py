"""The interface every channel implements, and the values it exchanges with the outbox."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator, Protocol


class Outcome(str, enum.Enum):
    ACCEPTED = "accepted"  # the provider took it: the delivery is sent
    RETRY = "retry"        # provably not accepted (429, connection refused): back to pending with back-off
    UNKNOWN = "unknown"    # may or may not have been accepted (timeout, 5xx): reconcile, never blindly resend
    FAILED = "failed"      # permanent: never retried


@dataclass(frozen=True)
class ProviderResult:
    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None            # for operators; never personal data
    retry_after: float | None = None    # seconds, when the provider said so
    opt_out: bool = False               # the recipient has opted out (Twilio 21610): suppress the number


@dataclass(frozen=True)
class Constituent:
    """Who writes, as Congress offices want it (CWC's Constituent element)."""

    prefix: str
    first_name: str
    last_name: str
    email: str
    address1: str
    city: str
    state: str        # USPS code of the district the person confirmed
    zip_code: str     # 12345 or 12345-6789
    phone: str | None = None  # E.164


@dataclass(frozen=True)
class CwcEnvelope:
    """What a message to a Congress office carries besides its text."""

    office_code: str                    # HIL09, HAQ00, SMN01 …
    campaign_id: str                    # per campaign and demand; offices group messages by it
    constituent: Constituent
    organization_statement: str         # the campaign's message as the constituent sends it
    constituent_message: str | None     # the constituent's own words, when they wrote any
    delivery_date: date


@dataclass(frozen=True)
class OutgoingMessage:
    """Everything a channel needs to send one delivery, built by the outbox from the database."""

    delivery_id: int
    delivery_key: str                   # 32 hex characters, the same on every retry
    to: str                             # an email address or an E.164 number
    body: str
    subject: str = ""
    to_name: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: str | None = None
    created_at: datetime | None = None  # for reconciliation: the provider's records since then
    cwc: CwcEnvelope | None = None      # set for messages to Congress offices


class Found(str, enum.Enum):
    YES = "yes"
    NO = "no"
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True)
class Reconciliation:
    found: Found
    provider_id: str | None = None


class Channel(Protocol):
    """A way to send one message. Implementations hold their client; building one does no I/O."""

    name: str

    def send(self, message: OutgoingMessage) -> ProviderResult:
        """Hand one message to the provider and classify the answer."""

    def reconcile(self, message: OutgoingMessage) -> Reconciliation:
        """Ask the provider whether an earlier, unclear attempt was accepted."""


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """Yield an exception and everything it wraps (requests → urllib3 → socket errors), to classify failures."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        stack.extend(item for item in linked if isinstance(item, BaseException))
