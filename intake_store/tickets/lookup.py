"""Finding a ticket by its number, for someone allowed to see it."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from ..models import Ticket
from ..texts import TICKET_NOT_FOUND
from .numbering import normalize_number
from .viewer import Viewer, can_see


class NotFound(LookupError):
    def __init__(self, message: str = TICKET_NOT_FOUND):
        super().__init__(message)
        self.message = message


def get_ticket(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.number == normalize_number(number))
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.exec(stmt).scalars().first()
    if ticket is None:
        raise NotFound()
    return ticket


def visible_ticket(session: Session, number: str, viewer: Viewer, *, for_update: bool = False) -> Ticket:
    """The ticket, or NotFound for a department it is not routed to (no hint that it exists)."""
    ticket = get_ticket(session, number, for_update=for_update)
    if not can_see(session, ticket, viewer):
        raise NotFound()
    return ticket
