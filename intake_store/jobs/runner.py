"""The deadline jobs' shell: claim the tickets whose alarm has rung, ask
`rules.decide`, carry the actions out, set the next alarm, record the run.

Safe with several app processes on one PostgreSQL database: tickets are
claimed with `FOR UPDATE SKIP LOCKED` (a process skips what another holds),
and every action is idempotent on its own — a card or a closing by the
ticket's events, a message by its notification key — so a ticket looked at
twice still gets each action once.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from .. import texts
from ..db import session_scope
from ..lifecycle import Event, Life
from ..models import Ticket
from ..notifications import tell_citizen
from ..outbox import backoff, notify
from ..tickets.backoffice import Backoffice
from ..tickets.commands import act
from ..tickets.history import events_of, life_and_clocks
from ..tickets.lookup import get_ticket
from ..tickets.viewer import SYSTEM
from . import messages
from .models import JobRun, TicketAlarm
from .rules import CARDS, Action, cards_given, decide, next_check, responsible_for, supervisor_of

log = logging.getLogger("hotline.jobs")

SWEEP_JOB = "deadline_sweep"
PORTAL = "portal"  # the outbox channel departments and supervisors read in the portal
KEEP_RUNS = timedelta(days=30)
MAX_ERROR_DETAILS = 20


# ---------------------------------------------------------------- alarms

def ring_alarm(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> None:
    """Event listener: whatever happened to a ticket, the next sweep looks at it."""
    set_alarm(session, ticket.id, event.at)


def set_alarm(session: Session, ticket_id: int, at: datetime | None, *, failures: int = 0,
              error: str | None = None) -> None:
    if at is None:
        session.execute(delete(TicketAlarm).where(TicketAlarm.ticket_id == ticket_id))
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"ring_at": at, "failures": failures, "last_error": error}
    session.execute(
        insert(TicketAlarm).values(ticket_id=ticket_id, **values)
        .on_conflict_do_update(index_elements=["ticket_id"], set_=values)
    )


def claim(session: Session, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Lock up to `limit` tickets whose alarm has rung. The lock is on the
    ticket row, as every ticket change takes it, so a sweep and a department's
    request never wait on each other in opposite order."""
    stmt = (
        select(Ticket.id, Ticket.number)
        .join(TicketAlarm, TicketAlarm.ticket_id == Ticket.id)
        .where(TicketAlarm.ring_at <= now)
        .order_by(TicketAlarm.ring_at)
        .limit(limit)
        .with_for_update(of=Ticket, skip_locked=True)
    )
    return [(row.id, row.number) for row in session.execute(stmt)]


# ---------------------------------------------------------------- one sweep

@dataclass
class SweepReport:
    now: datetime
    tickets: int = 0
    actions: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    duration_ms: float = 0.0

    def summary(self) -> str:
        done = "，".join(f"{messages.ACTION_LABELS[k]} {n}" for k, n in sorted(self.actions.items())) or "没有需要执行的操作"
        return f"检查工单 {self.tickets} 张：{done}；出错 {len(self.errors)} 张；用时 {self.duration_ms:.0f} 毫秒。"


def sweep(bo: Backoffice, *, batch_size: int = 100, stop: threading.Event | None = None,
          record: bool = True) -> SweepReport:
    """Handle every ticket whose alarm has rung by now, in batches (one
    transaction each). A ticket that fails is logged, retried later with
    back-off, and does not stop the others."""
    now = bo.now()
    started = time.perf_counter()
    report = SweepReport(now)
    seen: set[int] = set()
    while not (stop and stop.is_set()):
        with session_scope(bo.engine) as session:
            claimed = claim(session, now, batch_size)
            for ticket_id, number in claimed:
                handle(bo, session, ticket_id, number, now, report)
        fresh = {tid for tid, _ in claimed} - seen
        seen |= fresh
        if len(claimed) < batch_size or not fresh:
            break
    for kind, check in bo.checks:
        try:
            with session_scope(bo.engine) as session:
                done = check(bo, session, now)
        except Exception as e:  # the next sweep tries again
            log.exception("deadline check %s failed", kind)
            report.errors.append({"ticket": None, "error": f"{kind}: {type(e).__name__}: {e}"[:500]})
        else:
            if done:
                report.actions[kind] += done
    report.duration_ms = (time.perf_counter() - started) * 1000
    if record:
        record_run(bo, report)
    return report


def handle(bo: Backoffice, session: Session, ticket_id: int, number: str, now: datetime, report: SweepReport) -> None:
    alarm = session.execute(select(TicketAlarm.ring_at, TicketAlarm.failures)
                            .where(TicketAlarm.ticket_id == ticket_id)).first()
    if alarm is None or alarm.ring_at > now:
        return  # another process handled it after our claim query started
    report.tickets += 1
    try:
        with session.begin_nested():
            done = carry_out(bo, session, number, now)
    except Exception as e:  # one ticket's failure must not stop the sweep
        failures = alarm.failures + 1
        retry_at = now + backoff(failures)
        error = f"{type(e).__name__}: {e}"[:500]
        log.exception("deadline job failed for ticket %s (failure %d), retrying at %s", number, failures,
                      retry_at.isoformat())
        set_alarm(session, ticket_id, retry_at, failures=failures, error=error)
        report.errors.append({"ticket": number, "error": error})
    else:
        report.actions.update(done)


def carry_out(bo: Backoffice, session: Session, number: str, now: datetime) -> list[str]:
    """Decide and act for one (locked) ticket; set its next alarm. Returns the kinds carried out."""
    ticket = get_ticket(session, number)
    events = events_of(session, ticket)
    life, clocks = life_and_clocks(bo, events, now)
    done = [a.kind for a in decide(life, clocks, now, bo.calendar, cards_given(events))
            if APPLY[a.kind](bo, session, ticket, life, a)]
    life, clocks = life_and_clocks(bo, events_of(session, ticket), now)
    set_alarm(session, ticket.id, next_check(life, clocks, now, bo.calendar))
    return done


# ---------------------------------------------------------------- the actions

def _key(ticket: Ticket, a: Action) -> str:
    return f"{ticket.number}:{a.key}"


def _to_portal(bo: Backoffice, session: Session, ticket: Ticket, a: Action, recipient_kind: str, to: str,
               body: str) -> bool:
    if to not in bo.catalog.departments:
        # A message to a body nobody signs in as would be lost: fail (logged, retried) until the data is fixed.
        raise LookupError(f"department {to!r} is not in the catalog")
    return notify(session, key=_key(ticket, a), kind=a.kind, recipient_kind=recipient_kind, recipient=to,
                  channel=PORTAL, body=body, now=bo.now(), ticket_id=ticket.id)


def remind(bo: Backoffice, session: Session, ticket: Ticket, life: Life, a: Action) -> bool:
    return _to_portal(bo, session, ticket, a, "department", responsible_for(a.clock, life),
                      messages.reminder(bo.catalog, ticket, a))


def give_card(bo: Backoffice, session: Session, ticket: Ticket, life: Life, a: Action) -> bool:
    """A 督办 card is an event on the ticket (seen in its history by everyone
    who may see the ticket) and a message: yellow to the lead, red to its supervisor."""
    late = responsible_for(a.clock, life)
    supervisor = supervisor_of(bo.catalog, late, life.category, ticket.respondent_code)
    card = CARDS[a.kind]
    clock = messages.CLOCK_NAMES[a.clock]
    if card == "yellow":
        reason, to, kind = f"{clock}时限已过，黄牌督办", late, "department"
        body = messages.yellow_card(bo.catalog, bo.calendar, ticket, a, supervisor)
    else:
        reason, to, kind = f"{clock}逾期3个工作日，红牌督办，送{bo.catalog.department(supervisor).short}", supervisor, "supervisor"
        body = messages.red_card(bo.catalog, ticket, a, late)
    act(bo, session, ticket.number, "supervise", SYSTEM, reason=reason,
        payload={"card": card, "clock": a.clock, "due_at": a.due_at.isoformat(), "to": to})
    _to_portal(bo, session, ticket, a, kind, to, body)
    return True


def ask_rating(bo: Backoffice, session: Session, ticket: Ticket, life: Life, a: Action) -> bool:
    return tell_citizen(session, ticket, key=_key(ticket, a), kind=a.kind, body=messages.rating_request(ticket, a),
                        now=bo.now())


def close_unrated(bo: Backoffice, session: Session, ticket: Ticket, life: Life, a: Action) -> bool:
    act(bo, session, ticket.number, "close", SYSTEM, reason=texts.UNRATED)
    return True


def escalate(bo: Backoffice, session: Session, ticket: Ticket, life: Life, a: Action) -> bool:
    supervisor = supervisor_of(bo.catalog, life.lead, life.category, ticket.respondent_code)
    return _to_portal(bo, session, ticket, a, "supervisor", supervisor, messages.escalation(bo.catalog, ticket, life.lead))


APPLY: dict[str, Callable[[Backoffice, Session, Ticket, Life, Action], bool]] = {
    "remind": remind,
    "yellow_card": give_card,
    "red_card": give_card,
    "ask_rating": ask_rating,
    "close_unrated": close_unrated,
    "escalate": escalate,
}


# ---------------------------------------------------------------- the record of runs

def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_run(bo: Backoffice, report: SweepReport, job: str = SWEEP_JOB) -> None:
    with session_scope(bo.engine) as session:
        session.add(JobRun(
            job=job, process=this_process(), started_at=report.now, duration_ms=report.duration_ms,
            tickets=report.tickets, actions=dict(report.actions), errors=len(report.errors),
            error_details=report.errors[:MAX_ERROR_DETAILS],
        ))
        session.execute(delete(JobRun).where(JobRun.started_at < report.now - KEEP_RUNS))
