"""转人工: put the conversation in the operator queue and say when a person answers."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import backoffice
from .conversation import input_channel
from .texts import compact_summary, service_hours


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
            dispatcher.utter_message(text="抱歉，人工服务暂时接不通。请稍后再试，或直接拨打12345热线。")
            return []
        dispatcher.utter_message(
            text=(f"好的，已为您转人工服务。工作人员会在工作时间（{service_hours()}）尽快在这里回复您；"
                  "非工作时间的留言，下一个工作日处理。")
        )
        return []
