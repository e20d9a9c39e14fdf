"""Dashboard: texts people sent the program's number that were not keywords, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.models import InboundMessage, Subscriber, SubscriberStatus
from outreach.models.base import utcnow
from outreach.web.dashboard import bp

PER_PAGE = 50


def mask_phone(phone: str | None) -> str:
    """Hide every digit of a number but the last four, keeping its punctuation (screens get shoulder-surfed)."""
    if not phone:
        return ""
    digits = sum(ch.isdigit() for ch in phone)
    keep_from = digits - 4
    seen = 0
    masked = []
    for ch in phone:
        if ch.isdigit():
            masked.append(ch if seen >= keep_from else "•")
            seen += 1
        else:
            masked.append(ch)
    return "".join(masked)


@dataclass(frozen=True)
class InboxPage:
    rows: list[tuple[InboundMessage, SubscriberStatus | None]]
    page: int
    pages: int
    total: int
    unread: int


def inbox_page(page: int, per_page: int | None = None) -> InboxPage:
    """Return one page of inbound texts, newest first, each with its sender's subscription status."""
    per_page = per_page or PER_PAGE
    total, unread = db.session.execute(
        select(func.count(), func.count(InboundMessage.id).filter(InboundMessage.read_at.is_(None)))).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(InboundMessage, Subscriber.status)
        .outerjoin(Subscriber, Subscriber.id == InboundMessage.subscriber_id)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return InboxPage([(m, s) for m, s in rows], page, pages, int(total), int(unread))


def set_read(message_id: int, read: bool) -> bool:
    """Mark one inbound text read or unread; return False when there is no such text."""
    message = db.session.get(InboundMessage, message_id)
    if message is None:
        return False
    if read and message.read_at is None:
        message.read_at = utcnow()
    elif not read:
        message.read_at = None
    db.session.commit()
    return True


@bp.route("/inbox")
def inbox():
    """List inbound texts, newest first, with numbers masked."""
    page = request.args.get("page", 1, type=int) or 1
    return render_template("dashboard/inbox.html", inbox=inbox_page(page), mask_phone=mask_phone)


@bp.route("/inbox/<int:message_id>/read", methods=["POST"])
def inbox_mark_read(message_id: int):
    """Mark a text read (or unread again with read=0), then return to the same page."""
    if not set_read(message_id, request.form.get("read", "1") != "0"):
        abort(404)
    page = request.form.get("page", 1, type=int) or 1
    return redirect(url_for("dashboard.inbox", page=page if page > 1 else None, _anchor=f"message-{message_id}"))
