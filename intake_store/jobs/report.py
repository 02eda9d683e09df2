"""What `hotline jobs` shows: the scheduled job, the tickets waiting for it
and what will happen to them, the recent runs, tickets being retried, and the outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from ..models import Notification, Ticket
from ..tickets.backoffice import Backoffice
from ..tickets.history import events_of, life_and_clocks
from ..workcalendar import BEIJING
from . import SWEEP_JOB_NAME
from .messages import ACTION_LABELS, CLOCK_NAMES
from .models import JobRun, TicketAlarm
from .rules import cards_given, decide
from .runner import SWEEP_JOB

STATE_NAMES = {"pending": "待发送", "sent": "已送达", "failed": "失败"}


def _t(dt: datetime) -> str:
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def what_is_due(bo: Backoffice, session: Session, ticket: Ticket, at: datetime) -> str:
    events = events_of(session, ticket)
    life, clocks = life_and_clocks(bo, events, at)
    actions = decide(life, clocks, at, bo.calendar, cards_given(events))
    labels = [ACTION_LABELS[a.kind] + (f"（{CLOCK_NAMES[a.clock]}）" if a.clock in CLOCK_NAMES else "") for a in actions]
    return "、".join(labels) or "复查（工单有新进展）"


def describe(bo: Backoffice, session: Session, *, interval_seconds: float, limit: int = 10) -> str:
    now = bo.now()
    lines = ["计划任务（在每个应用进程内运行；多个进程同时运行也只执行一次）：",
             f"  {SWEEP_JOB}  {SWEEP_JOB_NAME}  每 {interval_seconds:g} 秒一次"]

    waiting = session.execute(select(func.count()).select_from(TicketAlarm)).scalar_one()
    due = session.execute(select(func.count()).select_from(TicketAlarm).where(TicketAlarm.ring_at <= now)).scalar_one()
    lines.append(f"\n等待处理的工单：共 {waiting} 张，其中 {due} 张已到时间")
    upcoming = session.execute(
        select(Ticket, TicketAlarm.ring_at).join(TicketAlarm, TicketAlarm.ticket_id == Ticket.id)
        .order_by(TicketAlarm.ring_at).limit(limit)
    ).all()
    for ticket, ring_at in upcoming:
        lines.append(f"  {_t(ring_at)}  {ticket.number}  {what_is_due(bo, session, ticket, max(ring_at, now))}")

    runs = session.execute(select(JobRun).order_by(JobRun.id.desc()).limit(limit)).scalars().all()
    lines.append("\n最近运行：" if runs else "\n最近运行：还没有运行记录")
    for r in runs:
        done = "，".join(f"{ACTION_LABELS.get(k, k)} {n}" for k, n in sorted(r.actions.items())) or "没有需要执行的操作"
        lines.append(f"  {_t(r.started_at)}  {r.job}  进程 {r.process}  检查 {r.tickets} 张：{done}；"
                     f"出错 {r.errors}；用时 {r.duration_ms:.0f} 毫秒")
        for err in r.error_details[:3]:
            lines.append(f"      {'工单 ' + err['ticket'] if err.get('ticket') else '其他检查'}：{err['error']}")

    failing = session.execute(
        select(Ticket.number, TicketAlarm).join(TicketAlarm, TicketAlarm.ticket_id == Ticket.id)
        .where(TicketAlarm.failures > 0).order_by(TicketAlarm.ring_at).limit(limit)
    ).all()
    if failing:
        lines.append("\n出错待重试的工单：")
        for number, alarm in failing:
            lines.append(f"  {number}  已连续失败 {alarm.failures} 次，下次重试 {_t(alarm.ring_at)}：{alarm.last_error}")

    counts = session.execute(
        select(Notification.channel, Notification.state, func.count()).group_by(Notification.channel, Notification.state)
    ).all()
    by_channel: dict[str, dict[str, int]] = {}
    for channel, state, n in counts:
        by_channel.setdefault(channel or "-", {})[state] = n
    lines.append("\n发件箱：" + ("；".join(
        f"{channel} " + " / ".join(f"{STATE_NAMES[s]} {c.get(s, 0)}" for s in STATE_NAMES)
        for channel, c in sorted(by_channel.items())) or "空"))
    return "\n".join(lines)
