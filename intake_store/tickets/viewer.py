"""Who is asking: decides what of a ticket they may see and do."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from ..models import Assignment, Ticket


@dataclass(frozen=True)
class Viewer:
    """Who is asking: decides what of a ticket they may see and do."""

    role: str  # service | operator | department | supervisor | system
    actor: str
    department: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in ("service", "operator", "supervisor", "system")


SYSTEM = Viewer(role="system", actor="system")


def can_see(session: Session, ticket: Ticket, viewer: Viewer) -> bool:
    """Staff see every ticket; a department only those routed to it (lead or assisting)."""
    if viewer.sees_everything:
        return True
    if viewer.role == "department" and viewer.department:
        return session.exec(
            select(Assignment.id).where(Assignment.ticket_id == ticket.id, Assignment.department_code == viewer.department)
        ).first() is not None
    return False
