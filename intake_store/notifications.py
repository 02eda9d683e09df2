"""What the citizen is told, and when: an event listener that queues messages
in the outbox on the channel the complaint came from."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from .lifecycle import Event, Life
from .models import Complainant, Ticket
from .outbox import notify
from .tickets.backoffice import Backoffice

# The reason a ticket is closed with when the 回访 window ends without a rating.
UNRATED = "未评价"


def citizen_message(bo: Backoffice, ticket: Ticket, event: Event, life: Life) -> str | None:
    """The Chinese text for an event the citizen should hear about, or None."""
    n = ticket.number
    if event.action == "reply":
        return (f"您的工单 {n} 已有答复：\n{life.reply_text}\n\n"
                "请对办理结果评价：非常满意、满意、一般、不满意（直接回复其中一项即可）。")
    if event.action == "extension_approve":
        d = event.payload.get("new_due")
        return (f"您的工单 {n} 办理期限已延长至 {d.year}年{d.month}月{d.day}日，"
                f"原因：{event.payload.get('request_reason') or event.reason}。")
    if event.action == "reject":
        return f"您的工单 {n} 经审核不予受理，原因：{event.reason}。如有疑问可回复“转人工”。"
    if event.action == "merge":
        return f"您的工单 {n} 与同一事项的工单 {life.merged_into} 合并办理，请用新工单号查询进度。"
    if event.action == "reopen" or (event.action == "follow_up" and life.state == "reopened"):
        return f"您的工单 {n} 已重新交办（重办），承办单位将重新办理并答复。"
    if event.action == "follow_up" and life.state == "supervising":
        return f"您的工单 {n} 已转督办部门跟进。"
    if event.action == "pause":
        return f"您的工单 {n} 需要您补充材料：{event.reason}。补充后办理时限继续计算。"
    if event.action == "close" and event.reason == UNRATED:
        return (f"您的工单 {n} 在回访期限内没有收到您的评价，已按“未评价”办结。"
                "您仍可凭工单号和查询码查询办理情况。")
    return None


def notify_citizen(bo: Backoffice, session: Session, ticket: Ticket, event: Event, life: Life) -> None:
    body = citizen_message(bo, ticket, event, life)
    if body is None:
        return
    tell_citizen(session, ticket, key=f"{ticket.number}:{event.action}:{event.at.isoformat()}",
                 kind=f"citizen_{event.action}", body=body, now=event.at)


def tell_citizen(session: Session, ticket: Ticket, *, key: str, kind: str, body: str, now: datetime) -> bool:
    """Queue a message on the chat the complaint came from. False when it was
    queued before, or when there is no chat to answer on (phone or Open311:
    operators call back from the console)."""
    person = session.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalars().first()
    if person is None or not person.sender_id or person.channel not in ("web", "telegram", "wechat"):
        return False
    return notify(
        session,
        key=key,
        kind=kind,
        recipient_kind="citizen",
        recipient=person.sender_id,
        channel=person.channel,
        body=body,
        now=now,
        ticket_id=ticket.id,
    )
