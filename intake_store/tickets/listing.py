"""The one listing of tickets. The REST API, the operator's queue and a
department's inbox filter, scope and order tickets here, from the derived
columns only (no event replay)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlmodel import Session

from ..models import Assignment, Ticket
from .backoffice import Backoffice
from .viewer import Viewer

# sort key -> column; without a key: urgent first, then newest.
SORT_COLUMNS = {
    "due": Ticket.next_due_at,
    "reply_due": Ticket.reply_due_at,
    "created": Ticket.created_at,
    "number": Ticket.number,
}


@dataclass(frozen=True)
class Filters:
    states: tuple[str, ...] | None = None  # None: any state
    department: str | None = None  # routed to this body now, as lead or assisting
    category: str | None = None
    urgent: bool = False  # only the urgent ones
    overdue: bool | None = None  # True: a deadline has passed; False: none has
    text: str | None = None  # found in the number, the description or the respondent
    sort: str | None = None  # a key of SORT_COLUMNS
    descending: bool = False
    limit: int = 50
    offset: int = 0


def _routed_to(department: str | None):
    return Ticket.id.in_(select(Assignment.ticket_id).where(Assignment.department_code == department))


def matching(bo: Backoffice, f: Filters, viewer: Viewer) -> Select:
    """The tickets the filters select, of those the viewer may see (a department: those routed to it)."""
    stmt = select(Ticket)
    if viewer.role == "department":
        stmt = stmt.where(_routed_to(viewer.department))
    if f.department:
        stmt = stmt.where(_routed_to(f.department))
    if f.states is not None:
        stmt = stmt.where(Ticket.state.in_(f.states))
    if f.category:
        stmt = stmt.where(Ticket.category_code == f.category)
    if f.urgent:
        stmt = stmt.where(Ticket.urgent.is_(True))
    if f.overdue is True:
        stmt = stmt.where(Ticket.next_due_at < bo.now())
    elif f.overdue is False:
        stmt = stmt.where(or_(Ticket.next_due_at.is_(None), Ticket.next_due_at >= bo.now()))
    if f.text:
        like = f"%{f.text.strip()}%"
        stmt = stmt.where(or_(Ticket.number.like(like), Ticket.description.like(like), Ticket.respondent.like(like)))
    return stmt


def ordered(stmt: Select, f: Filters) -> Select:
    if f.sort is None:
        return stmt.order_by(Ticket.urgent.desc(), Ticket.created_at.desc(), Ticket.id.desc())
    column = SORT_COLUMNS[f.sort]
    # Tickets without that deadline go last whichever way it is sorted.
    return stmt.order_by(column.is_(None), column.desc() if f.descending else column.asc(), Ticket.id.desc())


def count_tickets(bo: Backoffice, session: Session, f: Filters, viewer: Viewer) -> int:
    return session.execute(select(func.count()).select_from(matching(bo, f, viewer).subquery())).scalar_one()


def list_tickets(bo: Backoffice, session: Session, f: Filters, viewer: Viewer) -> tuple[int, list[Ticket]]:
    """(how many match, the page of them)."""
    stmt = matching(bo, f, viewer)
    total = count_tickets(bo, session, f, viewer)
    rows = session.execute(ordered(stmt, f).limit(f.limit).offset(f.offset)).scalars().all()
    return total, list(rows)
