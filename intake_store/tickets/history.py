"""A ticket's events, and the life and clocks replayed from them."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from .. import lifecycle
from ..clocks import Clock, compute_clocks
from ..lifecycle import Event, Life
from ..models import Ticket, TicketEvent
from .backoffice import Backoffice


def events_of(session: Session, ticket: Ticket) -> list[Event]:
    rows = session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).scalars().all()
    return [to_core_event(r) for r in rows]


def to_core_event(row: TicketEvent) -> Event:
    payload = dict(row.payload)
    if "new_due" in payload:
        payload["new_due"] = datetime.fromisoformat(payload["new_due"]).date()
    return Event(action=row.action, at=row.at, actor=row.actor, role=row.role, reason=row.reason, payload=payload)


def stored_payload(payload: dict) -> dict:
    """An event's payload as JSON stores it (dates as ISO text)."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in payload.items()}


def life_and_clocks(bo: Backoffice, events: list[Event], now: datetime | None = None) -> tuple[Life, dict[str, Clock]]:
    life = lifecycle.replay(events)
    return life, compute_clocks(life, bo.catalog, bo.calendar, now or bo.now())


def lives_and_clocks(bo: Backoffice, session: Session, tickets: list[Ticket]) -> dict[int, tuple[Life, dict[str, Clock]]]:
    """Each ticket's life and clocks, from one query for all their events."""
    if not tickets:
        return {}
    rows = session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
        .order_by(TicketEvent.ticket_id, TicketEvent.seq)
    ).scalars().all()
    events = defaultdict(list)
    for r in rows:
        events[r.ticket_id].append(to_core_event(r))
    now = bo.now()
    return {t.id: life_and_clocks(bo, events[t.id], now) for t in tickets}
