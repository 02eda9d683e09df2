"""Tickets worked through their life by the real operations (tickets.commands: create_ticket, act)."""
from __future__ import annotations

from decimal import Decimal
from itertools import count

from intake_store.db import session_scope
from intake_store.schemas import TicketIn
from intake_store.tickets import commands
from intake_store.tickets.lookup import get_ticket
from intake_store.tickets.viewer import Viewer

SERVICE = Viewer("service", "assistant")
OPERATOR = Viewer("operator", "话务员甲")
SUPERVISOR = Viewer("supervisor", "信用办张科长")
_keys = count(1)

# Complaints whose respondent is a catalog body other than the lead (lead: 工信局, respondent: 财政局).
ARREARS = dict(
    description="我们公司给市财政局做的信息化项目2024年验收合格，尾款38万元一直不付。",
    category="arrears", respondent="市财政局", amount_yuan=Decimal("380000"),
    contact_name="王女士", contact_phone="13805351234",
)


def department(code: str) -> Viewer:
    return Viewer("department", f"{code}经办人", code)


def file(bo, **kw) -> str:
    data = {**ARREARS, "category_confidence": 0.95, "channel": "web", "sender_id": "abc",
            "idempotency_key": f"integrity-{next(_keys):06d}", **kw}
    with session_scope(bo.engine) as s:
        ticket, _ = commands.create_ticket(bo, s, TicketIn(**data), SERVICE)
        return ticket.number


def act(bo, number: str, action: str, viewer: Viewer, **payload):
    reason = payload.pop("reason", None)
    with session_scope(bo.engine) as s:
        ticket, life = commands.act(bo, s, number, action, viewer, reason=reason, payload=payload)
        return life


def lead_of(bo, number: str) -> str:
    with session_scope(bo.engine) as s:
        return get_ticket(s, number).lead_code


def respondent_of(bo, number: str) -> str | None:
    with session_scope(bo.engine) as s:
        return get_ticket(s, number).respondent_code


def work(bo, *, result: str | None = "属实", reply: bool = True, satisfaction: str | None = None,
         confirm: bool = True, **kw) -> str:
    """File a complaint; the lead signs for it, verifies (confirming the accused
    body the citizen named, unless `confirm` is false), replies; the citizen rates it."""
    number = file(bo, **kw)
    lead = department(lead_of(bo, number))
    act(bo, number, "accept", lead)
    if result:
        confirmed = {"respondent_code": respondent_of(bo, number)} if confirm and respondent_of(bo, number) else {}
        act(bo, number, "verify", lead, result=result, findings=f"经核查，情况{result}。", **confirmed)
        if reply:
            act(bo, number, "reply", lead, text="已督促相关单位限期整改。")
            if satisfaction:
                act(bo, number, "follow_up", SERVICE, satisfaction=satisfaction)
    return number
