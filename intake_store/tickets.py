"""Ticket operations: the thin shell between the HTTP handlers and the pure core.

Each function loads what it needs, asks the core (routing, lifecycle, clocks)
and saves the result in the caller's session, so one request is one
transaction: an error anywhere leaves nothing half-written.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from . import lifecycle
from .catalog import Catalog
from .clocks import Clock, compute_clocks, latest_new_due, next_due, return_deadline
from .lifecycle import Event, Life, TransitionError
from .models import (
    Assignment,
    Category,
    Complainant,
    Conversation,
    Department,
    RoutingRule,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from .privacy_views import shown_to
from .recusal import recusal_problem
from .routing import route
from .schemas import TicketIn
from .workcalendar import BEIJING, WorkCalendar, format_due


class NotFound(LookupError):
    def __init__(self, message: str = "没有找到这张工单。"):
        super().__init__(message)
        self.message = message


# Called after every event, in the same transaction, so what follows from an
# event (a notification to the citizen, a dishonesty record) is written with
# it or not at all. Wired in one place: `web.build_backoffice`.
EventListener = Callable[["Backoffice", Session, "Ticket", "Event", "Life"], None]


@dataclass
class Backoffice:
    """What every operation needs: the database, the rules and the time."""

    engine: Engine
    catalog: Catalog
    calendar: WorkCalendar
    secret: str
    now: Callable[[], datetime]
    listeners: tuple[EventListener, ...] = ()


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


# ---------------------------------------------------------------- query codes

def query_code(secret: str, nonce: str) -> str:
    """8 digits derived from a per-ticket random nonce and the server secret:
    not guessable from the ticket number, and the same on an idempotent retry."""
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def normalize_number(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"{digits[:8]}-{digits[8:]}" if len(digits) > 8 else number.strip()


def _next_number(session: Session, now: datetime) -> str:
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


# ---------------------------------------------------------------- defaults

def load_defaults(session: Session, catalog: Catalog) -> dict[str, int]:
    """Mirror the catalog's data files into the tables (idempotent upsert)."""
    for d in catalog.departments.values():
        row = session.get(Department, d.code) or Department(code=d.code, name=d.name, short=d.short, level=d.level)
        row.name, row.short, row.level, row.aliases = d.name, d.short, d.level, list(d.aliases)
        session.add(row)
    session.flush()
    for d in catalog.departments.values():
        row = session.get(Department, d.code)
        row.parent_code, row.supervisor_code = d.parent, d.supervisor
    for c in catalog.categories.values():
        row = session.get(Category, c.code) or Category(code=c.code, name=c.name, supervisor_code=c.supervisor)
        row.name, row.supervisor_code, row.local, row.complex = c.name, c.supervisor, c.local, c.complex
        row.respondent_assists, row.clocks = c.respondent_assists, dict(c.clock_overrides)
        session.add(row)
    session.flush()
    session.execute(RoutingRule.__table__.delete().where(RoutingRule.district_code.is_(None)))
    for c in catalog.categories.values():
        session.add(RoutingRule(category_code=c.code, lead_code=c.lead, co_codes=list(c.co)))
    return {"departments": len(catalog.departments), "categories": len(catalog.categories)}


# ---------------------------------------------------------------- events and derived state

def events_of(session: Session, ticket: Ticket) -> list[Event]:
    rows = session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
    ).scalars().all()
    return [to_core_event(r) for r in rows]


def to_core_event(row: TicketEvent) -> Event:
    payload = dict(row.payload)
    if "new_due" in payload:
        payload["new_due"] = datetime.fromisoformat(payload["new_due"]).date()
    return Event(action=row.action, at=row.at, actor=row.actor, role=row.role, reason=row.reason, payload=payload)


def _stored_payload(payload: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in payload.items()}


def life_and_clocks(bo: Backoffice, events: list[Event], now: datetime | None = None) -> tuple[Life, dict[str, Clock]]:
    life = lifecycle.replay(events)
    return life, compute_clocks(life, bo.catalog, bo.calendar, now or bo.now())


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
            payload=_stored_payload(event.payload),
        )
    )
    session.flush()


# ---------------------------------------------------------------- submit

def create_ticket(bo: Backoffice, session: Session, data: TicketIn, viewer: Viewer) -> tuple[Ticket, bool]:
    """受理: store the complaint, route it, and dispatch it when the
    classification is confident. Returns (ticket, replayed)."""
    existing = session.exec(select(Ticket).where(Ticket.idempotency_key == data.idempotency_key)).scalars().first()
    if existing:
        return existing, True
    if data.category and data.category not in bo.catalog.categories:
        raise TransitionError(f"未知的投诉类别：{data.category}", "unknown_category")

    now = bo.now()
    category = data.category or "other"
    r = route(category, respondent=data.respondent, place=data.place, catalog=bo.catalog, text=data.description)
    ticket = Ticket(
        number=_next_number(session, now),
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
        events.append(Event("dispatch", now, "system", "system", reason="分类置信度达标，自动派单", payload={"lead": r.dispatch_lead, "co": list(r.dispatch_co)}))
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
    conv.handoff_reason = reason or "群众要求转人工"
    session.add(conv)
    return conv


# ---------------------------------------------------------------- actions on a ticket

def get_ticket(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.number == normalize_number(number))
    if for_update:
        stmt = stmt.with_for_update()
    ticket = session.exec(stmt).scalars().first()
    if ticket is None:
        raise NotFound()
    return ticket


def can_see(session: Session, ticket: Ticket, viewer: Viewer) -> bool:
    if viewer.sees_everything:
        return True
    if viewer.role == "department" and viewer.department:
        return session.exec(
            select(Assignment.id).where(Assignment.ticket_id == ticket.id, Assignment.department_code == viewer.department)
        ).first() is not None
    return False


def visible_ticket(session: Session, number: str, viewer: Viewer, *, for_update: bool = False) -> Ticket:
    """The ticket, or NotFound for a department it is not routed to (no hint that it exists)."""
    ticket = get_ticket(session, number, for_update=for_update)
    if not can_see(session, ticket, viewer):
        raise NotFound()
    return ticket


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
        raise TransitionError("只有主办单位可以办理这一步；协办单位请与主办单位联系。", "not_lead")
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
            raise TransitionError(f"未知的单位代码：{code}", "unknown_department")
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
        raise TransitionError("不能把工单合并到它自己。", "merge_self")
    other = session.exec(select(Ticket).where(Ticket.number == target)).scalars().first()
    if other is None or other.state in lifecycle.TERMINAL:
        raise TransitionError("要合并到的工单不存在或已结束。", "merge_target_invalid")


def amend(bo: Backoffice, session: Session, number: str, viewer: Viewer, changes: dict, reason: str | None) -> tuple[Ticket, Life]:
    """Operator fixes what the assistant extracted; the change is an event."""
    ticket = get_ticket(session, number, for_update=True)
    if "category" in changes and changes["category"] not in bo.catalog.categories:
        raise TransitionError(f"未知的投诉类别：{changes['category']}", "unknown_category")
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
            raise TransitionError(f"{e.message}请先改派，再修改被投诉单位。", e.code) from None
    ticket, life = act(bo, session, number, "amend", viewer, reason=reason, payload={**changes, "before": before})
    for field_name in ("respondent", "place", "urgency_reason"):
        if field_name in changes:
            setattr(ticket, field_name, changes[field_name])
    if "respondent" in changes or "place" in changes:
        r = route(life.category, ticket.respondent, ticket.place, bo.catalog, ticket.description)
        ticket.respondent_code, ticket.district_code = r.respondent_code, r.district_code
    session.add(ticket)
    return ticket, life


# ---------------------------------------------------------------- reading

def check_query_code(bo: Backoffice, ticket: Ticket, code: str) -> bool:
    return hmac.compare_digest(query_code(bo.secret, ticket.query_nonce), code.strip())


def citizen_ticket(bo: Backoffice, session: Session, number: str, code: str) -> Ticket:
    """The ticket for a citizen holding its number and query code; one error for both mistakes."""
    try:
        ticket = get_ticket(session, number)
    except NotFound:
        ticket = None
    if ticket is None or not check_query_code(bo, ticket, code):
        raise NotFound("工单号或查询码不正确，请核对后再试。")
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


CITIZEN_VISIBLE = {
    "submit": "您的投诉已受理",
    "dispatch": "已转交{lead}办理",
    "reroute": "已改由{lead}办理",
    "accept": "承办单位已签收",
    "verify": "承办单位已完成核查",
    "reply": "承办单位已答复",
    "follow_up": "已回访，您的评价：{satisfaction}",
    "reopen": "已重新交办（重办）",
    "extension_approve": "办理期限已延长至{new_due}，原因：{request_reason}",
    "pause": "等待您补充材料，期间暂停计时",
    "resume": "材料已补充，恢复计时",
    "reject": "不予受理，原因：{reason}",
    "merge": "与工单{into}合并办理",
    "close": "已办结",
    "supervise": "工单已被督办",
}


def citizen_timeline(bo: Backoffice, events: list[Event]) -> list[dict]:
    out = []
    for e in events:
        template = CITIZEN_VISIBLE.get(e.action)
        if not template:
            continue
        lead = e.payload.get("lead")
        text = template.format(
            lead=bo.catalog.name_of(lead) if lead in bo.catalog.departments else "承办单位",
            satisfaction=e.payload.get("satisfaction", ""),
            new_due=_date_text(e.payload.get("new_due")),
            request_reason=e.payload.get("request_reason", ""),
            reason=e.reason or "",
            into=e.payload.get("into", ""),
        )
        out.append({"at": e.at.astimezone(BEIJING).isoformat(), "text": text})
    return out


def _date_text(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


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
        "payload": _stored_payload(e.payload),
    }


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    department: str | None = None
    category: str | None = None
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0


def list_tickets(bo: Backoffice, session: Session, filters: Filters, viewer: Viewer) -> tuple[int, list[Ticket]]:
    stmt = select(Ticket)
    if viewer.role == "department":
        stmt = stmt.join(Assignment, Assignment.ticket_id == Ticket.id).where(Assignment.department_code == viewer.department)
    if filters.department:
        stmt = stmt.where(
            or_(Ticket.lead_code == filters.department,
                Ticket.id.in_(select(Assignment.ticket_id).where(Assignment.department_code == filters.department)))
        )
    if filters.state:
        stmt = stmt.where(Ticket.state == filters.state)
    if filters.category:
        stmt = stmt.where(Ticket.category_code == filters.category)
    if filters.overdue is True:
        stmt = stmt.where(Ticket.next_due_at < bo.now())
    elif filters.overdue is False:
        stmt = stmt.where(or_(Ticket.next_due_at.is_(None), Ticket.next_due_at >= bo.now()))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.exec(
        stmt.order_by(Ticket.urgent.desc(), Ticket.created_at.desc(), Ticket.id.desc()).limit(filters.limit).offset(filters.offset)
    ).scalars().all()
    return total, list(rows)


def due_tickets(session: Session, before: datetime, limit: int = 1000) -> list[Ticket]:
    """Open tickets whose next clock falls due before `before` (what the deadline jobs sweep)."""
    stmt = (
        select(Ticket)
        .where(Ticket.next_due_at.is_not(None), Ticket.next_due_at < before)
        .order_by(Ticket.next_due_at)
        .limit(limit)
    )
    return list(session.exec(stmt).scalars().all())


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
