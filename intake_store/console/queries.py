"""What the console and the portal list: the operator's queue, a department's
inbox, merge candidates, handed-over conversations.

The queue and the inbox are pages of `tickets.listing`, the listing the REST
API serves: the tabs here only name the states each page shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from ..lifecycle import OPEN_STATES, TERMINAL
from ..models import Conversation, Message, Ticket, TicketEvent
from ..tickets import listing
from ..tickets.backoffice import Backoffice
from ..tickets.history import lives_and_clocks
from ..tickets.viewer import Viewer
from .review import DUPLICATE_THRESHOLD, MatterKey, TranscriptMessage, duplicate_score

PAGE_SIZE = 50


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

    def as_listing(self) -> listing.Filters:
        return listing.Filters(
            states=QUEUE_TABS[self.tab][1], category=self.category, department=self.department,
            urgent=self.urgent, overdue=self.overdue or None, text=self.q,
            limit=PAGE_SIZE, offset=(self.page - 1) * PAGE_SIZE,
        )


def operator_queue(bo: Backoffice, session: Session, f: QueueFilters, viewer: Viewer) -> tuple[int, list[Ticket]]:
    """Most urgent first, then newest."""
    filters = f.as_listing()
    if f.tab == "extension":
        pending = _with_pending_extension(bo, session, filters, viewer)
        return len(pending), pending[filters.offset:filters.offset + filters.limit]
    return listing.list_tickets(bo, session, filters, viewer)


def _with_pending_extension(bo: Backoffice, session: Session, filters: listing.Filters, viewer: Viewer) -> list[Ticket]:
    # Few tickets ever ask for an extension: narrow by the event in SQL, decide by replaying.
    asked = select(TicketEvent.ticket_id).where(TicketEvent.action == "extension_request")
    stmt = listing.matching(bo, filters, viewer).where(Ticket.id.in_(asked))
    candidates = list(session.execute(listing.ordered(stmt, filters)).scalars().all())
    lives = lives_and_clocks(bo, session, candidates)
    return [t for t in candidates if lives[t.id][0].pending_extension]


def queue_counts(bo: Backoffice, session: Session, viewer: Viewer) -> dict[str, int]:
    counts = {}
    for tab in ("new", "returned"):
        counts[tab] = listing.count_tickets(bo, session, QueueFilters(tab=tab).as_listing(), viewer)
    counts["extension"] = len(_with_pending_extension(bo, session, QueueFilters(tab="extension").as_listing(), viewer))
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
# sort key (see listing.SORT_COLUMNS) -> label
INBOX_SORTS = {
    "due": "最近时限",
    "reply_due": "答复时限",
    "created": "受理时间",
    "number": "工单号",
}


@dataclass(frozen=True)
class InboxFilters:
    tab: str = "open"
    sort: str = "due"
    descending: bool = False
    overdue: bool = False
    page: int = 1

    def as_listing(self) -> listing.Filters:
        return listing.Filters(
            states=INBOX_TABS[self.tab][1], overdue=self.overdue or None, sort=self.sort,
            descending=self.descending, limit=PAGE_SIZE, offset=(self.page - 1) * PAGE_SIZE,
        )


def department_inbox(bo: Backoffice, session: Session, viewer: Viewer, f: InboxFilters) -> tuple[int, list[tuple[Ticket, str]]]:
    """(total, [(ticket, "lead" | "co")]) for tickets routed to the viewer's department now."""
    total, rows = listing.list_tickets(bo, session, f.as_listing(), viewer)
    # The assignments follow the derived lead column (both are refreshed from the events together).
    return total, [(t, "lead" if t.lead_code == viewer.department else "co") for t in rows]
