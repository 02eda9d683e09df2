"""A ticket and its events as a member of staff may see them: departments
never get the complainant's identity unless the complainant agreed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from .. import lifecycle
from ..clocks import Clock
from ..lifecycle import Event
from ..models import Complainant, Ticket
from ..privacy_views import shown_to
from ..workcalendar import format_due
from .backoffice import Backoffice
from .history import events_of, life_and_clocks, stored_payload
from .viewer import Viewer


def ticket_view(bo: Backoffice, session: Session, ticket: Ticket, viewer: Viewer, *, with_events: bool = False) -> dict:
    """A ticket as the viewer may see it: departments never get the complainant's
    identity unless the complainant agreed."""
    events = events_of(session, ticket)
    now = bo.now()
    life, clocks = life_and_clocks(bo, events, now)
    view = {
        "number": ticket.number,
        "state": life.state,
        "state_name": life.state_name,
        "created_at": ticket.created_at.isoformat(),
        "channel": ticket.channel,
        "category": ticket.category_code,
        "category_name": bo.catalog.categories[ticket.category_code].name,
        "category_confidence": ticket.category_confidence,
        "description": ticket.description,
        "respondent": ticket.respondent,
        "respondent_code": ticket.respondent_code,
        "promise": ticket.promise,
        "promise_date": ticket.promise_date,
        "amount_yuan": str(ticket.amount_yuan) if ticket.amount_yuan is not None else None,
        "reference": ticket.reference,
        "place": ticket.place,
        "district_code": ticket.district_code,
        "evidence": ticket.evidence,
        "urgent": life.urgent,
        "urgency_reason": ticket.urgency_reason,
        "anonymous": ticket.anonymous,
        "consent_disclose": ticket.consent_disclose,
        "lead": life.lead,
        "lead_name": bo.catalog.name_of(life.lead) if life.lead else None,
        "co": list(life.co),
        "co_names": [bo.catalog.name_of(c) for c in life.co],
        "routing_notes": ticket.routing_notes,
        "verify_result": life.verify_result,
        "reply": life.reply_text,
        "satisfaction": life.satisfaction,
        "reopen_count": life.reopen_count,
        "merged_into": life.merged_into,
        "pending_extension": _extension_view(life.pending_extension),
        "paused": life.paused,
        "clocks": {name: _clock_view(c, now) for name, c in clocks.items()},
        "overdue": any(c.overdue(now) for c in clocks.values() if not c.projected),
    }
    if viewer.sees_everything:
        view["field_sources"] = ticket.field_sources
        view["conversation_id"] = ticket.conversation_id
    c = session.exec(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalars().first()
    if viewer.sees_everything or ticket.consent_disclose:
        view["complainant"] = {"name": c.name, "phone": c.phone} if c else None
    if with_events:
        view["events"] = [event_view(e) for e in events]
    return shown_to(viewer, view, ticket.consent_disclose, [c.name] if c and c.name else [],
                    also=[(e.reason, e.payload) for e in events])


def _extension_view(ext) -> dict | None:
    if ext is None:
        return None
    return {"requested_at": ext.requested_at.isoformat(), "new_due": ext.new_due.isoformat(), "reason": ext.reason}


def _clock_view(c: Clock, now: datetime) -> dict:
    return {
        "label": c.label,
        "started_at": c.started_at.isoformat(),
        "due_at": c.due_at.isoformat(),
        "due_text": format_due(c.due_at),
        "done_at": c.done_at.isoformat() if c.done_at else None,
        "paused": c.paused,
        "projected": c.projected,
        "overdue": c.overdue(now),
        "late": c.late,
    }


def event_view(e: Event) -> dict:
    return {
        "action": e.action,
        "action_name": lifecycle.ACTION_NAMES.get(e.action, e.action),
        "at": e.at.isoformat(),
        "actor": e.actor,
        "role": e.role,
        "reason": e.reason,
        "payload": stored_payload(e.payload),
    }


def summary_view(bo: Backoffice, ticket: Ticket) -> dict:
    """A listing row, from the derived columns only (no event replay)."""
    return {
        "number": ticket.number,
        "state": ticket.state,
        "state_name": lifecycle.STATE_NAMES.get(ticket.state, ticket.state),
        "category": ticket.category_code,
        "category_name": bo.catalog.categories[ticket.category_code].name,
        "respondent": ticket.respondent,
        "lead": ticket.lead_code,
        "lead_name": bo.catalog.name_of(ticket.lead_code) if ticket.lead_code else None,
        "urgent": ticket.urgent,
        "created_at": ticket.created_at.isoformat(),
        "next_due_at": ticket.next_due_at.isoformat() if ticket.next_due_at else None,
        "next_due_clock": ticket.next_due_clock,
        "overdue": bool(ticket.next_due_at and ticket.next_due_at < bo.now()),
    }
