"""Which state a delivery may move to from which, so callbacks never move one backwards."""

from __future__ import annotations

from outreach.models import DeliveryState as S

# Higher rank = further along. A callback may only move a delivery to a higher rank.
RANK = {S.PENDING: 0, S.SENDING: 1, S.UNKNOWN: 1, S.SENT: 2, S.DELIVERED: 3, S.FAILED: 3}
FINAL = frozenset({S.DELIVERED, S.FAILED, S.HANDOFF, S.SKIPPED})


def may_advance(current: S, new: S) -> bool:
    """Tell whether a provider's report may move a delivery from current to new."""
    if current in FINAL:
        return False
    return RANK[new] > RANK[current]
