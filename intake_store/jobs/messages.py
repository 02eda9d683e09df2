"""The Chinese texts the deadline jobs send: to the lead department and the
supervising body (read in the department portal) and to the citizen (回访)."""
from __future__ import annotations

from vocabulary.codes import SATISFACTION, UNSATISFIED

from ..catalog import Catalog
from ..models import Ticket
from ..workcalendar import WorkCalendar, format_due
from .rules import Action, red_card_deadline

CLOCK_NAMES = {"transfer": "转办", "accept": "签收", "verify": "核查", "reply": "答复", "follow_up": "回访"}

# How `hotline jobs` names each action.
ACTION_LABELS = {
    "remind": "到期提醒",
    "yellow_card": "黄牌督办",
    "red_card": "红牌督办",
    "ask_rating": "回访：再次请群众评价",
    "close_unrated": "按“未评价”办结",
    "escalate": "两次不满意，通知督办单位",
    "promise_overdue": "承诺逾期未履行，提示督办单位",
}


def _about(catalog: Catalog, ticket: Ticket) -> str:
    return f"工单 {ticket.number}（{catalog.categories[ticket.category_code].name}）"


def reminder(catalog: Catalog, ticket: Ticket, a: Action) -> str:
    return (f"【到期提醒】{_about(catalog, ticket)}的{CLOCK_NAMES[a.clock]}时限为{format_due(a.due_at)}，"
            "还剩1个工作日，请按时办理。")


def yellow_card(catalog: Catalog, cal: WorkCalendar, ticket: Ticket, a: Action, supervisor: str) -> str:
    return (f"【督办·黄牌】{_about(catalog, ticket)}的{CLOCK_NAMES[a.clock]}时限{format_due(a.due_at)}已过，"
            f"尚未办理，请立即办理。逾期满3个工作日（{format_due(red_card_deadline(a.due_at, cal))}）仍未办理的，"
            f"将向{catalog.name_of(supervisor)}发出红牌督办。")


def red_card(catalog: Catalog, ticket: Ticket, a: Action, lead: str) -> str:
    return (f"【督办·红牌】{catalog.name_of(lead)}承办的{_about(catalog, ticket)}，{CLOCK_NAMES[a.clock]}时限"
            f"{format_due(a.due_at)}已过，逾期3个工作日仍未办理，请予督办。")


def escalation(catalog: Catalog, ticket: Ticket, lead: str) -> str:
    return (f"【转督办】{catalog.name_of(lead)}承办的{_about(catalog, ticket)}经重办后，"
            f"群众再次评价“{SATISFACTION.label(UNSATISFIED)}”，已转督办，请跟进处理并办结。")


def rating_request(ticket: Ticket, a: Action) -> str:
    return (f"您的工单 {ticket.number} 已经答复，我们还没有收到您的评价。请直接回复：{'、'.join(SATISFACTION.labels.values())}。"
            f"{format_due(a.due_at)}仍未评价的，工单将按“未评价”办结。")
