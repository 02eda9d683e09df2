"""What the citizen is told, and when: an event listener that queues messages
in the outbox on the channel the complaint came from."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from . import texts
from .lifecycle import Event, Life
from .models import Complainant, Ticket
from .outbox import notify
from .tickets.backoffice import Backoffice


def citizen_message(bo: Backoffice, ticket: Ticket, event: Event, life: Life) -> str | None:
    """The Chinese text for an event the citizen should hear about, or None."""
    n = ticket.number
    if event.action == "reply":
        return texts.replied(n, life.reply_text)
    if event.action == "extension_approve":
        return texts.extended(n, event.payload.get("new_due"), event.payload.get("request_reason") or event.reason)
    if event.action == "reject":
        return texts.rejected(n, event.reason)
    if event.action == "merge":
        return texts.merged(n, life.merged_into)
    if event.action == "reopen" or (event.action == "follow_up" and life.state == "reopened"):
        return texts.reopened(n)
    if event.action == "follow_up" and life.state == "supervising":
        return texts.supervising(n)
    if event.action == "pause":
        return texts.paused(n, event.reason)
    if event.action == "close" and event.reason == texts.UNRATED:
        return texts.closed_unrated(n)
    return None


def notify_citizen(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> None:
    body = citizen_message(bo, ticket, event, life)
    if body is None:
        return
    tell_citizen(session, ticket, key=f"{ticket.number}:{event.action}:{event.at.isoformat()}",
                 kind=f"citizen_{event.action}", body=body, now=event.at)


def tell_citizen(session: Session, ticket: Ticket, *, key: str, kind: str, body: str, now: datetime) -> bool:
    """Queue a message on the chat the complaint came from. False when it was
    queued before, or when there is no chat to answer on (phone or Open311:
    operators call back from the console)."""
    person = session.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalars().first()
    if person is None or not person.sender_id or person.channel not in ("web", "telegram", "wechat"):
        return False
    return notify(
        session,
        key=key,
        kind=kind,
        recipient_kind="citizen",
        recipient=person.sender_id,
        channel=person.channel,
        body=body,
        now=now,
        ticket_id=ticket.id,
    )
