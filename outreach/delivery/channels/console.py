"""The development channel: accepts everything; the message stays in the database for /dev/outbox."""

from __future__ import annotations

from outreach.delivery.channels.base import Found, OutgoingMessage, ProviderResult, Outcome, Reconciliation


class ConsoleChannel:
    name = "console"

    def send(self, message: OutgoingMessage) -> ProviderResult:
        """Accept the message; the delivery row already holds its text."""
        return ProviderResult(Outcome.ACCEPTED, provider_id=f"console-{message.delivery_key}")

    def reconcile(self, message: OutgoingMessage) -> Reconciliation:
        """A console send cannot be half-done: anything unclear was never shown."""
        return Reconciliation(Found.NO)
