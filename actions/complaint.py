"""The complaint: collect it (complaint_form), read it back, file it, retry.

Every complaint slot has a custom mapping and is filled here, in one place:
the first long message, short answers, corrections and the 匿名 choice all
go through `ValidateComplaintForm`, so nothing fills a slot behind its back
while the citizen is chatting, stopping or asking for a person.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from vocabulary import limits
from vocabulary.categories import asks_amount
from vocabulary.ticket import NewTicket

from . import backoffice
from .conversation import (
    Turn,
    clarified_turn,
    field_sources,
    input_channel,
    last_spoken_turn,
    latest_turn,
    loop_activated_now,
    loop_resumed_now,
    run_events,
    run_key,
    user_texts,
)
from .extraction import (
    _NO_EVIDENCE,
    clean_answer,
    corrected_value,
    evidence_from,
    field_named,
    find_contact_name,
    find_reference,
    is_meaningful,
    is_negative,
    is_unknown,
    looks_like_org,
    looks_like_place,
    looks_like_time,
    place_from_respondent,
    promise_from,
)
from .parsing import (
    amount_from_text,
    find_id_numbers,
    find_phone,
    is_payload,
    mask_id_number,
    mask_ids,
    mask_phone,
    pick_amount,
)
from .texts import FIELD_LABELS, amount_text, category_name, shorten
from .urgency import assess_urgency
from .wording import line

logger = logging.getLogger(__name__)

FORM = "complaint_form"
RETRY_FORM = "retry_form"

# Slots the citizen fills, in the order they are asked.
FIELD_SLOTS = [
    "description", "respondent", "promise", "promise_date", "amount", "place", "evidence",
    "phone", "confirm_anonymous", "consent_disclose",
]
# Everything one complaint run owns; cleared when it is filed or cancelled.
RUN_SLOTS = FIELD_SLOTS + [
    "category", "category_confidence", "reference", "contact_name", "anonymous", "id_number",
    "correcting", "field_to_correct", "confirmed", "urgent", "urgency_reason", "complaint_key", "retry_submit",
    "anonymous_pending", "field_tries", "hint",
]
# slot → field of POST /api/tickets, for field_sources.
SLOT_TO_FIELD = {
    "description": "description", "category": "category", "respondent": "respondent", "promise": "promise",
    "promise_date": "promise_date", "amount": "amount_yuan", "reference": "reference", "place": "place",
    "evidence": "evidence", "phone": "contact_phone", "contact_name": "contact_name", "anonymous": "anonymous",
    "consent_disclose": "consent_disclose",
}

# A unit's or a place's name is short: a longer message the NLU was unsure
# about, or took for a complaint, is not taken for one.
SHORT_ANSWER = 8

# A message the NLU took for a contact or 匿名 that is shorter than this is
# no story, whatever words it has.
CONTACT_ONLY = 25

# Messages that are not an answer: rules answer them and the form resumes.
INTERRUPTIONS = {"chitchat", "bot_challenge", "stop", "goodbye", "ask_human", "greet", "thank", "query_status"}

_ANONYMOUS_WORDS = re.compile(r"匿名|不留(?:电话|名|姓名|联系方式)|不方便留|不想留")
_YES = re.compile(r"^(?:确认|确定|提交|没问题|对|对的|是|是的|正确|好|好的|可以|行|同意|没错)")
_NO = re.compile(r"不同意|不要|不行|不可以|不用|别|不告诉|不公开|不愿意|不想")
# 我不要匿名 / 可以告诉他们 / 实名: the word 匿名 is there, the wish is not.
_NOT_ANONYMOUS = re.compile(r"不(?:要|用|想|必)?匿名|实名|可以告诉|告诉他们|留电话给")
_CONSENT_NO = re.compile(
    r"不同意|别告诉|不要告诉|不告诉|不要透露|别透露|不透露|不(?:要|想|愿意|方便)(?:让|给)?(?:他们|单位|对方)知道|保密"
    r"|不要公开|不公开|不行|不可以|不愿意|不方便|^不要|^不用|^不[。！!]*$|^别")
_CONSENT_YES = re.compile(
    r"可以|行|没问题|告诉他们|告诉吧|同意|愿意|^好|^嗯|^是|^对|让他们联系|直接联系|无所谓|随便|没关系|^ok", re.I)
_RETRY = re.compile(r"重新提交|再提交|重新发|再试|重试|提交|再来一次|再发一次|试一下|试试")
_NOT_NOW = re.compile(r"不|别|算了|取消")
# Going on with the complaint is no answer to the question asked.
_GO_ON = re.compile(r"^(?:不|不是|没有|别)?[，,、 ]*(?:那就|好吧|还是)?(?:继续|接着)(?:投诉|说|吧|登记)*[。！!吧]*$")

# The words that ask for anonymity; a phone number said in the same breath wins.
# What an unclear answer to each question becomes after two tries, so the form
# moves on and the operator sees what the citizen could not say.
UNKNOWN_VALUES = {
    "respondent": "不清楚", "promise": "不清楚", "promise_date": "记不清", "amount": "不详", "place": "不清楚",
    "evidence": "不清楚", "consent_disclose": False,
}
# The phone slot when the citizen gave no usable number twice: asked no more,
# filed without a number (and without consent to pass on what is not there).
NO_PHONE = ""
# The `hint` slot names the question to ask again with an example; its
# value is the slot asked, except for a number that is not one.
HINT_SLOTS = {"phone_number": "phone"}
# How many unclear answers to one question before the form takes 不清楚.
MAX_TRIES = 2
# Words that only confirm: to a question that wants content they are no answer.
_BARE_YES = re.compile(r"^(?:是|是的|对|对的|嗯|嗯嗯|好|好的|可以|行|有|有的|有啊|都有|ok|OK)[。！!~～.]*$")


def required_slots(values: Dict[str, Any]) -> List[str]:
    """What this complaint still needs, given its category and choices."""
    category = values.get("category")  # None: the back office could not say; the operator will
    slots = ["description"]
    if values.get("anonymous_pending"):
        slots.append("confirm_anonymous")
    if category != "other":
        slots += ["respondent", "promise", "promise_date"]
    if asks_amount(category):
        slots.append("amount")
    slots.append("place")
    if category != "other":
        slots.append("evidence")
    if values.get("anonymous") is not True:
        slots.append("phone")
        if values.get("phone") != NO_PHONE:
            slots.append("consent_disclose")
    if values.get("correcting"):
        slots.append("field_to_correct")
    slots.append("confirmed")
    return slots


def next_slot(values: Dict[str, Any]) -> Optional[str]:
    return next((s for s in required_slots(values) if values.get(s) is None), None)


def _slots(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in RUN_SLOTS}


def _not_after_denial(turn: Turn, ent: Dict[str, Any]) -> bool:
    """'不是镇政府，是街道办': the entity after 不是 is the wrong one."""
    start = ent.get("start")
    if not isinstance(start, int):
        return True
    return not turn.text[max(0, start - 3):start].endswith(("不是", "不在", "并非"))


def respondent_as_written(turn: Turn, ent: Dict[str, Any]) -> str:
    """福山区住建局 / 开发区管委会: the NLU may mark the place and the body
    apart; the body is named by both when they stand together."""
    raw = turn.raw(ent)
    start = ent.get("start")
    for place in turn.spans("place"):
        if isinstance(start, int) and place.get("end") == start and isinstance(place.get("start"), int):
            return turn.text[place["start"]:start] + raw
    return raw


def _pick_entity(turn: Turn, entity: str, correcting: bool) -> Optional[Dict[str, Any]]:
    spans = turn.spans(entity)
    if not spans:
        return None
    if correcting:
        good = [e for e in spans if _not_after_denial(turn, e)]
        return (good or spans)[-1]
    return spans[0]


Note = Tuple[str, Tuple[Tuple[str, str], ...]]


def note(notes: List[Note], response: str, **values: Any) -> None:
    """Something to tell the citizen before the next question: a domain response and its values."""
    notes.append((response, tuple((k, str(v)) for k, v in values.items())))


def complaint_text(values: Dict[str, Any]) -> str:
    """The complaint's whole text for the category model: the story and what the form gathered."""
    parts: List[str] = []
    for key in ("description", "promise", "evidence"):
        value = values.get(key)
        if isinstance(value, str) and value and value not in UNKNOWN_VALUES.values() and value != "无" \
                and not any(value in p for p in parts):
            parts.append(value)
    return "。".join(parts)


def _explicitly_anonymous(text: str, payload: bool, intent: Optional[str]) -> bool:
    """Anonymity only when the citizen asks for it in words (or presses the button)."""
    if payload:
        return intent == "want_anonymous"
    return bool(_ANONYMOUS_WORDS.search(text)) and not _NOT_ANONYMOUS.search(text)


def consent_answer(text: str, intent: Optional[str]) -> Optional[bool]:
    """可以/行/没问题/告诉他们吧 → True; 别告诉/不要透露/不同意 → False; else None."""
    raw = (text or "").strip()
    if _CONSENT_NO.search(raw):
        return False
    if _CONSENT_YES.search(raw):
        return True
    if intent == "deny":
        return False
    if intent == "affirm":
        return True
    return None


class ValidateComplaintForm(FormValidationAction):
    """Fills, checks and corrects the complaint; decides what to ask next."""

    def name(self) -> Text:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return required_slots(_slots(tracker))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        values = _slots(tracker)
        notes: List[Note] = []
        if loop_activated_now(tracker, FORM):
            updates = self.start(tracker, values, notes)
        elif loop_resumed_now(tracker, FORM):
            # back after chitchat or a question: the message was not an answer
            updates = {}
        else:
            turn = latest_turn(tracker)
            if turn.intent in INTERRUPTIONS and not self._answers(turn, tracker.get_slot("requested_slot")):
                return [ActionExecutionRejected(FORM)]
            updates = self.answer(tracker, turn, values, notes)
            if updates is None:
                # unclear and unusable: the rephrase rule takes over
                return [ActionExecutionRejected(FORM)]
        await self.categorise(values, updates, notes)
        for response, kwargs in dict.fromkeys(notes):
            dispatcher.utter_message(response=response, **dict(kwargs))
        hint = updates.pop("hint", None)
        merged = {**values, **updates}
        requested = next_slot(merged)
        events: List[EventType] = [SlotSet(k, v) for k, v in updates.items()]
        # The question asked again after a failed answer is its example
        # variation (utter_ask_* with a condition on `hint`), never the same
        # sentence twice.
        events.append(SlotSet("hint", hint if hint and HINT_SLOTS.get(hint, hint) == requested else None))
        if not updates and not hint:
            # nothing new: keep asking the same question (and do not let the
            # form treat the turn as unhandled)
            current = tracker.get_slot("requested_slot")
            if current:
                events.append(SlotSet(current, None))
        events.append(SlotSet("requested_slot", requested))
        return events

    @staticmethod
    def _answers(turn: Turn, requested: Optional[str]) -> bool:
        """Words that answer, whatever the NLU took them for: '你好，我电话138……',
        '告诉他们吧，让他们直接找我' (not a wish for a person), '有结算单'."""
        text = turn.text or ""
        if find_phone(text) or any(turn.spans(e) for e in ("amount", "respondent", "place")):
            return True
        if _GO_ON.match(text.strip()):
            return True  # '继续投诉', whatever the NLU took it for, is no stop: the form asks on
        if requested in UNKNOWN_VALUES and is_unknown(clean_answer(text)):
            return True  # 不清楚 / 记不清了 is an answer, not a wish to stop
        if requested == "consent_disclose":
            return consent_answer(text, None) is not None
        if requested in ("evidence", "amount") and is_negative(clean_answer(text)):
            return True  # 没有 is no evidence, not 'no, stop'
        if requested == "evidence":
            return bool(evidence_from(text))
        if requested == "amount":
            return amount_from_text(text) is not None
        if requested == "phone":
            # '电话就算了吧' or a mistyped number answers, it does not stop
            return bool(re.search(r"电话|号码|不方便|不想留", text)) or len(re.sub(r"\D", "", text)) >= 5
        return False

    async def categorise(self, values: Dict[str, Any], updates: Dict[str, Any], notes: List[Note]) -> None:
        """The category of the whole complaint from the back office, whenever
        the story grows. Unreachable: the form goes on, the operator decides."""
        if not any(k in updates for k in ("description", "promise", "evidence")):
            return
        merged = {**values, **updates}
        text = complaint_text(merged)
        if not is_meaningful(text):
            return
        try:
            seen = await backoffice.understand(text, merged.get("respondent"), merged.get("place"))
        except (backoffice.BackofficeUnavailable, backoffice.BackofficeRefused) as e:
            logger.warning("no category from the back office: %s", e)
            return
        category = seen.get("category")
        if not isinstance(category, str) or not category:
            return
        updates["category"] = category
        confidence = seen.get("confidence")
        updates["category_confidence"] = round(float(confidence), 4) if isinstance(confidence, (int, float)) else None
        if category == "other" and values.get("category") != "other":
            notes.insert(0, ("utter_ordinary_matter", ()))
        respondent = seen.get("respondent")
        if category != "other" and merged.get("respondent") is None and isinstance(respondent, str) and respondent:
            updates["respondent"] = respondent[:200]

    # ------------------------------------------------------------ first message

    def start(self, tracker: Tracker, values: Dict[str, Any], notes: List[Note]) -> Dict[str, Any]:
        turn = latest_turn(tracker)
        # A button press or a typed yes after "您是想反映……吗？" tells no
        # story: the complaint is in the unclear message before it.
        unclear = clarified_turn(tracker)
        source = (last_spoken_turn(tracker) if turn.is_payload else unclear) or turn
        u: Dict[str, Any] = {name: None for name in RUN_SLOTS if values.get(name) is not None}
        u["complaint_key"] = run_key(tracker.sender_id, turn.message_id or str(turn.timestamp))
        text = (mask_ids(source.text) or "").strip()
        if source is unclear and not turn.is_payload and is_meaningful(turn.text):
            text = f"{text}。{(mask_ids(turn.text) or '').strip()}"
        # '我电话138……' or '我想匿名' starts the complaint but tells no story
        contact_only = turn.intent in ("give_contact", "want_anonymous") and len(text) < CONTACT_ONLY
        if is_meaningful(text) and not contact_only:
            self._take_description(text, u, {})
        state = {**{k: None for k in RUN_SLOTS}, **u}
        self.common(source, state, u, notes, requested=None, correcting=False)
        if u.get("amount") is None and u.get("description"):
            # the NLU may not mark an amount in a long story (欠他工钱九万多)
            amount = amount_from_text(u["description"])
            if amount is not None:
                u["amount"] = amount
        return u

    @staticmethod
    def _take_description(text: str, u: Dict[str, Any], current: Dict[str, Any]) -> None:
        """The story in the citizen's words; what was promised and which
        evidence exists are read from it when it says so."""
        u["description"] = text[:5000]
        if current.get("promise") is None:
            promise = promise_from(text)
            if promise:
                u["promise"] = promise
        if current.get("evidence") is None:
            evidence = evidence_from(text)
            if evidence:
                u["evidence"] = evidence

    # ------------------------------------------------------------ later messages

    def answer(self, tracker: Tracker, turn: Turn, values: Dict[str, Any], notes: List[Note]) -> Optional[Dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        correcting = turn.intent == "correct_field" or requested in ("confirmed", "field_to_correct")
        u: Dict[str, Any] = {}
        if _GO_ON.match(turn.text.strip()):
            return u  # '继续投诉' after the stop question: the same question again
        if requested == "confirm_anonymous":
            self.confirm_anonymous(turn, values, u, notes)
            return u
        self.common(turn, values, u, notes, requested=requested, correcting=correcting)

        fields_changed = any(k in FIELD_SLOTS for k in u)
        if (turn.intent == "correct_field" or requested == "field_to_correct"
                or (requested == "confirmed" and (turn.intent == "deny" or fields_changed or _NO.search(turn.text)))):
            self.correction(turn, values, u, notes, requested)
        elif requested == "confirmed":
            if turn.intent == "affirm" or (_YES.search(turn.text.strip()) and not _NO.search(turn.text)):
                u["confirmed"] = True
            else:
                note(notes, "utter_hint_confirmed")
        elif requested and requested not in u:
            self.fill_requested(requested, turn, values, u, notes)

        if requested in ("confirmed", "field_to_correct") and any(k in FIELD_SLOTS for k in u):
            u["confirmed"] = None
        progress = [k for k in u if k not in ("id_number", "field_tries")]
        if turn.intent == "nlu_fallback" and not progress and not notes:
            return None
        return u

    def confirm_anonymous(self, turn: Turn, values: Dict[str, Any], u: Dict[str, Any], notes: List[Note]) -> None:
        """A phone was given, then 匿名: the phone goes only when the citizen says so."""
        text = turn.text.strip()
        keep = turn.intent == "deny" or bool(re.search(r"保留|留着|不匿名|实名|不要匿名|算了", text))
        drop = not keep and (turn.intent == "affirm" or bool(_YES.search(text)) or "确定匿名" in text)
        if keep:
            u.update(anonymous_pending=None, anonymous=False)
            note(notes, "utter_phone_kept", phone=mask_phone(values.get("phone")))
        elif drop:
            u.update(anonymous_pending=None, anonymous=True, phone=None, consent_disclose=None, contact_name=None)
            note(notes, "utter_anonymous_notice")
        else:
            note(notes, "utter_hint_confirm_anonymous")

    def common(self, turn: Turn, values: Dict[str, Any], u: Dict[str, Any], notes: List[Note],
               requested: Optional[str], correcting: bool) -> None:
        """What any message can carry, whatever was asked: an ID number, 匿名,
        a phone number, a name, a contract number, the NLU's entities and the
        evidence it names."""
        text = turn.text or ""
        ids = find_id_numbers(text) + [mask_id_number(v) for v in turn.values("id_number")]
        if ids:
            u["id_number"] = ids[-1]
            note(notes, "utter_id_notice")

        current = {**values, **u}
        phone = next((p for p in (find_phone(v) for v in turn.values("phone")) if p), None) or find_phone(text)
        if not phone and _explicitly_anonymous(text, turn.is_payload, turn.intent):
            if current.get("phone"):
                # never drop a number the citizen gave without asking
                u["anonymous_pending"] = True
            else:
                if current.get("anonymous") is not True:
                    note(notes, "utter_anonymous_notice")
                u.update(anonymous=True, phone=None, consent_disclose=None, contact_name=None)
        else:
            if phone:
                if phone != current.get("phone"):
                    u["phone"] = phone
                if current.get("anonymous") is not False:
                    u["anonymous"] = False
                    if current.get("anonymous") is True:
                        u["consent_disclose"] = None
            name = find_contact_name(text)
            if name and (current.get("contact_name") is None or correcting or requested == "phone"):
                u["contact_name"] = name

        reference = find_reference(text)
        if reference and (current.get("reference") is None or correcting):
            u["reference"] = reference

        for slot, entity in (("respondent", "respondent"), ("place", "place"), ("promise_date", "date")):
            ent = _pick_entity(turn, entity, correcting)
            if ent is None:
                continue
            if current.get(slot) is not None and not correcting and requested != slot:
                continue
            # the citizen's own words (开发区管委会), not a synonym's canonical name
            value = mask_ids(respondent_as_written(turn, ent) if slot == "respondent" else turn.raw(ent)).strip()[:200]
            if slot in ("respondent", "place") and requested == slot:
                # 牟平区宁海街道 says more than the 牟平区 the NLU marked
                answer = clean_answer(text)
                if value in answer and len(answer) <= 20 and (looks_like_place(answer) or looks_like_org(answer)):
                    value = answer
            if value and value != current.get(slot):
                u[slot] = value
            if slot == "respondent" and current.get("place") is None and "place" not in u:
                place = place_from_respondent(turn.raw(ent))
                if place:
                    u["place"] = place

        amounts = turn.values("amount")
        if amounts and (current.get("amount") is None or correcting or requested == "amount"):
            spans = turn.spans("amount")
            chosen = [str(e.get("value")) for e in spans if _not_after_denial(turn, e)] if correcting else amounts
            value = pick_amount(chosen[-1:] if correcting and chosen else chosen or amounts, text)
            if value is not None and value != current.get("amount"):
                u["amount"] = value

        # evidence named in any answer (asked for the place: "有判决书")
        if current.get("evidence") is None and requested not in ("evidence", "description", None):
            evidence = evidence_from(text)
            if evidence and evidence != "无":
                u["evidence"] = evidence

    def fill_requested(self, requested: str, turn: Turn, values: Dict[str, Any], u: Dict[str, Any],
                       notes: List[Note]) -> None:
        """The answer to the question just asked, from the words themselves.

        A message that already gave other fields is not also taken as this
        answer; an unclear answer gets a concrete example, and the second one
        is taken as 不清楚 so the citizen is never stuck."""
        if turn.is_payload and requested != "consent_disclose":
            return
        if any(k in u for k in ("phone", "anonymous", "contact_name", "anonymous_pending")) and requested != "phone":
            return
        other_fields = [k for k in u if k in FIELD_SLOTS and k != requested]
        text = (mask_ids(turn.text) or "").strip()
        answer = clean_answer(text)
        unsure = turn.intent == "nlu_fallback"
        # more of the story rather than a short answer
        story = turn.intent == "complain" and len(answer) > SHORT_ANSWER
        bare = bool(_BARE_YES.match(text))
        # a plain answer: anything but a bare yes/no or more story
        plain = not unsure and not story and not bare and turn.intent not in ("affirm", "deny") and len(answer) >= 2
        value: Any = None

        if requested == "description":
            if is_meaningful(text):
                self._add_to_story(text, values, u)
                return
        elif other_fields and (requested in ("respondent", "place", "promise_date")
                               or (requested == "promise" and not promise_from(text + "。" * 12))):
            # 'asked for the place: 有判决书' answered something else; a whole
            # story told instead is kept as the story
            if story and is_meaningful(text):
                self._add_to_story(text, values, u)
            return
        elif requested == "respondent":
            if is_unknown(answer):
                value = "不清楚"
            elif (plain and len(answer) <= 40) or (looks_like_org(answer) and len(answer) <= 2 * SHORT_ANSWER):
                value = answer[:200]
        elif requested == "promise":
            if is_unknown(answer):
                value = "不清楚"
            elif (plain and len(answer) >= 3) or story:
                value = text[:2000]
        elif requested == "promise_date":
            if is_unknown(answer):
                value = "记不清"
            elif looks_like_time(answer) and len(answer) <= 30:
                value = answer[:100]
        elif requested == "amount":
            value = amount_from_text(text)
            if value is None and (is_unknown(answer) or is_negative(answer)):
                value = "不详"
        elif requested == "place":
            if is_unknown(answer):
                value = "不清楚"
            elif (plain and len(answer) <= 20) or (looks_like_place(answer) and len(answer) <= SHORT_ANSWER):
                value = answer[:200]
        elif requested == "evidence":
            if turn.intent == "deny" or is_negative(answer) or _NO_EVIDENCE.search(text):
                value = "无"
            elif is_unknown(answer):
                value = "不清楚"
            elif evidence_from(text):
                value = (evidence_from(text) if len(text) > 40 else text)[:2000]
            elif bare or turn.intent == "affirm":
                value = None  # which evidence? the example asks
            elif evidence_from(text) or plain:
                value = (evidence_from(text) if len(text) > 40 else text)[:2000]
        elif requested == "consent_disclose":
            value = consent_answer(turn.text, turn.intent)
        elif requested == "phone":
            # numbers and 匿名 are taken in common(); anything else is a failed answer
            if not any(k in u for k in ("phone", "anonymous", "anonymous_pending")):
                self.failed_phone(text, values, u, notes)
            return

        if value is not None:
            u[requested] = value
            return
        if story and is_meaningful(text):
            # not the answer but more of the story: keep it, ask again
            self._add_to_story(text, values, u)
            return
        self.failed(requested, values, u, notes)

    @staticmethod
    def failed(requested: str, values: Dict[str, Any], u: Dict[str, Any], notes: List[Note]) -> None:
        """An answer that did not answer: first a concrete example, then 不清楚 and on."""
        tries = dict(values.get("field_tries") or {})
        tries[requested] = tries.get(requested, 0) + 1
        u["field_tries"] = tries
        if tries[requested] >= MAX_TRIES and requested in UNKNOWN_VALUES:
            u[requested] = UNKNOWN_VALUES[requested]
            if requested == "consent_disclose":
                note(notes, "utter_consent_taken_as_no")
            else:
                note(notes, "utter_taken_unknown", label=FIELD_LABELS[requested])
        else:
            u["hint"] = requested

    @staticmethod
    def failed_phone(text: str, values: Dict[str, Any], u: Dict[str, Any], notes: List[Note]) -> None:
        """No number in the answer: say what a number looks like; the second
        time, go on without one (not anonymous: the citizen never said so)."""
        tries = dict(values.get("field_tries") or {})
        tries["phone"] = tries.get("phone", 0) + 1
        u["field_tries"] = tries
        if tries["phone"] >= MAX_TRIES:
            u["phone"] = NO_PHONE
            note(notes, "utter_phone_not_given")
        else:
            u["hint"] = "phone_number" if len(re.sub(r"\D", "", text)) >= 5 else "phone"

    def _add_to_story(self, text: str, values: Dict[str, Any], u: Dict[str, Any]) -> None:
        """Append to the description (the category follows the whole text)."""
        before = values.get("description")
        if before and text in before:
            return
        self._take_description(text if not before else f"{before}。{text}", u, values)

    def correction(self, turn: Turn, values: Dict[str, Any], u: Dict[str, Any], notes: List[Note],
                   requested: Optional[str]) -> None:
        """'金额说错了，是三十五万' / '单位不对，是开发区管委会' / '不对' at the read-back."""
        field = field_named(turn.text) if not turn.is_payload else None
        value = corrected_value(turn.text) if field else None
        u["correcting"] = None
        u["confirmed"] = None
        by_entity = [k for k in FIELD_SLOTS if k in u]
        if field in ("respondent", "place", "promise", "promise_date", "evidence", "description") and value:
            # '单位不对，是开发区管委会': the citizen's words win over an entity
            # the NLU cut short (管委会), but not over another field it found
            new = self._value_for(field, value)
            if new is not None and (not by_entity or (by_entity == [field] and str(u[field]) in new)):
                u[field] = new
        changed = [k for k in FIELD_SLOTS + ["anonymous"] if k in u]
        if changed:
            # the new value came with the message (an entity, a phone number)
            for slot in changed:
                if u[slot] is not None and slot not in ("anonymous", "consent_disclose", "confirm_anonymous"):
                    note(notes, "utter_field_corrected", label=FIELD_LABELS[slot], value=self._display(slot, u[slot]))
            return
        if field is None:
            if requested == "field_to_correct" and not turn.is_payload and turn.text.strip():
                note(notes, "utter_hint_field_to_correct")
            u["correcting"] = True
            return
        new = self._value_for(field, value) if value else None
        if new is not None:
            u[field] = new
            if field == "consent_disclose":
                note(notes, "utter_consent_corrected_yes" if new else "utter_consent_corrected_no")
            else:
                note(notes, "utter_field_corrected", label=FIELD_LABELS[field], value=self._display(field, new))
            return
        # ask that field again
        if field == "anonymous":
            u.update(anonymous=None, phone=None, consent_disclose=None)
        elif field == "phone":
            u.update(phone=None, consent_disclose=None)
            if values.get("anonymous"):
                u["anonymous"] = None
        elif field in required_slots({**values, **u}):
            u[field] = None
            tries = dict(values.get("field_tries") or {})
            tries.pop(field, None)
            u["field_tries"] = tries
        else:
            note(notes, "utter_field_not_needed", label=FIELD_LABELS.get(field, "这一项"))

    @staticmethod
    def _value_for(field: str, value: str) -> Any:
        value = mask_ids(value).strip()
        if field == "amount":
            return amount_from_text(value)
        if field == "phone":
            return find_phone(value)
        if field == "promise_date":
            return value[:100] if looks_like_time(value) or is_unknown(value) else None
        if field in ("respondent", "place"):
            return clean_answer(value)[:200] or None
        if field in ("promise", "evidence", "description"):
            return value[:2000]
        if field == "consent_disclose":
            return consent_answer(value, None)
        return None

    @staticmethod
    def _display(slot: str, value: Any) -> str:
        if slot == "amount":
            return amount_text(value)
        if slot == "phone":
            return mask_phone(value)
        return str(value)


class ActionAskConfirmAnonymous(Action):
    """'确定匿名吗？' with the (masked) number the citizen gave."""

    def name(self) -> Text:
        return "action_ask_confirm_anonymous"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_confirm_anonymous", phone=mask_phone(tracker.get_slot("phone")))
        return []


class ActionAskConfirmed(Action):
    """The read-back: the whole complaint in the citizen's words, then 确认提交 / 修改."""

    def name(self) -> Text:
        return "action_ask_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = _slots(tracker)
        urgent, reason = complaint_urgency(tracker, slots)
        slots.update(urgent=urgent, urgency_reason=reason)
        summary = read_back(domain, slots, amount_needed=asks_amount(slots.get("category")))
        dispatcher.utter_message(response="utter_read_back", summary=summary)
        return [SlotSet("urgent", urgent), SlotSet("urgency_reason", reason)]


def read_back(domain: DomainDict, slots: Dict[str, Any], amount_needed: bool) -> str:
    """The complaint as the citizen will check it, one field a line (lines from the domain)."""
    parts: List[str] = []

    def field(key: str, value: Any = None) -> None:
        shown = shorten(slots[key]) if value is None else value
        parts.append(line(domain, "utter_read_back_field", label=FIELD_LABELS[key], value=shown))

    field("category", category_name(slots.get("category")))
    if slots.get("description"):
        field("description")
    for key in ("respondent", "promise", "promise_date"):
        # a promise read from the story itself would only repeat it
        if slots.get(key) and not (key == "promise" and slots[key] == slots.get("description")):
            field(key)
    if amount_needed or slots.get("amount") is not None:
        field("amount", amount_text(slots.get("amount")))
    for key in ("place", "evidence", "reference"):
        if slots.get(key):
            field(key)
    if slots.get("anonymous"):
        parts.append(line(domain, "utter_read_back_anonymous"))
    elif slots.get("phone") == NO_PHONE:
        parts.append(line(domain, "utter_read_back_no_phone"))
    else:
        contact = mask_phone(slots.get("phone"))
        if slots.get("contact_name"):
            contact = f"{slots['contact_name']} {contact}".strip()
        disclosed = "utter_read_back_phone_disclosed" if slots.get("consent_disclose") else "utter_read_back_phone"
        parts.append(line(domain, disclosed, contact=contact))
    if slots.get("urgent") and slots.get("urgency_reason"):
        parts.append(line(domain, "utter_read_back_urgent", reason=slots["urgency_reason"]))
    return "\n".join(parts)


def _beijing_today() -> date:
    return (datetime.now(timezone.utc) + timedelta(hours=8)).date()


def complaint_urgency(tracker: Tracker, slots: Dict[str, Any]):
    texts = [slots.get("description") or "", slots.get("promise") or ""] + user_texts(run_events(tracker, "complaint_key"))
    return assess_urgency(texts, slots.get("category"), _beijing_today())


def ticket_payload(tracker: Tracker) -> NewTicket:
    """The body of POST /api/tickets for the complaint in the slots."""
    s = _slots(tracker)
    anonymous = bool(s.get("anonymous"))
    urgent, reason = complaint_urgency(tracker, s)
    amount = s.get("amount")
    events = run_events(tracker, "complaint_key")
    sources = field_sources(events, SLOT_TO_FIELD)
    told = sources.get("description")
    if told and (is_payload(told["text"]) or not is_meaningful(told["text"])):
        # started by a button or a yes after "您是想……吗？": the story is the message before
        before = [e for e in tracker.events[:len(tracker.events) - len(events)]
                  if e.get("event") == "user" and e.get("text") and not is_payload(e["text"])
                  and is_meaningful(e["text"])]
        if before:
            sources["description"] = {"message_id": before[-1].get("message_id"),
                                      "text": (mask_ids(before[-1]["text"]) or "")[:limits.TEXT]}
    if anonymous:
        for name in ("contact_phone", "contact_name", "consent_disclose"):
            sources.pop(name, None)
    description = s.get("description") or s.get("promise") or "（群众未描述经过）"
    confidence = s.get("category_confidence")

    def short(key: str, limit: int) -> Optional[str]:
        value = s.get(key)
        return mask_ids(str(value))[:limit] if value not in (None, "") else None

    return {
        "idempotency_key": s.get("complaint_key") or run_key(tracker.sender_id, "unknown"),
        "channel": input_channel(tracker),
        "sender_id": tracker.sender_id,
        "conversation_id": tracker.sender_id,
        "description": mask_ids(description)[:limits.TEXT],
        # no category: the back office could not be asked; an operator decides
        "category": s.get("category"),
        "category_confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        "respondent": short("respondent", limits.SHORT),
        "promise": short("promise", limits.LONG),
        "promise_date": short("promise_date", limits.PROMISE_DATE),
        "amount_yuan": round(float(amount), 2) if isinstance(amount, (int, float)) else None,
        "reference": short("reference", limits.SHORT),
        "place": short("place", limits.SHORT),
        "evidence": short("evidence", limits.LONG),
        "urgent": bool(urgent),
        "urgency_reason": reason,
        "anonymous": anonymous,
        "contact_name": None if anonymous else short("contact_name", limits.CONTACT_NAME),
        "contact_phone": None if anonymous else (s.get("phone") or None),
        "consent_disclose": bool(s.get("consent_disclose")) and not anonymous,
        "field_sources": sources,
    }


def filed_details(domain: DomainDict, data: Dict[str, Any], payload: Dict[str, Any]) -> str:
    """The lines of the filing notice after its number and code, those that apply."""
    parts = []
    if data.get("lead_name"):
        parts.append(line(domain, "utter_filed_lead", lead=data["lead_name"]))
    if data.get("reply_due_text"):
        parts.append(line(domain, "utter_filed_reply_due", due=data["reply_due_text"]))
    if payload.get("category") == "other":
        parts.append(line(domain, "utter_filed_ordinary"))
    if payload.get("urgent"):
        parts.append(line(domain, "utter_filed_urgent", reason=payload.get("urgency_reason")))
    parts.append(line(domain, "utter_filed_anonymous" if payload.get("anonymous") else "utter_filed_followed_up"))
    return "\n".join(parts)


def _clear_run() -> List[EventType]:
    return [SlotSet(name, None) for name in RUN_SLOTS]


class ActionSubmitComplaint(Action):
    """Files the complaint. When the back office cannot take it, nothing is
    lost: the slots stay and the retry form offers 重新提交 with the same key."""

    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if not tracker.get_slot("complaint_key"):
            dispatcher.utter_message(response="utter_no_complaint_pending")
            return [SlotSet("submit_pending", False)]
        payload = ticket_payload(tracker)
        try:
            data = await backoffice.create_ticket(payload)
        except backoffice.BackofficeUnavailable:
            return [SlotSet("submit_pending", True), SlotSet("retry_submit", None)]
        except backoffice.BackofficeRefused as e:
            logger.error("ticket refused (%s): %s", e.status, e.body)
            dispatcher.utter_message(response="utter_ticket_refused", error=e.error)
            return [SlotSet("submit_pending", False)]
        dispatcher.utter_message(response="utter_ticket_filed", number=data.get("number"),
                                 query_code=data.get("query_code"), details=filed_details(domain, data, payload))
        number, code = data.get("number"), data.get("query_code")
        return _clear_run() + [
            SlotSet("filed_ticket_number", number), SlotSet("filed_query_code", code),
            SlotSet("ticket_number", number), SlotSet("query_code", code),
            SlotSet("submit_pending", False),
        ]


class ActionAskConfirmStop(Action):
    """算了 before the complaint is filed: "确定不投诉了吗？". An answer to
    that question the NLU takes for another stop is read by its words:
    继续投诉 goes on, anything else (不投诉了, 算了) confirms."""

    def name(self) -> Text:
        return "action_ask_confirm_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
        if ((bot or {}).get("metadata") or {}).get("utter_action") != "utter_ask_confirm_stop":
            dispatcher.utter_message(response="utter_ask_confirm_stop")
            return []
        loop = (tracker.active_loop or {}).get("name")
        if loop and _GO_ON.match(latest_turn(tracker).text.strip()):
            return [FollowupAction(loop)]
        return [FollowupAction("action_cancel_complaint")]


class ActionCancelComplaint(Action):
    """算了 confirmed: forget the complaint."""

    def name(self) -> Text:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_complaint_cancelled")
        return _clear_run() + [SlotSet("submit_pending", False), SlotSet("requested_slot", None), ActiveLoop(None)]


class ValidateRetryForm(FormValidationAction):
    """Waits, after a failed submission, until the citizen asks to try again."""

    def name(self) -> Text:
        return "validate_retry_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if loop_activated_now(tracker, RETRY_FORM) or loop_resumed_now(tracker, RETRY_FORM):
            return [SlotSet("retry_submit", None), SlotSet("requested_slot", "retry_submit")]
        turn = latest_turn(tracker)
        # 重新提交 first: whatever the NLU thinks it is, the words are clear.
        if (_RETRY.search(turn.text) and not _NOT_NOW.search(turn.text)) or turn.intent == "affirm":
            return [SlotSet("retry_submit", True), SlotSet("requested_slot", None)]
        if turn.intent in ("stop", "goodbye", "ask_human"):
            return [ActionExecutionRejected(RETRY_FORM)]
        return [SlotSet("retry_submit", None), SlotSet("requested_slot", "retry_submit")]
