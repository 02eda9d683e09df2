"""Dishonesty records and scorecard rows: the thin shell around `rules`.

`on_ticket_event` is the ticket event listener (wired in `app.EVENT_LISTENERS`):
in the same transaction as every ticket event it keeps the ticket's scorecard
row, and a 核查 of 属实 / 部分属实 makes the dishonesty record. `record_act`
is the one way anything else changes a record: load its events, check, append,
recompute the derived columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from ..bodies import find_department
from ..clocks import Clock, compute_clocks, next_due
from ..console.review import MatterKey
from ..jobs.runner import PORTAL
from ..lifecycle import Event, Life, TransitionError, replay
from ..models import Ticket
from ..outbox import notify
from ..tickets.backoffice import Backoffice
from ..tickets.history import events_of
from ..tickets.lookup import NotFound
from ..tickets.viewer import Viewer
from ..workcalendar import BEIJING, format_due
from . import rules
from .models import IntegrityRecord, RecordEventRow, TicketFact
from .rules import IntegrityConfig, RecordEvent, RecordLife

NO_RESPONDENT = "（群众未指明被投诉单位）"
LEAD_CLOCKS = ("accept", "verify", "reply")  # what the lead body answers for; 回访 is the hotline's


class RecordNotFound(NotFound):
    def __init__(self):
        super().__init__("没有找到这条政务失信记录。")


# ---------------------------------------------------------------- the ticket event listener

def on_ticket_event(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> None:
    """After every ticket event, in its transaction: the scorecard row; after a 核查, the record."""
    check_confirmation(bo, event, life)
    fact = save_fact(bo, session, ticket, event, life)
    if event.action == "submit":
        fact.repeat_of = earlier_same_matter(session, ticket, rules.default_config())
    elif event.action == "merge":
        fact.repeat_of = event.payload.get("into")  # an operator found it is the same matter
    if event.action == "verify":
        record_verification(bo, session, ticket, event, life, rules.default_config())


def check_confirmation(bo: Backoffice, event: Event, life: Life) -> None:
    """A body confirmed as the accused (`respondent_code` in a dispatch or 核查)
    must be a catalog body, named by someone who may confirm it. Raising here
    undoes the event: the listener runs in its transaction."""
    code = event.payload.get("respondent_code")
    if not code:
        return
    if event.role not in rules.CONFIRMING.get(event.action, ()):
        raise TransitionError("被投诉单位只能由派单员在派单时、或承办单位在核查时确认。", "forbidden")
    if code not in bo.catalog.departments:
        raise TransitionError(f"未知的单位代码：{code}", "unknown_department")
    if event.action in ("dispatch", "reroute") and code == life.lead:
        raise TransitionError("回避：不能把工单派给被投诉单位本身主办。", "conflict_of_interest")


def save_fact(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> TicketFact:
    """The ticket's scorecard row, from its life and clocks after this event."""
    clocks = compute_clocks(life, bo.catalog, bo.calendar, event.at)
    accept, reply = clocks.get("accept"), clocks.get("reply")
    if reply and reply.projected:
        reply = None  # not dispatched: no body answers for it yet
    lead_clocks = {name: c for name, c in clocks.items() if name in LEAD_CLOCKS}
    due = next_due(lead_clocks) if life.is_open else None
    fact = session.get(TicketFact, ticket.id) or TicketFact(ticket_id=ticket.id, created_at=ticket.created_at,
                                                              category_code=ticket.category_code, state=life.state,
                                                              respondent_code=ticket.respondent_code)
    respondent_code = fact.respondent_code
    if event.payload.get("respondent_code") and event.role in rules.CONFIRMING.get(event.action, ()):
        respondent_code, fact.respondent_confirmed = event.payload["respondent_code"], True
    elif event.action == "amend" and "respondent" in event.payload and not fact.respondent_confirmed:
        # `tickets.commands.amend` updates the ticket's respondent after the event.
        found = find_department(event.payload["respondent"], bo.catalog)
        respondent_code = found.code if found else None
    fact.category_code = life.category or ticket.category_code
    fact.state = life.state
    fact.lead_code = life.lead
    fact.respondent_code = respondent_code
    fact.accept_due_at = accept.due_at if accept else None
    fact.accept_done_at = accept.done_at if accept else None
    fact.reply_due_at = reply.due_at if reply else None
    fact.reply_done_at = reply.done_at if reply else None
    fact.lead_due_at = due.due_at if due else None
    fact.verify_result = life.verify_result or fact.verify_result  # a reopened round keeps the last result until re-verified
    fact.verified_at = life.verified_at or fact.verified_at
    fact.satisfaction = life.satisfaction
    fact.reopen_count = life.reopen_count
    session.add(fact)
    return fact


def earlier_same_matter(session: Session, ticket: Ticket, config: IntegrityConfig) -> str | None:
    """重复投诉: the latest earlier complaint (open or not) about the same matter
    within the window (`rules.same_matter`), so a matter complained about again
    after it was closed counts against the body. None for a first complaint."""
    near = []
    if ticket.respondent_code:
        near.append(Ticket.respondent_code == ticket.respondent_code)
    if ticket.respondent:
        near.append(Ticket.respondent == ticket.respondent)
    if not near:
        return None
    since = ticket.created_at - timedelta(days=config.repeat_window_days)
    rows = session.exec(
        select(Ticket).where(Ticket.created_at >= since, or_(*near),
                             or_(Ticket.created_at < ticket.created_at,
                                 and_(Ticket.created_at == ticket.created_at, Ticket.id < ticket.id)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(300)
    ).scalars().all()
    me = _matter(ticket)
    return next((t.number for t in rows if rules.same_matter(me, _matter(t), config)), None)


def _matter(t: Ticket) -> MatterKey:
    return MatterKey(t.respondent_code, t.respondent, t.amount_yuan, t.description)


def backfill_facts(bo: Backoffice, session: Session, limit: int = 1000) -> int:
    """Scorecard rows for tickets that have none (filed before this feature was
    installed), from a replay of their events. Returns how many were written."""
    tickets = session.exec(
        select(Ticket).outerjoin(TicketFact, TicketFact.ticket_id == Ticket.id)
        .where(TicketFact.ticket_id.is_(None)).order_by(Ticket.id).limit(limit)
    ).scalars().all()
    for ticket in tickets:
        events = events_of(session, ticket)
        life = replay(events)
        fact = save_fact(bo, session, ticket, events[-1], life)
        who = rules.confirmed_respondent(events)
        if who:
            fact.respondent_code, fact.respondent_confirmed = who.body_code, True
        fact.repeat_of = life.merged_into or earlier_same_matter(session, ticket, rules.default_config())
    return len(tickets)


def record_verification(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life,
                        config: IntegrityConfig) -> IntegrityRecord | None:
    """A substantiated 核查 makes the record; a later 核查 of the same ticket is added to its history."""
    result, findings = event.payload.get("result"), event.payload.get("findings")
    existing = session.exec(select(IntegrityRecord).where(IntegrityRecord.ticket_number == ticket.number)).scalars().first()
    confirmed = event.payload.get("respondent_code") or None
    if existing:
        attach = {"body_code": confirmed, "body_name": bo.catalog.name_of(confirmed)} if confirmed and existing.body_code is None else {}
        _append_and_refresh(bo, session, existing, RecordEvent(
            "reverify", event.at, event.actor, "system", reason=f"工单{ticket.number}再次核查：{result}",
            payload={"result": result, "findings": findings, **attach}), config)
        if attach:
            _tell_recorded(bo, session, existing, result, config, event.at)
        return existing
    if not rules.makes_record(config, life.category, result):
        return None
    # The body at fault is the accused (the respondent), not the lead, which only
    # handled the complaint; and only as a person confirmed it (the department in
    # this 核查, or the operator at dispatch). Until then the record keeps the name
    # the citizen gave and waits for a supervisor to attach it to a body.
    who = rules.confirmed_respondent(events_of(session, ticket))
    code = who.body_code if who else None
    body_name = bo.catalog.name_of(code) if code else (ticket.respondent or NO_RESPONDENT)
    severity = rules.default_severity(config, life.category, result, ticket.amount_yuan, life.urgent)
    record = IntegrityRecord(
        ticket_id=ticket.id, ticket_number=ticket.number, category_code=life.category or ticket.category_code,
        recorded_at=event.at, body_code=code, body_name=body_name, severity=severity, status="active",
        updated_at=event.at,
    )
    session.add(record)
    session.flush()
    first = RecordEvent("record", event.at, event.actor, "system", reason=f"工单{ticket.number}核查结果为{result}", payload={
        "ticket_number": ticket.number, "category": record.category_code, "body_code": code, "body_name": body_name,
        "result": result, "findings": findings, "severity": severity,
        "confirmed_by": who.actor if who else None,
        "suggested_body_code": None if code else ticket.respondent_code,
    })
    rules.check_record(RecordLife(), first)
    _append_and_refresh(bo, session, record, first, config, events=[])
    if code:
        _tell_recorded(bo, session, record, result, config, event.at)
    return record


def _tell_recorded(bo: Backoffice, session: Session, record: IntegrityRecord, result: str, config: IntegrityConfig,
                   now: datetime) -> None:
    _tell_body(session, record, "created", now,
               f"{record.body_name}：工单{record.ticket_number}经核查{result}，已记入政务失信记录（记录{record.id}，"
               f"失信程度：{record.severity}）。如认为记录有误，可在系统中提出异议，将在{config.objection_days}个工作日内答复；"
               "整改完成后可申请信用修复。")
    above = superior_of(bo, record.body_code)
    if above:
        # 001 3: "机关事业单位失信信息，通报上级主管部门和审计部门"; 000 三(三) "上级政府(管委)应给予公开通报批评".
        notify(session, key=f"record:{record.id}:superior", kind="record_superior", recipient_kind="supervisor",
               recipient=above, channel=PORTAL, now=now,
               body=f"【通报】{record.body_name}因工单{record.ticket_number}经核查{result}，已记入政务失信记录"
                    f"（记录{record.id}，失信程度：{record.severity}），特此通报。")


def superior_of(bo: Backoffice, body: str | None) -> str | None:
    """The body's superior (上级主管部门): its parent, else its supervising body; never itself."""
    dept = bo.catalog.departments.get(body or "")
    if dept is None:
        return None
    return next((c for c in (dept.parent, dept.supervisor) if c and c != dept.code and c in bo.catalog.departments), None)


# ---------------------------------------------------------------- record events

def record_events(session: Session, record: IntegrityRecord) -> list[RecordEvent]:
    rows = session.exec(
        select(RecordEventRow).where(RecordEventRow.record_id == record.id).order_by(RecordEventRow.seq)
    ).scalars().all()
    return [RecordEvent(r.action, r.at, r.actor, r.role, r.reason, dict(r.payload)) for r in rows]


def _append_and_refresh(bo: Backoffice, session: Session, record: IntegrityRecord, event: RecordEvent,
                        config: IntegrityConfig, events: list[RecordEvent] | None = None) -> RecordLife:
    events = record_events(session, record) if events is None else events
    events.append(event)
    stored = {k: v.isoformat() if isinstance(v, date) else v for k, v in event.payload.items()}
    session.add(RecordEventRow(record_id=record.id, seq=len(events), at=event.at, actor=event.actor, role=event.role,
                               action=event.action, reason=event.reason, payload=stored))
    life = rules.replay_record(events)
    record.body_code, record.body_name = life.body_code, life.body_name
    record.severity = life.severity
    record.status, record.stage = life.status, life.stage
    record.counts_until = rules.counts_until(life, config)
    record.repaired_at = life.repaired_at
    record.published_at, record.public = life.published_at, life.public
    last = life.rectifications[-1] if life.rectifications else None
    record.rectify_due_at = bo.calendar.end_of_day(last.due) if last else None
    record.rectified_at = last.accepted_at if last else None
    due = next_due(rules.record_clocks(life, config, bo.calendar))
    record.next_due_at, record.next_due_clock = (due.due_at, due.name) if due else (None, None)
    record.updated_at = event.at
    session.add(record)
    session.flush()
    return life


def get_record(session: Session, record_id: int, viewer: Viewer, *, for_update: bool = False) -> IntegrityRecord:
    """The record, or RecordNotFound for a department it is not about (no hint that it exists)."""
    stmt = select(IntegrityRecord).where(IntegrityRecord.id == record_id)
    if for_update:
        stmt = stmt.with_for_update()
    record = session.exec(stmt).scalars().first()
    if record is None or (viewer.role == "department" and record.body_code != viewer.department):
        raise RecordNotFound()
    return record


DECISIONS_TOLD = {
    "objection_uphold": "您单位对记录{id}提出的异议经核查成立，记录将在{days}个工作日内更正。答复：{reason}",
    "objection_reject": "您单位对记录{id}提出的异议经核查不成立。理由：{reason}",
    "correct": "记录{id}已更正：{what}。",
    "repair_approve": "您单位记录{id}的信用修复申请已批准，记录标注为“已修复”，{until}后不再计入本单位诚信评价。",
    "repair_refuse": "您单位记录{id}的信用修复申请未获批准。理由：{reason}",
    "exempt": "您单位记录{id}经认定符合容错免责情形，不列入政务失信记录。理由：{reason}",
    "lighten": "您单位记录{id}因主动纠错，{what}。理由：{reason}",
    "measure": "【{kind}】关于记录{id}：{reason}",
    "rectify_order": "请您单位就记录{id}于{due}前完成整改，并在系统中报送整改情况。整改要求：{reason}",
    "rectify_accept": "您单位记录{id}的整改情况已验收通过。",
    "rectify_reject": "您单位记录{id}的整改情况未通过：{reason}。请在整改期限前重新报送。",
    "publish": "您单位记录{id}已按规定公示。",
}


def record_act(bo: Backoffice, session: Session, record_id: int, action: str, viewer: Viewer, config: IntegrityConfig,
               *, reason: str | None = None, payload: dict | None = None) -> tuple[IntegrityRecord, RecordLife]:
    """Apply one action to a record if its life allows it now."""
    record = get_record(session, record_id, viewer, for_update=True)
    events = record_events(session, record)
    life = rules.replay_record(events)
    payload = {k: v for k, v in (payload or {}).items() if v not in (None, "")}
    if action == "attach":
        code = payload.get("body_code")
        if code and code not in bo.catalog.departments:
            raise TransitionError(f"未知的单位代码：{code}", "unknown_department")
        if code:
            payload["body_name"] = bo.catalog.name_of(code)
    event = RecordEvent(action, bo.now(), viewer.actor, viewer.role, reason=reason, payload=payload)
    rules.check_record(life, event)
    life = _append_and_refresh(bo, session, record, event, config, events=events)
    if action == "attach":
        _tell_recorded(bo, session, record, life.verify_result, config, event.at)
    template = DECISIONS_TOLD.get(action)
    if template and record.body_code:
        until = record.counts_until
        due = payload.get("due")
        text = template.format(id=record.id, days=config.correction_days, reason=reason or "",
                               what=_correction_text(payload), until=_date_text(until), kind=payload.get("kind", ""),
                               due=f"{due.year}年{due.month}月{due.day}日" if hasattr(due, "year") else "")
        _tell_body(session, record, f"{action}:{len(events)}", event.at, text)
    return record, life


def _correction_text(p: dict) -> str:
    if p.get("withdraw"):
        return "撤销，不再计入本单位诚信评价"
    if p.get("waive"):
        return "免于惩戒，不再计入本单位诚信评价"
    parts = []
    if p.get("severity"):
        parts.append(f"失信程度改为“{p['severity']}”")
    if p.get("findings"):
        parts.append("核查情况已修改")
    return "，".join(parts)


def _day(dt: datetime) -> str:
    d = dt.astimezone(BEIJING).date()
    return f"{d.year}年{d.month}月{d.day}日"


def _date_text(dt: datetime | None) -> str:
    return format_due(dt).removesuffix("前") if dt else ""


def _tell_body(session: Session, record: IntegrityRecord, what: str, now: datetime, body: str) -> None:
    notify(session, key=f"record:{record.id}:{what}", kind=f"record_{what.split(':')[0]}", recipient_kind="department",
           recipient=record.body_code, channel=PORTAL, body=body, now=now)


# ---------------------------------------------------------------- reading

# The supervisors' work lists: what each record is waiting for.
QUEUES = {
    "attach": "待认定单位",
    "publish": "待公示",
    "objection": "异议待答复或更正",
    "repair": "修复待审核",
    "rectify_overdue": "整改超期",
    "all": "全部记录",
}


def _queue_clause(queue: str, now: datetime):
    R = IntegrityRecord
    if queue == "attach":
        return R.stage == "attach"
    if queue == "publish":  # a confirmed, standing record not yet public, no objection open (`rules.check_record`)
        return and_(R.body_code.is_not(None), R.status == "active", R.published_at.is_(None),
                    or_(R.stage.is_(None), R.stage.not_in(("objection", "correction"))))
    if queue == "objection":
        return R.stage.in_(("objection", "correction"))
    if queue == "repair":
        return R.stage == "repair"
    if queue == "rectify_overdue":
        return and_(R.rectify_due_at < now, R.rectified_at.is_(None), R.status.not_in(tuple(rules.CLOSED_STATUSES)))
    return None


@dataclass(frozen=True)
class RecordFilters:
    queue: str | None = None  # a key of QUEUES
    body: str | None = None
    status: str | None = None
    stage: str | None = None
    severity: str | None = None
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0


def list_records(session: Session, filters: RecordFilters, viewer: Viewer, now: datetime) -> tuple[int, list[IntegrityRecord]]:
    stmt = select(IntegrityRecord)
    if viewer.role == "department":
        stmt = stmt.where(IntegrityRecord.body_code == viewer.department)
    clause = _queue_clause(filters.queue, now) if filters.queue else None
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.body:
        stmt = stmt.where(IntegrityRecord.body_code == filters.body)
    if filters.status:
        stmt = stmt.where(IntegrityRecord.status == filters.status)
    if filters.stage:
        stmt = stmt.where(IntegrityRecord.stage == filters.stage)
    if filters.severity:
        stmt = stmt.where(IntegrityRecord.severity == filters.severity)
    if filters.overdue is True:
        stmt = stmt.where(IntegrityRecord.next_due_at < now)
    elif filters.overdue is False:
        stmt = stmt.where((IntegrityRecord.next_due_at.is_(None)) | (IntegrityRecord.next_due_at >= now))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.exec(stmt.order_by(IntegrityRecord.recorded_at.desc(), IntegrityRecord.id.desc())
                        .limit(filters.limit).offset(filters.offset)).scalars().all()
    return total, list(rows)


def record_summary(bo: Backoffice, record: IntegrityRecord, now: datetime) -> dict:
    """A listing row, from the derived columns only."""
    category = bo.catalog.categories.get(record.category_code)
    return {
        "id": record.id,
        "ticket_number": record.ticket_number,
        "category": record.category_code,
        "category_name": category.name if category else record.category_code,
        "body_code": record.body_code,
        "body_name": record.body_name,
        "needs_body": record.body_code is None,
        "severity": record.severity,
        "status": record.status,
        "stage": record.stage,
        "status_name": rules.status_name(record.status, record.stage),
        "recorded_at": record.recorded_at.isoformat(),
        "counts_until": record.counts_until.isoformat() if record.counts_until else None,
        "counts_now": bool(record.body_code and record.counts_until and record.recorded_at <= now < record.counts_until),
        "next_due_at": record.next_due_at.isoformat() if record.next_due_at else None,
        "next_due_clock": record.next_due_clock,
        "overdue": bool(record.next_due_at and record.next_due_at < now),
    }


def record_view(bo: Backoffice, session: Session, record: IntegrityRecord, config: IntegrityConfig) -> dict:
    """Everything about one record: the current state, its clocks, objections, repairs and history."""
    now = bo.now()
    events = record_events(session, record)
    life = rules.replay_record(events)
    view = record_summary(bo, record, now)
    view.update({
        "verify_result": life.verify_result,
        "findings": life.findings,
        "counts_until_text": _date_text(record.counts_until),
        "clocks": {name: _clock_view(c, now) for name, c in rules.record_clocks(life, config, bo.calendar).items()},
        "objections": [_objection_view(o, config, bo, now) for o in life.objections],
        "repairs": [_repair_view(r) for r in life.repairs],
        "published_at": life.published_at.isoformat() if life.published_at else None,
        "public": life.public,
        "measures": [{"kind": m.kind, "at": m.at.isoformat(), "reason": m.reason, "by": m.actor} for m in life.measures],
        "rectifications": [{
            "ordered_at": r.ordered_at.isoformat(), "due": r.due.isoformat(), "order": r.order,
            "reported_at": r.reported_at.isoformat() if r.reported_at else None, "report": r.report,
            "accepted_at": r.accepted_at.isoformat() if r.accepted_at else None, "rejections": r.rejections,
            "clock": _clock_view(rules.rectification_clock(r, bo.calendar), now),
        } for r in life.rectifications],
        "events": [{
            "action": e.action, "action_name": rules.RECORD_ACTION_NAMES.get(e.action, e.action),
            "at": e.at.isoformat(), "actor": e.actor, "role": e.role, "reason": e.reason, "payload": e.payload,
        } for e in events],
    })
    return view


def _clock_view(c: Clock, now: datetime) -> dict:
    return {
        "label": c.label, "started_at": c.started_at.isoformat(), "due_at": c.due_at.isoformat(),
        "due_text": format_due(c.due_at), "done_at": c.done_at.isoformat() if c.done_at else None,
        "overdue": c.overdue(now), "late": c.late,
    }


def _objection_view(o: rules.Objection, config: IntegrityConfig, bo: Backoffice, now: datetime) -> dict:
    view = {
        "filed_at": o.filed_at.isoformat(), "reason": o.reason, "evidence": o.evidence, "by": o.actor,
        "decision": o.decision, "decision_name": {"upheld": "异议成立", "rejected": "异议不成立"}.get(o.decision or "", "待答复"),
        "decided_at": o.decided_at.isoformat() if o.decided_at else None, "answer": o.answer,
        "answer_clock": _clock_view(rules.objection_clock(o, config, bo.calendar), now),
    }
    if o.decision == "upheld":
        view["correction_clock"] = _clock_view(rules.correction_clock(o, config, bo.calendar), now)
    return view


def _repair_view(r: rules.Repair) -> dict:
    return {
        "applied_at": r.applied_at.isoformat(), "rectification": r.rectification, "evidence": r.evidence, "by": r.actor,
        "decision": r.decision, "decision_name": {"approved": "已批准", "refused": "未批准"}.get(r.decision or "", "待审核"),
        "decided_at": r.decided_at.isoformat() if r.decided_at else None, "answer": r.answer,
    }


# ---------------------------------------------------------------- publication and exchange

def public_records(bo: Backoffice, session: Session, limit: int = 200, offset: int = 0) -> tuple[int, list[dict]]:
    """The public list (公示): published records still standing, redacted — the
    body, what kind of dishonesty, how serious, when; never the ticket, the
    findings or anything about the complainant (002 二(三)1 "需对外公示的应严格按规范隐藏部分信息")."""
    stmt = select(IntegrityRecord).where(IntegrityRecord.public.is_(True))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.exec(stmt.order_by(IntegrityRecord.published_at.desc(), IntegrityRecord.id.desc())
                        .limit(limit).offset(offset)).scalars().all()
    items = []
    for r in rows:
        category = bo.catalog.categories.get(r.category_code)
        items.append({
            "id": r.id, "body_name": r.body_name, "category_name": category.name if category else r.category_code,
            "severity": r.severity, "recorded_on": _day(r.recorded_at), "published_on": _day(r.published_at),
        })
    return total, items


EXCHANGE_FORMAT = "hotline-integrity-record/1"


def exchange_document(bo: Backoffice, session: Session, since: datetime | None = None) -> dict:
    """Records in the exchange format of docs/record-exchange.md, for 逐级归集 to the
    public credit information platform (000 三(二) "将有关记录逐级归集至省、市公共信用信息共享平台";
    002 一(二)2 "按照规范格式逐级推送省公共信用信息平台"). Only records a person confirmed
    the body of; no complainant data."""
    stmt = select(IntegrityRecord).where(IntegrityRecord.body_code.is_not(None))
    if since:
        stmt = stmt.where(IntegrityRecord.updated_at >= since)
    out = []
    for r in session.exec(stmt.order_by(IntegrityRecord.id)).scalars():
        life = rules.replay_record(record_events(session, r))
        dept = bo.catalog.departments.get(r.body_code)
        category = bo.catalog.categories.get(r.category_code)
        out.append({
            "record_id": r.id, "ticket_number": r.ticket_number,
            "body": {"code": r.body_code, "name": r.body_name, "level": dept.level if dept else None,
                     "superior": superior_of(bo, r.body_code)},
            "category": {"code": r.category_code, "name": category.name if category else r.category_code},
            "severity": r.severity, "status": r.status, "status_name": rules.STATUS_NAMES[r.status],
            "verify_result": life.verify_result, "findings": life.findings,
            "recorded_at": r.recorded_at.isoformat(),
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "counts_until": r.counts_until.isoformat() if r.counts_until else None,
            "repaired_at": r.repaired_at.isoformat() if r.repaired_at else None,
            "rectification": {"due": r.rectify_due_at.isoformat() if r.rectify_due_at else None,
                              "accepted_at": r.rectified_at.isoformat() if r.rectified_at else None},
            "updated_at": r.updated_at.isoformat(),
        })
    return {"format": EXCHANGE_FORMAT, "issuer": bo.catalog.city, "generated_at": bo.now().isoformat(), "records": out}
