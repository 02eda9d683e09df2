"""Chinese replacement for Rasa's English "Did you mean ...?" step."""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from .texts import category_name

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
    if intent.startswith("complain_"):
        code = intent[len("complain_"):]
        if code == "other":
            return "反映一个一般诉求"
        return f"反映“{category_name(code)}”方面的问题"
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
        dispatcher.utter_message(
            text=f"抱歉，我不太确定您的意思。您是想{question_for(guess)}吗？",
            buttons=[{"title": "是的", "payload": f"/{guess}"}, {"title": "都不是", "payload": "/out_of_scope"}],
        )
        return []
