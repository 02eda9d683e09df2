"""Progress lookups and 回访 answers, both keyed by ticket number + query code.

The number and code come from the message, from an earlier lookup in this
conversation, or from the ticket filed in it; whatever is missing is asked.
A wrong pair gets one answer whether or not the number exists.
"""
from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from vocabulary import limits
from vocabulary.codes import SATISFACTION

from . import backoffice
from .conversation import Turn, latest_turn, loop_activated_now, loop_resumed_now, user_events
from .parsing import find_query_code, find_ticket_number, halfwidth, is_payload
from .wording import line

logger = logging.getLogger(__name__)


# A rating intent is rate_<satisfaction code>.
RATINGS = {f"rate_{code}": code for code in SATISFACTION}

# Messages these forms leave to the rules (stop, a person, a new complaint).
_LEAVE = {"stop", "goodbye", "ask_human"}
_FORGOT = re.compile(r"忘|找不到|丢了|没有查询码|不知道查询码|没记")


def _from_message(turn: Turn) -> Tuple[Optional[str], Optional[str]]:
    number = next((n for n in (find_ticket_number(v) for v in turn.values("ticket_number")) if n), None)
    number = number or find_ticket_number(turn.text)
    code = next((c for c in (find_query_code(v) for v in turn.values("query_code")) if c), None)
    code = code or find_query_code(turn.text)
    return number, code


class TicketLookupValidation(FormValidationAction):
    """Shared by the status form and the 回访 form: find number and code."""

    @property
    @abstractmethod
    def form(self) -> str:
        """The form this validates."""

    def name(self) -> Text:
        return f"validate_{self.form}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        number, code = tracker.get_slot("ticket_number"), tracker.get_slot("query_code")
        turn = latest_turn(tracker)
        events: List[EventType] = []
        if loop_activated_now(tracker, self.form):
            number, code = self.start(tracker, turn)
            events += [SlotSet("ticket_number", number), SlotSet("query_code", code)]
        elif not loop_resumed_now(tracker, self.form):
            said_number, said_code = _from_message(turn)
            # a number or code is an answer, whatever the NLU took it for
            if (turn.intent in _LEAVE or turn.intent == "complain") and not (said_number or said_code):
                return [ActionExecutionRejected(self.form)]
            requested = tracker.get_slot("requested_slot")
            text = halfwidth(turn.text)
            if said_number:
                number = said_number
            if said_code:
                code = said_code
            if said_number or said_code:
                events += [SlotSet("ticket_number", number), SlotSet("query_code", code)]
            elif requested == "query_code" and _FORGOT.search(text):
                dispatcher.utter_message(response="utter_forgot_query_code")
            elif requested == "ticket_number" and not is_payload(turn.text):
                dispatcher.utter_message(response="utter_hint_ticket_number" if re.search(r"\d{4}", text)
                                         else "utter_ask_ticket_number_again")
            elif requested == "query_code" and not is_payload(turn.text):
                dispatcher.utter_message(response="utter_hint_query_code" if re.search(r"\d", text)
                                         else "utter_ask_query_code_again")
            if not events and requested:
                events.append(SlotSet(requested, None))
        requested_next = "ticket_number" if not number else ("query_code" if not code else None)
        return events + [SlotSet("requested_slot", requested_next)]

    @staticmethod
    def start(tracker: Tracker, turn: Turn) -> Tuple[Optional[str], Optional[str]]:
        """Message first, then the pair used last, then the ticket filed here."""
        said_number, said_code = _from_message(turn)
        number, code = tracker.get_slot("ticket_number"), tracker.get_slot("query_code")
        filed_number, filed_code = tracker.get_slot("filed_ticket_number"), tracker.get_slot("filed_query_code")
        known = {n: c for n, c in ((filed_number, filed_code), (number, code)) if n and c}
        if said_number:
            return said_number, said_code or known.get(said_number)
        if said_code:
            return number or filed_number, said_code
        if number and code:
            return number, code
        if filed_number and filed_code:
            return filed_number, filed_code
        return None, None


class ValidateStatusForm(TicketLookupValidation):
    form = "status_form"


class ValidateFollowupForm(TicketLookupValidation):
    form = "followup_form"


def _status_details(domain: DomainDict, data: Dict[str, Any]) -> str:
    """The lines of a status after its number, those the back office gave (lines from the domain)."""
    parts = []
    if data.get("category_name"):
        parts.append(line(domain, "utter_status_category", category=data["category_name"]))
    parts.append(line(domain, "utter_status_state", state=data.get("state_name") or data.get("state")))
    if data.get("lead_name"):
        parts.append(line(domain, "utter_status_lead", lead=data["lead_name"]))
    if data.get("reply_due_text"):
        parts.append(line(domain, "utter_status_reply_due", due=data["reply_due_text"]))
    timeline = data.get("timeline") or []
    if timeline:
        last = timeline[-1]
        when = str(last.get("at") or "")[:10]
        parts.append(line(domain, "utter_status_latest_dated" if when else "utter_status_latest",
                          progress=last.get("text"), when=when))
    if data.get("reply"):
        parts.append(line(domain, "utter_status_reply", reply=data["reply"]))
    return "\n".join(parts)


class ActionCheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        number, code = tracker.get_slot("ticket_number"), tracker.get_slot("query_code")
        if not (number and code):
            dispatcher.utter_message(response="utter_status_needs_number")
            return []
        try:
            data = await backoffice.ticket_status(number, code, tracker.sender_id)
        except backoffice.BackofficeUnavailable:
            dispatcher.utter_message(response="utter_status_unavailable")
            return []
        except backoffice.BackofficeRefused as e:
            # 404 for a wrong number and for a wrong code alike; 429 says when to try again
            if e.status in (403, 404):
                dispatcher.utter_message(response="utter_ticket_not_found")
            else:
                dispatcher.utter_message(response="utter_back_office_says", message=e.error)
            return [SlotSet("ticket_number", None), SlotSet("query_code", None)]
        dispatcher.utter_message(response="utter_ticket_status", number=data.get("number"),
                                 details=_status_details(domain, data))
        if data.get("followup_open"):
            dispatcher.utter_message(response="utter_ask_rating_after_reply")
        return []


def _rating_turn(tracker: Tracker) -> Tuple[Optional[str], Optional[str]]:
    """The satisfaction level and the citizen's own words with it, if any."""
    for event in reversed(user_events(tracker)):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in RATINGS:
            code = RATINGS[intent]
            text = (event.get("text") or "").strip()
            bare = text.strip("。！!.～~ ") in (SATISFACTION.label(code), "很满意", "挺满意", "还行", "一般般")
            comment = None if (is_payload(text) or bare or len(text) < 4) else text[:limits.LONG]
            return code, comment
    return None, None


class ActionSubmitFollowup(Action):
    """回访: the citizen's rating of the department's reply."""

    def name(self) -> Text:
        return "action_submit_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        number, code = tracker.get_slot("ticket_number"), tracker.get_slot("query_code")
        satisfaction = tracker.get_slot("satisfaction")
        level, comment = _rating_turn(tracker)
        satisfaction = SATISFACTION.code_of(satisfaction) or level
        if not (number and code and satisfaction):
            dispatcher.utter_message(response="utter_ask_rating")
            return [SlotSet("satisfaction", None)]
        try:
            data = await backoffice.followup(number, code, satisfaction, comment, tracker.sender_id)
        except backoffice.BackofficeUnavailable:
            dispatcher.utter_message(response="utter_rating_failed")
            return [SlotSet("satisfaction", None)]
        except backoffice.BackofficeRefused as e:
            if e.status == 409:
                dispatcher.utter_message(response="utter_nothing_to_rate")
            elif e.status in (403, 404):
                dispatcher.utter_message(response="utter_ticket_not_found")
                return [SlotSet("satisfaction", None), SlotSet("ticket_number", None), SlotSet("query_code", None)]
            else:
                dispatcher.utter_message(response="utter_back_office_says", message=e.error)
            return [SlotSet("satisfaction", None)]
        if data.get("message"):
            dispatcher.utter_message(response="utter_back_office_says", message=data["message"])
        else:
            dispatcher.utter_message(response="utter_rating_thanks")
        return [SlotSet("satisfaction", None)]
