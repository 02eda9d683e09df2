"""Chinese replacement for Rasa's English "Did you mean ...?" step, and what
a typed yes to it means."""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

INTENT_QUESTIONS = {
    "query_status": "查询工单进度",
    "ask_human": "转人工服务",
    "want_anonymous": "匿名投诉",
    "greet": "打个招呼",
    "goodbye": "结束对话",
    "thank": "表示感谢",
    "stop": "不投诉了",
    "correct_field": "修改刚才说的内容",
    "give_contact": "留联系方式",
}


def question_for(intent: Optional[str]) -> Optional[str]:
    if not intent:
        return None
    if intent == "complain":
        return "反映一个问题、投诉或举报"
    if intent.startswith("rate_"):
        return "对办理结果做评价"
    return INTENT_QUESTIONS.get(intent)


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: offer the best guess."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        guess = next((r.get("name") for r in ranking
                      if r.get("name") not in (None, "nlu_fallback", "out_of_scope") and question_for(r.get("name"))),
                     None)
        if guess is None:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_did_you_mean", question=question_for(guess), guess=guess)
        return []


# What a typed yes to "您是想……吗？" starts, by the intent guessed; the
# buttons send the intent itself and the rules take it from there.
YES_STARTS = {
    "complain": "complaint_form", "give_contact": "complaint_form", "want_anonymous": "complaint_form",
    "query_status": "status_form", "ask_human": "action_handoff",
}


class ActionYesOrNo(Action):
    """A yes or no with nothing asked, or a typed 是的 to "您是想……吗？",
    which means the guess (Rasa's two-stage fallback has put the yes in
    place of the unclear message; the form reads the story from that one)."""

    def name(self) -> Text:
        return "action_yes_or_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        guess = last_guess(tracker)
        if intent == "affirm" and guess in YES_STARTS:
            return [FollowupAction(YES_STARTS[guess])]
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []


def last_guess(tracker: Tracker) -> Optional[str]:
    """The intent offered by "您是想……吗？" when that was the assistant's last message."""
    bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    metadata = (bot or {}).get("metadata") or {}
    return metadata.get("guess") if metadata.get("utter_action") == "utter_did_you_mean" else None
