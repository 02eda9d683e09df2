"""Ticket numbers (day and sequence) and the citizen's query code."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ..models import TicketSequence
from ..workcalendar import BEIJING


def query_code(secret: str, nonce: str) -> str:
    """8 digits derived from a per-ticket random nonce and the server secret:
    not guessable from the ticket number, and the same on an idempotent retry."""
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def normalize_number(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"{digits[:8]}-{digits[8:]}" if len(digits) > 8 else number.strip()


def next_number(session: Session, now: datetime) -> str:
    """The day's next number, e.g. 20250312-0007, counted in the database so
    concurrent submissions never share one."""
    day = now.astimezone(BEIJING).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(TicketSequence)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": TicketSequence.last + 1})
        .returning(TicketSequence.last)
    )
    seq = session.execute(stmt).scalar_one()
    return f"{day}-{seq:04d}"
