"""What every ticket operation needs: the database, the rules and the time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..catalog import Catalog
from ..workcalendar import WorkCalendar

if TYPE_CHECKING:
    from ..lifecycle import Event, Life
    from ..models import Ticket

# Called after every event, in the same transaction, so what follows from an
# event (a notification to the citizen, a dishonesty record) is written with
# it or not at all. Wired in one place: `app.build_backoffice`.
EventListener = Callable[["Backoffice", Session, "Ticket", "Event", "Life"], None]
# A deadline that belongs to no ticket (e.g. a promise past its due date),
# checked once per sweep in its own transaction; returns how many it acted on.
DeadlineCheck = Callable[["Backoffice", Session, datetime], int]


@dataclass
class Backoffice:
    """What every operation needs: the database, the rules and the time."""

    engine: Engine
    catalog: Catalog
    calendar: WorkCalendar
    secret: str
    now: Callable[[], datetime]
    listeners: tuple[EventListener, ...] = ()
    checks: tuple[tuple[str, DeadlineCheck], ...] = ()  # (action kind, check), run by every deadline sweep
