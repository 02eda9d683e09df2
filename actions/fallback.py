"""Chinese replacement for Rasa's English "Did you mean ...?" step."""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
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
