"""The register of 信用承诺 and 政府合同 (001 13 "建立政府合同履约跟踪机制";
003 二(四) "建立健全政务领域信用承诺制度"; 004 五(二) "全面推行政务信用承诺"): what a
body promised, to whom, how much, by when; fed by operators and from tickets.

A promise past its due date with no recorded fulfilment is flagged to the
body's supervising body once, before anyone has to complain (`flag_overdue`,
run by every deadline sweep). Each change is an append-only `promise_event`;
the `promise` row keeps what listings and the overdue check need.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from ..jobs.rules import supervisor_of
from ..jobs.runner import PORTAL
from ..lifecycle import TransitionError
from ..outbox import notify
from ..tickets.backoffice import Backoffice
from ..tickets.lookup import NotFound, get_ticket
from ..tickets.viewer import Viewer
from ..workcalendar import BEIJING
from .models import PromiseEventRow, PromiseRow, PromiseTicket

KINDS = {"commitment": "信用承诺", "contract": "政府合同"}
STATUS_NAMES = {"open": "履行中", "fulfilled": "已履行"}
ACTION_NAMES = {"register": "登记", "link": "关联投诉工单", "fulfil": "记录履行", "flag": "逾期未履行，已提示督办单位"}
FIELD_LABELS = {"kind": "类型", "body_code": "承诺单位", "promisee": "承诺对象", "content": "承诺内容",
                "amount_yuan": "金额（元）", "due_on": "履行期限", "reference": "合同或文件编号",
                "ticket_number": "工单号", "reason": "履行情况"}
REGISTER_ROLES = frozenset({"operator", "supervisor", "admin"})


class PromiseNotFound(NotFound):
    def __init__(self):
        super().__init__("没有找到这项承诺或合同。")


@dataclass(frozen=True)
class NewPromise:
    kind: str
    body_code: str
    promisee: str
    content: str
    due_on: date
    amount_yuan: Decimal | None = None
    reference: str | None = None
    ticket_number: str | None = None  # registered from this complaint


# ---------------------------------------------------------------- rules (no I/O)

def today(now: datetime) -> date:
    return now.astimezone(BEIJING).date()


def is_overdue(p: PromiseRow, now: datetime) -> bool:
    """Past its due date (the whole due day counts) with no recorded fulfilment."""
    return p.status == "open" and p.due_on < today(now)


def check(p: PromiseRow | None, action: str, role: str) -> None:
    if role not in REGISTER_ROLES:
        raise TransitionError("当前角色无权办理承诺和合同登记。", "forbidden")
    if action == "fulfil" and p is not None and p.status == "fulfilled":
        raise TransitionError("这项承诺已记录为履行。", "already_fulfilled")


# ---------------------------------------------------------------- store

def _append(session: Session, p: PromiseRow, action: str, at: datetime, viewer: Viewer, reason: str | None = None,
            payload: dict | None = None) -> None:
    seq = session.execute(select(func.count()).where(PromiseEventRow.promise_id == p.id)).scalar_one() + 1
    session.add(PromiseEventRow(promise_id=p.id, seq=seq, at=at, actor=viewer.actor, role=viewer.role, action=action,
                                reason=reason, payload=payload or {}))
    p.updated_at = at
    session.add(p)


def register(bo: Backoffice, session: Session, data: NewPromise, viewer: Viewer) -> PromiseRow:
    check(None, "register", viewer.role)
    if data.body_code not in bo.catalog.departments:
        raise TransitionError(f"未知的单位代码：{data.body_code}", "unknown_department")
    if data.kind not in KINDS:
        raise TransitionError("类型须为“信用承诺”或“政府合同”。", "invalid_kind")
    if data.ticket_number:
        get_ticket(session, data.ticket_number)  # NotFound in Chinese for a wrong number
    now = bo.now()
    p = PromiseRow(kind=data.kind, body_code=data.body_code, promisee=data.promisee, content=data.content,
                   amount_yuan=data.amount_yuan, due_on=data.due_on, reference=data.reference, status="open",
                   created_at=now, updated_at=now)
    session.add(p)
    session.flush()
    _append(session, p, "register", now, viewer, payload={
        "kind": data.kind, "body_code": data.body_code, "promisee": data.promisee, "content": data.content,
        "amount_yuan": str(data.amount_yuan) if data.amount_yuan is not None else None,
        "due_on": data.due_on.isoformat(), "reference": data.reference})
    if data.ticket_number:
        link(bo, session, p.id, data.ticket_number, viewer)
    return p


def get_promise(session: Session, promise_id: int, *, for_update: bool = False) -> PromiseRow:
    stmt = select(PromiseRow).where(PromiseRow.id == promise_id)
    p = session.execute(stmt.with_for_update() if for_update else stmt).scalars().first()
    if p is None:
        raise PromiseNotFound()
    return p


def link(bo: Backoffice, session: Session, promise_id: int, ticket_number: str, viewer: Viewer) -> PromiseRow:
    """A complaint is about this promise."""
    p = get_promise(session, promise_id, for_update=True)
    check(p, "link", viewer.role)
    ticket = get_ticket(session, ticket_number)
    if session.get(PromiseTicket, (p.id, ticket.number)):
        raise TransitionError(f"工单 {ticket.number} 已关联这项承诺。", "already_linked")
    session.add(PromiseTicket(promise_id=p.id, ticket_number=ticket.number))
    _append(session, p, "link", bo.now(), viewer, payload={"ticket_number": ticket.number})
    return p


def fulfil(bo: Backoffice, session: Session, promise_id: int, how: str, viewer: Viewer) -> PromiseRow:
    p = get_promise(session, promise_id, for_update=True)
    check(p, "fulfil", viewer.role)
    now = bo.now()
    p.status, p.fulfilled_at = "fulfilled", now
    _append(session, p, "fulfil", now, viewer, reason=how, payload={"late": p.due_on < today(now)})
    return p


SYSTEM = Viewer("system", "system")


def flag_overdue(bo: Backoffice, session: Session, now: datetime, limit: int = 500) -> int:
    """Tell each overdue promise's supervising body, once (the `flagged_at` column
    and the notification key), and say so in its history. Rows are claimed with
    SKIP LOCKED so several app processes never flag one twice."""
    rows = session.execute(
        select(PromiseRow).where(PromiseRow.status == "open", PromiseRow.due_on < today(now),
                                 PromiseRow.flagged_at.is_(None))
        .order_by(PromiseRow.due_on, PromiseRow.id).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    for p in rows:
        to = supervisor_of(bo.catalog, p.body_code, None, p.body_code)
        p.flagged_at = now
        _append(session, p, "flag", now, SYSTEM, payload={"to": to})
        due = f"{p.due_on.year}年{p.due_on.month}月{p.due_on.day}日"
        amount = f"，金额{p.amount_yuan:,.2f}元" if p.amount_yuan is not None else ""
        notify(session, key=f"promise:{p.id}:overdue", kind="promise_overdue", recipient_kind="supervisor",
               recipient=to, channel=PORTAL, now=now,
               body=f"【承诺逾期】{bo.catalog.name_of(p.body_code)}对{p.promisee}的{KINDS[p.kind]}“{p.content}”"
                    f"{amount}，履行期限{due}已过，尚无履行记录，请督促履行（承诺编号 {p.id}）。")
    return len(rows)


@dataclass(frozen=True)
class PromiseFilters:
    status: str | None = None  # open | fulfilled | overdue
    body: str | None = None
    limit: int = 100


def list_promises(session: Session, f: PromiseFilters, now: datetime) -> tuple[int, list[PromiseRow]]:
    stmt = select(PromiseRow)
    if f.status == "overdue":
        stmt = stmt.where(PromiseRow.status == "open", PromiseRow.due_on < today(now))
    elif f.status:
        stmt = stmt.where(PromiseRow.status == f.status)
    if f.body:
        stmt = stmt.where(PromiseRow.body_code == f.body)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(PromiseRow.due_on, PromiseRow.id).limit(f.limit)).scalars().all()
    return total, list(rows)


def summary(bo: Backoffice, p: PromiseRow, now: datetime) -> dict:
    return {
        "id": p.id, "kind": p.kind, "kind_name": KINDS[p.kind], "body_code": p.body_code,
        "body_name": bo.catalog.name_of(p.body_code), "promisee": p.promisee, "content": p.content,
        "amount_yuan": p.amount_yuan, "due_on": p.due_on, "reference": p.reference, "status": p.status,
        "status_name": STATUS_NAMES[p.status], "overdue": is_overdue(p, now), "flagged_at": p.flagged_at,
        "fulfilled_at": p.fulfilled_at,
    }


def view(bo: Backoffice, session: Session, p: PromiseRow) -> dict:
    events = session.execute(select(PromiseEventRow).where(PromiseEventRow.promise_id == p.id)
                             .order_by(PromiseEventRow.seq)).scalars().all()
    tickets = session.execute(select(PromiseTicket.ticket_number).where(PromiseTicket.promise_id == p.id)
                              .order_by(PromiseTicket.ticket_number)).scalars().all()
    return {**summary(bo, p, bo.now()), "tickets": list(tickets), "events": [{
        "action": e.action, "action_name": ACTION_NAMES.get(e.action, e.action), "at": e.at, "actor": e.actor,
        "reason": e.reason, "payload": dict(e.payload)} for e in events]}


def promises_of_ticket(session: Session, ticket_number: str) -> list[int]:
    return list(session.execute(select(PromiseTicket.promise_id).where(PromiseTicket.ticket_number == ticket_number)
                                .order_by(PromiseTicket.promise_id)).scalars())
