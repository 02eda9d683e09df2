"""What changes a ticket: submit (受理), the actions of its life, amend, and
the hand-over of a conversation to an operator.

Each function loads what it needs, asks the core (routing, lifecycle, clocks)
and saves the result in the caller's session, so one request is one
transaction: an error anywhere leaves nothing half-written.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from .. import lifecycle, texts
from ..clocks import latest_new_due, next_due, return_deadline
from ..lifecycle import Event, Life, TransitionError
from ..models import Assignment, Complainant, Conversation, Ticket, TicketEvent
from ..recusal import recusal_problem
from ..routing import route
from ..schemas import TicketIn
from .backoffice import Backoffice
from .history import events_of, life_and_clocks, stored_payload
from .lookup import get_ticket, visible_ticket
from .numbering import next_number, normalize_number
from .viewer import Viewer


def _refresh(bo: Backoffice, session: Session, ticket: Ticket, events: list[Event], now: datetime) -> Life:
    """Recompute the columns derived from the events, and the assignments."""
    life, clocks = life_and_clocks(bo, events, now)
    ticket.state = life.state
    ticket.category_code = life.category or ticket.category_code
    ticket.urgent = life.urgent
    ticket.merged_into = life.merged_into
    ticket.lead_code = life.lead
    ticket.co_codes = list(life.co)
    due = next_due(clocks) if life.is_open else None
    ticket.next_due_at = due.due_at if due else None
    ticket.next_due_clock = due.name if due else None
    reply = clocks.get("reply")
    ticket.reply_due_at = reply.due_at if reply else None
    ticket.updated_at = now
    session.add(ticket)
    _sync_assignments(session, ticket, life)
    return life


def _sync_assignments(session: Session, ticket: Ticket, life: Life) -> None:
    wanted = {}
    if life.lead:
        wanted[life.lead] = "lead"
    for c in life.co:
        wanted.setdefault(c, "co")
    current = {a.department_code: a for a in session.exec(select(Assignment).where(Assignment.ticket_id == ticket.id)).scalars()}
    for code, a in current.items():
        if code not in wanted:
            session.delete(a)
        elif a.role != wanted[code]:
            a.role = wanted[code]
            session.add(a)
    for code, role in wanted.items():
        if code not in current:
            session.add(Assignment(ticket_id=ticket.id, department_code=code, role=role))
    session.flush()


def _append(session: Session, ticket: Ticket, event: Event, seq: int) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            seq=seq,
            at=event.at,
            actor=event.actor,
            role=event.role,
            action=event.action,
            reason=event.reason,
            payload=stored_payload(event.payload),
        )
    )
    session.flush()


def create_ticket(bo: Backoffice, session: Session, data: TicketIn, viewer: Viewer) -> tuple[Ticket, bool]:
    """受理: store the complaint, route it, and dispatch it when the
    classification is confident. Returns (ticket, replayed)."""
    existing = session.exec(select(Ticket).where(Ticket.idempotency_key == data.idempotency_key)).scalars().first()
    if existing:
        return existing, True
    if data.category and data.category not in bo.catalog.categories:
        raise TransitionError(texts.unknown_category(data.category), "unknown_category")

    now = bo.now()
    category = data.category or "other"
    r = route(category, respondent=data.respondent, place=data.place, catalog=bo.catalog, text=data.description)
    ticket = Ticket(
        number=next_number(session, now),
        query_nonce=secrets.token_hex(16),
        idempotency_key=data.idempotency_key,
        created_at=now,
        updated_at=now,
        channel=data.channel,
        conversation_id=data.conversation_id,
        category_code=category,
        category_confidence=data.category_confidence,
        description=data.description,
        respondent=data.respondent,
        respondent_code=r.respondent_code,
        promise=data.promise,
        promise_date=data.promise_date,
        amount_yuan=data.amount_yuan,
        reference=data.reference,
        place=data.place,
        district_code=r.district_code,
        evidence=data.evidence,
        urgent=data.urgent,
        urgency_reason=data.urgency_reason,
        anonymous=data.anonymous,
        consent_disclose=data.consent_disclose and not data.anonymous,
        field_sources={k: v.model_dump() for k, v in data.field_sources.items()},
        routing_notes=list(r.notes),
        state="submitted",
    )
    session.add(ticket)
    session.flush()
    session.add(
        Complainant(
            ticket_id=ticket.id,
            name=None if data.anonymous else data.contact_name,
            phone=None if data.anonymous else data.contact_phone,
            channel=data.channel,
            sender_id=data.sender_id,
        )
    )
    if data.conversation_id:
        _touch_conversation(session, data.conversation_id, data.channel, data.sender_id or data.conversation_id, now)

    events = [
        Event(
            "submit", now, viewer.actor, viewer.role,
            payload={"category": category, "urgent": data.urgent, "suggested_lead": r.dispatch_lead, "suggested_co": list(r.dispatch_co)},
        )
    ]
    confident = data.category is not None and (data.category_confidence or 0) >= bo.catalog.auto_dispatch_min_confidence
    if confident:
        events.append(Event("dispatch", now, "system", "system", reason=texts.AUTO_DISPATCH, payload={"lead": r.dispatch_lead, "co": list(r.dispatch_co)}))
    for seq, e in enumerate(events, start=1):
        _append(session, ticket, e, seq)
    life = _refresh(bo, session, ticket, events, now)
    for e in events:
        _notify(bo, session, ticket, e, life)
    return ticket, False


def _touch_conversation(session: Session, conv_id: str, channel: str, sender_id: str, now: datetime) -> Conversation:
    conv = session.get(Conversation, conv_id)
    if conv is None:
        conv = Conversation(id=conv_id, channel=channel, sender_id=sender_id, started_at=now, last_message_at=now)
    else:
        conv.last_message_at = now
    session.add(conv)
    session.flush()
    return conv


def handoff(session: Session, conv_id: str, channel: str, sender_id: str, reason: str, now: datetime) -> Conversation:
    """转人工: put the conversation in the operator queue."""
    conv = _touch_conversation(session, conv_id, channel, sender_id, now)
    conv.needs_operator = True
    conv.handoff_reason = reason or texts.HANDOFF_ASKED
    session.add(conv)
    return conv


def act(
    bo: Backoffice,
    session: Session,
    number: str,
    action: str,
    viewer: Viewer,
    *,
    reason: str | None = None,
    payload: dict | None = None,
) -> tuple[Ticket, Life]:
    """Apply one action to a ticket if its life allows it now."""
    ticket = visible_ticket(session, number, viewer, for_update=True)
    events = events_of(session, ticket)
    now = bo.now()
    life, clocks = life_and_clocks(bo, events, now)
    if viewer.role == "department" and life.lead != viewer.department:
        raise TransitionError(texts.ONLY_THE_LEAD, "not_lead")
    payload = dict(payload or {})
    if action in ("dispatch", "reroute"):
        payload = _route_payload(bo, ticket, life, payload)
    if action == "merge":
        _check_merge_target(session, ticket, payload)
    if action == "extension_approve" and life.pending_extension:
        # The citizen is told the new date and why (an extension must be explained).
        payload.update(new_due=life.pending_extension.new_due, request_reason=life.pending_extension.reason)
    event = Event(action, now, viewer.actor, viewer.role, reason=reason, payload=payload)
    lifecycle.check(life, event, max_extensions=bo.catalog.max_extensions, return_deadline=return_deadline(clocks),
                    latest_new_due=latest_new_due(life, bo.catalog, bo.calendar))
    events.append(event)
    _append(session, ticket, event, seq=len(events))
    life = _refresh(bo, session, ticket, events, now)
    _notify(bo, session, ticket, event, life)
    return ticket, life


def _notify(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> None:
    for listener in bo.listeners:
        listener(bo, session, ticket, event, life)


def _route_payload(bo: Backoffice, ticket: Ticket, life: Life, payload: dict) -> dict:
    """Dispatch uses the suggested route unless the operator names bodies;
    named bodies must exist and must not be the accused (回避)."""
    if not payload.get("lead"):
        r = route(life.category or ticket.category_code, ticket.respondent, ticket.place, bo.catalog, ticket.description)
        payload["lead"] = r.dispatch_lead
        if not payload.get("co"):
            payload["co"] = list(r.dispatch_co)
    bodies = [payload["lead"], *(payload.get("co") or [])]
    for code in bodies:
        if code not in bo.catalog.departments:
            raise TransitionError(texts.unknown_department(code), "unknown_department")
    payload["co"] = [c for c in (payload.get("co") or []) if c != payload["lead"]]
    _check_recusal(bo, life.category or ticket.category_code, payload["lead"], payload["co"], ticket.respondent_code)
    return payload


def _check_recusal(bo: Backoffice, category: str, lead: str | None, co, respondent_code: str | None) -> None:
    cat = bo.catalog.categories.get(category)
    problem = recusal_problem(lead, co, respondent_code, bool(cat and cat.respondent_assists))
    if problem:
        raise TransitionError(problem, "conflict_of_interest")


def _check_merge_target(session: Session, ticket: Ticket, payload: dict) -> None:
    target = normalize_number(payload.get("into") or "")
    payload["into"] = target
    if target == ticket.number:
        raise TransitionError(texts.MERGE_INTO_ITSELF, "merge_self")
    other = session.exec(select(Ticket).where(Ticket.number == target)).scalars().first()
    if other is None or other.state in lifecycle.TERMINAL:
        raise TransitionError(texts.MERGE_TARGET_INVALID, "merge_target_invalid")


def amend(bo: Backoffice, session: Session, number: str, viewer: Viewer, changes: dict, reason: str | None) -> tuple[Ticket, Life]:
    """Operator fixes what the assistant extracted; the change is an event."""
    ticket = get_ticket(session, number, for_update=True)
    if "category" in changes and changes["category"] not in bo.catalog.categories:
        raise TransitionError(texts.unknown_category(changes["category"]), "unknown_category")
    before = {k: getattr(ticket, {"category": "category_code"}.get(k, k)) for k in changes}
    if "respondent" in changes or "place" in changes:
        # The route in force must still keep the (newly named) accused out; a
        # dispatched ticket is rerouted first, then amended.
        life, _ = life_and_clocks(bo, events_of(session, ticket))
        r = route(life.category, changes.get("respondent", ticket.respondent), changes.get("place", ticket.place),
                  bo.catalog, ticket.description)
        try:
            _check_recusal(bo, changes.get("category", life.category), life.lead, life.co, r.respondent_code)
        except TransitionError as e:
            raise TransitionError(texts.reroute_before_amending(e.message), e.code) from None
    ticket, life = act(bo, session, number, "amend", viewer, reason=reason, payload={**changes, "before": before})
    for field_name in ("respondent", "place", "urgency_reason"):
        if field_name in changes:
            setattr(ticket, field_name, changes[field_name])
    if "respondent" in changes or "place" in changes:
        r = route(life.category, ticket.respondent, ticket.place, bo.catalog, ticket.description)
        ticket.respondent_code, ticket.district_code = r.respondent_code, r.district_code
    session.add(ticket)
    return ticket, life


