"""What a citizen holding a ticket's number and query code sees: its state,
the reply, the deadline and a timeline in plain words."""
from __future__ import annotations

import hmac

from sqlmodel import Session

from .. import texts
from ..lifecycle import Event
from ..models import Ticket
from ..workcalendar import BEIJING, format_due
from .backoffice import Backoffice
from .history import events_of, life_and_clocks
from .lookup import NotFound, get_ticket
from .numbering import query_code


def check_query_code(bo: Backoffice, ticket: Ticket, code: str) -> bool:
    # As bytes: compare_digest refuses non-ASCII strings, and a citizen may type anything.
    typed = code.strip().encode("utf-8", "replace")
    return hmac.compare_digest(query_code(bo.secret, ticket.query_nonce).encode(), typed)


def citizen_ticket(bo: Backoffice, session: Session, number: str, code: str) -> Ticket:
    """The ticket for a citizen holding its number and query code; one error for both mistakes."""
    try:
        ticket = get_ticket(session, number)
    except NotFound:
        ticket = None
    if ticket is None or not check_query_code(bo, ticket, code):
        raise NotFound(texts.WRONG_NUMBER_OR_CODE)
    return ticket


def citizen_status(bo: Backoffice, session: Session, ticket: Ticket) -> dict:
    events = events_of(session, ticket)
    life, clocks = life_and_clocks(bo, events)
    reply = clocks.get("reply")
    return {
        "number": ticket.number,
        "state": life.state,
        "state_name": life.state_name,
        "category_name": bo.catalog.categories[ticket.category_code].name,
        "lead_name": bo.catalog.name_of(life.lead) if life.lead else None,
        "submitted_at": ticket.created_at.astimezone(BEIJING).isoformat(),
        "reply_due": reply.due_at.isoformat() if reply else None,
        "reply_due_text": format_due(reply.due_at) if reply else None,
        "reply": life.reply_text,
        "followup_open": life.state == "replied",
        "timeline": citizen_timeline(bo, events),
    }


def citizen_timeline(bo: Backoffice, events: list[Event]) -> list[dict]:
    out = []
    for e in events:
        template = texts.TIMELINE.get(e.action)
        if not template:
            continue
        lead = e.payload.get("lead")
        text = template.format(
            lead=bo.catalog.name_of(lead) if lead in bo.catalog.departments else texts.SOME_DEPARTMENT,
            satisfaction=e.payload.get("satisfaction", ""),
            new_due=texts.date_text(e.payload.get("new_due")),
            request_reason=e.payload.get("request_reason", ""),
            reason=e.reason or "",
            into=e.payload.get("into", ""),
        )
        out.append({"at": e.at.astimezone(BEIJING).isoformat(), "text": text})
    return out

