"""What the console and the portal list: the operator's queue, a department's
inbox, merge candidates, handed-over conversations.

`tickets.list_tickets` serves the REST API with fixed filters and order; the
pages need several states at once, text search and sorting by a chosen
deadline, so they query here, with the same department scoping (through
`Assignment`) and the same derived columns.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from .. import tickets as T
from ..clocks import Clock
from ..lifecycle import OPEN_STATES, TERMINAL, Life
from ..models import Assignment, Conversation, Message, Ticket, TicketEvent
from .review import DUPLICATE_THRESHOLD, MatterKey, TranscriptMessage, duplicate_score

PAGE_SIZE = 50


def lives_and_clocks(bo: T.Backoffice, session: Session, tickets: list[Ticket]) -> dict[int, tuple[Life, dict[str, Clock]]]:
    """Each ticket's life and clocks, from one query for all their events."""
    if not tickets:
        return {}
    rows = session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
        .order_by(TicketEvent.ticket_id, TicketEvent.seq)
    ).scalars().all()
    events = defaultdict(list)
    for r in rows:
        events[r.ticket_id].append(T.to_core_event(r))
    now = bo.now()
    return {t.id: T.life_and_clocks(bo, events[t.id], now) for t in tickets}


# ---------------------------------------------------------------- operator queue

# tab -> (label, states); "extension" is found from the events, not a state.
QUEUE_TABS = {
    "new": ("待派单", ("submitted",)),
    "returned": ("退单待处理", ("returned",)),
    "extension": ("延期待审批", ("accepted", "verified", "reopened")),
    "open": ("全部在办", OPEN_STATES),
    "all": ("全部工单", None),
}


@dataclass(frozen=True)
class QueueFilters:
    tab: str = "new"
    category: str | None = None
    department: str | None = None
    urgent: bool = False
    overdue: bool = False
    q: str | None = None
    page: int = 1


def _filtered(bo: T.Backoffice, stmt, f: QueueFilters):
    states = QUEUE_TABS[f.tab][1]
    if states:
        stmt = stmt.where(Ticket.state.in_(states))
    if f.category:
        stmt = stmt.where(Ticket.category_code == f.category)
    if f.department:
        stmt = stmt.where(Ticket.id.in_(select(Assignment.ticket_id).where(Assignment.department_code == f.department)))
    if f.urgent:
        stmt = stmt.where(Ticket.urgent.is_(True))
    if f.overdue:
        stmt = stmt.where(Ticket.next_due_at < bo.now())
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(Ticket.number.like(like), Ticket.description.like(like), Ticket.respondent.like(like)))
    return stmt


def _urgent_newest(stmt):
    return stmt.order_by(Ticket.urgent.desc(), Ticket.created_at.desc(), Ticket.id.desc())


def operator_queue(bo: T.Backoffice, session: Session, f: QueueFilters) -> tuple[int, list[Ticket]]:
    """Most urgent first, then newest."""
    stmt = _filtered(bo, select(Ticket), f)
    offset = (f.page - 1) * PAGE_SIZE
    if f.tab == "extension":
        pending = _with_pending_extension(bo, session, stmt)
        return len(pending), pending[offset:offset + PAGE_SIZE]
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(_urgent_newest(stmt).limit(PAGE_SIZE).offset(offset)).scalars().all()
    return total, list(rows)


def _with_pending_extension(bo: T.Backoffice, session: Session, stmt) -> list[Ticket]:
    # Few tickets ever ask for an extension: narrow by the event in SQL, decide by replaying.
    asked = select(TicketEvent.ticket_id).where(TicketEvent.action == "extension_request")
    candidates = list(session.execute(_urgent_newest(stmt.where(Ticket.id.in_(asked)))).scalars().all())
    lives = lives_and_clocks(bo, session, candidates)
    return [t for t in candidates if lives[t.id][0].pending_extension]


def queue_counts(bo: T.Backoffice, session: Session) -> dict[str, int]:
    counts = {}
    for tab in ("new", "returned"):
        counts[tab] = session.execute(
            select(func.count()).select_from(Ticket).where(Ticket.state.in_(QUEUE_TABS[tab][1]))
        ).scalar_one()
    counts["extension"] = len(_with_pending_extension(bo, session, _filtered(bo, select(Ticket), QueueFilters(tab="extension"))))
    counts["handover"] = session.execute(
        select(func.count()).select_from(Conversation).where(Conversation.needs_operator.is_(True))
    ).scalar_one()
    return counts


def handed_over(session: Session, limit: int = 50) -> list[Conversation]:
    """Conversations the assistant handed over, most recent activity first."""
    return list(session.execute(
        select(Conversation).where(Conversation.needs_operator.is_(True))
        .order_by(Conversation.last_message_at.desc()).limit(limit)
    ).scalars().all())


def transcript(session: Session, conversation_id: str | None) -> list[Message]:
    if not conversation_id:
        return []
    return list(session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.at, Message.id)
    ).scalars().all())


def as_transcript(messages: list[Message]) -> list[TranscriptMessage]:
    return [TranscriptMessage(m.id, m.external_id, m.direction, m.text) for m in messages]


# ---------------------------------------------------------------- merge candidates

def _matter(t: Ticket) -> MatterKey:
    return MatterKey(t.respondent_code, t.respondent, t.amount_yuan, t.description)


def duplicate_candidates(session: Session, ticket: Ticket, limit: int = 5) -> list[tuple[Ticket, float, list[str]]]:
    """Open tickets that look like the same matter, best first. Looked for among
    those with the same respondent or amount, and everything from the last 90 days."""
    near = [Ticket.created_at >= ticket.created_at - timedelta(days=90)]
    if ticket.respondent_code:
        near.append(Ticket.respondent_code == ticket.respondent_code)
    if ticket.respondent:
        near.append(Ticket.respondent == ticket.respondent)
    if ticket.amount_yuan is not None:
        near.append(Ticket.amount_yuan == ticket.amount_yuan)
    rows = session.execute(
        select(Ticket).where(Ticket.id != ticket.id, Ticket.state.not_in(TERMINAL), or_(*near))
        .order_by(Ticket.created_at.desc()).limit(300)
    ).scalars().all()
    scored = []
    for other in rows:
        score, reasons = duplicate_score(_matter(ticket), _matter(other))
        if score >= DUPLICATE_THRESHOLD:
            scored.append((other, score, reasons))
    scored.sort(key=lambda x: (-x[1], x[0].created_at))
    return scored[:limit]


# ---------------------------------------------------------------- department inbox

INBOX_TABS = {
    "open": ("全部在办", OPEN_STATES),
    "todo": ("待签收", ("dispatched", "reopened")),
    "working": ("办理中", ("accepted", "verified")),
    "done": ("已答复／已结束", ("replied", "supervising", *sorted(TERMINAL))),
    "all": ("全部", None),
}
# sort key -> (label, column)
INBOX_SORTS = {
    "due": ("最近时限", Ticket.next_due_at),
    "reply_due": ("答复时限", Ticket.reply_due_at),
    "created": ("受理时间", Ticket.created_at),
    "number": ("工单号", Ticket.number),
}


@dataclass(frozen=True)
class InboxFilters:
    tab: str = "open"
    sort: str = "due"
    descending: bool = False
    overdue: bool = False
    page: int = 1


def department_inbox(bo: T.Backoffice, session: Session, department: str, f: InboxFilters) -> tuple[int, list[tuple[Ticket, str]]]:
    """(total, [(ticket, "lead" | "co")]) for tickets routed to the department now."""
    stmt = (
        select(Ticket, Assignment.role)
        .join(Assignment, Assignment.ticket_id == Ticket.id)
        .where(Assignment.department_code == department)
    )
    states = INBOX_TABS[f.tab][1]
    if states:
        stmt = stmt.where(Ticket.state.in_(states))
    if f.overdue:
        stmt = stmt.where(Ticket.next_due_at < bo.now())
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    column = INBOX_SORTS[f.sort][1]
    order = column.desc() if f.descending else column.asc()
    # Tickets without that deadline go last whichever way it is sorted.
    stmt = stmt.order_by(column.is_(None), order, Ticket.id.desc()).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE)
    return total, [(t, role) for t, role in session.execute(stmt).all()]
