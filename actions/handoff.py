"""转人工: put the conversation in the operator queue and say when a person answers."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import backoffice
from .conversation import input_channel
from .texts import FIELD_LABELS, amount_text, category_name, service_hours, shorten


def compact_summary(slots: Dict[str, Any], limit: int = 400) -> str:
    """A one-line summary for an operator (the handoff reason); no phone number."""
    parts = [category_name(slots.get("category"))]
    for key in ("respondent", "promise", "promise_date", "place"):
        if slots.get(key):
            parts.append(f"{FIELD_LABELS[key]}：{slots[key]}")
    if slots.get("amount") is not None:
        parts.append(f"金额：{amount_text(slots.get('amount'))}")
    if slots.get("description"):
        parts.append(f"经过：{slots['description']}")
    return shorten("；".join(parts), limit)


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reason = "群众要求转人工"
        # An operator should not have to ask again what was already told.
        if tracker.get_slot("complaint_key"):
            slots = {name: tracker.get_slot(name) for name in (
                "category", "respondent", "promise", "promise_date", "place", "amount", "description")}
            state = "投诉未提交（系统暂时无法提交）" if tracker.get_slot("submit_pending") else "投诉填写中"
            reason = f"{reason}；{state}：{compact_summary(slots)}"
        try:
            await backoffice.handoff(tracker.sender_id, input_channel(tracker), tracker.sender_id, reason)
        except (backoffice.BackofficeUnavailable, backoffice.BackofficeRefused):
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        dispatcher.utter_message(response="utter_handoff_done", hours=service_hours())
        return []
