"""What an operator can do about deliveries that need a person: list, retry, resolve."""

from __future__ import annotations

from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Delivery, DeliveryState
from outreach.models.base import utcnow


class OperatorError(Exception):
    """The requested change does not apply to this delivery."""


def deliveries_in(states: list[DeliveryState], limit: int = 50) -> list[Delivery]:
    """Return deliveries in the given states, oldest first."""
    return list(db.session.scalars(select(Delivery).where(Delivery.state.in_(states))
                                   .order_by(Delivery.updated_at, Delivery.id).limit(limit)))


def retry(delivery_id: int) -> None:
    """Put a failed or unknown delivery back in the queue."""
    delivery = _get(delivery_id, {DeliveryState.FAILED, DeliveryState.UNKNOWN})
    delivery.state = DeliveryState.PENDING
    delivery.not_before = utcnow()
    delivery.finished_at = None
    db.session.commit()


def resolve(delivery_id: int, state: DeliveryState, note: str) -> None:
    """Settle an unknown or failed delivery by hand."""
    delivery = _get(delivery_id, {DeliveryState.FAILED, DeliveryState.UNKNOWN})
    delivery.state = state
    delivery.last_error = f"{note} (was: {delivery.last_error or 'no error recorded'})"[:1000]
    delivery.finished_at = utcnow()
    db.session.commit()


def _get(delivery_id: int, allowed: set[DeliveryState]) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise OperatorError(f"No delivery {delivery_id}.")
    if delivery.state not in allowed:
        raise OperatorError(f"Delivery {delivery_id} is {delivery.state.value}; only "
                            f"{', '.join(sorted(s.value for s in allowed))} deliveries can be changed.")
    return delivery
