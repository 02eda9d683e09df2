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
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import backoffice
from .conversation import (
    Turn, field_sources, input_channel, last_spoken_turn, latest_turn, loop_activated_now, loop_resumed_now,
    run_events, run_key, user_texts,
)
from .extraction import (
    clean_answer, corrected_value, evidence_from, field_named, find_contact_name, find_reference, is_meaningful,
    is_negative, is_unknown, looks_like_org, looks_like_place, looks_like_time, place_from_respondent, promise_from,
)
from .parsing import (
    amount_from_text, find_id_numbers, find_phone, is_payload, mask_id_number, mask_ids, mask_phone, pick_amount,
)
from .texts import ANONYMOUS_NOTICE, FIELD_LABELS, ID_NOTICE, amount_text, read_back
from .urgency import assess_urgency

logger = logging.getLogger(__name__)

FORM = "complaint_form"
RETRY_FORM = "retry_form"

# Where a sum of money is part of the complaint (DOMAIN.md): ask for it.
AMOUNT_CATEGORIES = {
    "arrears", "wage_arrears", "procurement", "ppp", "debt", "court_judgment", "investment_promise", "property_rights",
}

# Slots the citizen fills, in the order they are asked.
FIELD_SLOTS = [
    "description", "respondent", "promise", "promise_date", "amount", "place", "evidence",
    "phone", "consent_disclose",
]
# Everything one complaint run owns; cleared when it is filed or cancelled.
RUN_SLOTS = FIELD_SLOTS + [
    "category", "category_confidence", "reference", "contact_name", "anonymous", "id_number",
    "correcting", "field_to_correct", "confirmed", "urgent", "urgency_reason", "complaint_key", "retry_submit",
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

# Below this the NLU's second guess at a category is noise.
MIN_GUESS = 0.05

# Messages that are not an answer: rules answer them and the form resumes.
INTERRUPTIONS = {"chitchat", "bot_challenge", "stop", "goodbye", "ask_human", "greet", "thank", "query_status"}

_ANONYMOUS_WORDS = re.compile(r"匿名|不留(?:电话|名|姓名|联系方式)|不方便留|不想留")
_YES = re.compile(r"^(?:确认|确定|提交|没问题|对|对的|是|是的|正确|好|好的|可以|行|同意|没错)")
_NO = re.compile(r"不同意|不要|不行|不可以|不用|别|不告诉|不公开|不愿意|不想")
_RETRY = re.compile(r"重新提交|再提交|重新发|再试|重试|提交|再来一次|再发一次|试一下|试试")
_NOT_NOW = re.compile(r"不|别|算了|取消")

OTHER_NOTICE = "您反映的事情不属于政务失信，我们会作为一般诉求转12345热线办理。我先记下几项信息。"
PHONE_HINT = "这个号码好像不对。请留11位手机号，或带区号的座机，例如0535-6612345。"
FIELD_HINTS = {
    "description": "请再多说几句：哪个单位、答应了什么或欠了什么、现在怎么样了。",
    "respondent": "没太听清是哪个单位。请说单位名称，例如“区住建局”“某某镇政府”；不清楚可以说“不清楚”。",
    "promise": "请简单说说对方答应了什么，或者欠了您什么。",
    "promise_date": "说个大概时间就行，例如“2023年10月”“去年年底”；记不清可以说“记不清”。",
    "amount": "没听清金额。可以直接说数字，例如“35万”“12600元”；不清楚可以说“不清楚”。",
    "place": "请说一下区县或街道的名称，例如“福山区”“东莱街道”。",
    "evidence": "请说说有哪些材料，比如合同、结算单、聊天记录；没有的话请说“没有”。",
    "consent_disclose": "请回答“同意”或“不同意”。",
    "confirmed": "内容没问题请点“确认提交”；要修改请点“修改”，或直接告诉我哪里要改。",
    "field_to_correct": "没听明白要改哪一项，请点下面的按钮选一下。",
}


def required_slots(values: Dict[str, Any]) -> List[str]:
    """What this complaint still needs, given its category and choices."""
    category = values.get("category") or "other"
    slots = ["description"]
    if category != "other":
        slots += ["respondent", "promise", "promise_date"]
    if category in AMOUNT_CATEGORIES:
        slots.append("amount")
    slots.append("place")
    if category != "other":
        slots.append("evidence")
    if values.get("anonymous") is not True:
        slots += ["phone", "consent_disclose"]
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


def _pick_entity(turn: Turn, entity: str, correcting: bool) -> Optional[Dict[str, Any]]:
    spans = turn.spans(entity)
    if not spans:
        return None
    if correcting:
        good = [e for e in spans if _not_after_denial(turn, e)]
        return (good or spans)[-1]
    return spans[0]


def _category_of(turn: Turn) -> Tuple[str, float]:
    """The complain_<code> intent and its confidence. A complaint may start
    with details (a phone number, 匿名, a unit's name): then the NLU's best
    complaint guess, or 'other' until the story is told."""
    if (turn.intent or "").startswith("complain_"):
        return turn.intent[len("complain_"):], round(min(max(turn.confidence, 0.0), 1.0), 4)
    best = next((r for r in turn.ranking if str(r.get("name", "")).startswith("complain_")), None)
    if best and float(best.get("confidence") or 0) >= MIN_GUESS:
        return best["name"][len("complain_"):], round(float(best["confidence"]), 4)
    return "other", 0.0


class ValidateComplaintForm(FormValidationAction):
    """Fills, checks and corrects the complaint; decides what to ask next."""

    def name(self) -> Text:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return required_slots(_slots(tracker))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        values = _slots(tracker)
        notes: List[str] = []
        if loop_activated_now(tracker, FORM):
            updates = self.start(tracker, values, notes)
        elif loop_resumed_now(tracker, FORM):
            # back after chitchat or a question: the message was not an answer
            updates = {}
        else:
            turn = latest_turn(tracker)
            if turn.intent in INTERRUPTIONS:
                return [ActionExecutionRejected(FORM)]
            updates = self.answer(tracker, turn, values, notes)
            if updates is None:
                # unclear and unusable: the rephrase rule takes over
                return [ActionExecutionRejected(FORM)]
        for note in dict.fromkeys(notes):
            dispatcher.utter_message(text=note)
        merged = {**values, **updates}
        requested = next_slot(merged)
        events: List[EventType] = [SlotSet(k, v) for k, v in updates.items()]
        if not updates:
            # nothing new: keep asking the same question (and do not let the
            # form treat the turn as unhandled)
            current = tracker.get_slot("requested_slot")
            if current:
                events.append(SlotSet(current, None))
        events.append(SlotSet("requested_slot", requested))
        return events

    # ------------------------------------------------------------ first message

    def start(self, tracker: Tracker, values: Dict[str, Any], notes: List[str]) -> Dict[str, Any]:
        turn = latest_turn(tracker)
        # A button press (after "您是想反映……吗？") carries no words: the
        # complaint is in the message before it.
        source = last_spoken_turn(tracker) if turn.is_payload else turn
        source = source or turn
        u: Dict[str, Any] = {name: None for name in RUN_SLOTS if values.get(name) is not None}
        category, confidence = _category_of(turn)
        u["category"] = category
        u["category_confidence"] = confidence
        u["complaint_key"] = run_key(tracker.sender_id, turn.message_id or str(turn.timestamp))
        text = (mask_ids(source.text) or "").strip()
        if is_meaningful(text):
            self._take_description(text, u, {})
        state = {**{k: None for k in RUN_SLOTS}, **u}
        self.common(source, state, u, notes, requested=None, correcting=False)
        if turn.intent == "complain_other":
            notes.insert(0, OTHER_NOTICE)
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

    def answer(self, tracker: Tracker, turn: Turn, values: Dict[str, Any], notes: List[str]) -> Optional[Dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        correcting = turn.intent == "correct_field" or requested in ("confirmed", "field_to_correct")
        u: Dict[str, Any] = {}
        self.common(turn, values, u, notes, requested=requested, correcting=correcting)

        fields_changed = any(k in FIELD_SLOTS for k in u)
        if (turn.intent == "correct_field" or requested == "field_to_correct"
                or (requested == "confirmed" and (turn.intent == "deny" or fields_changed))):
            self.correction(turn, values, u, notes, requested)
        elif requested == "confirmed":
            if turn.intent == "affirm" or (_YES.search(turn.text.strip()) and not _NO.search(turn.text)):
                u["confirmed"] = True
            else:
                notes.append(FIELD_HINTS["confirmed"])
        elif requested and requested not in u:
            self.fill_requested(requested, turn, values, u, notes)

        if requested in ("confirmed", "field_to_correct") and any(k in FIELD_SLOTS for k in u):
            u["confirmed"] = None
        progress = [k for k in u if k != "id_number"]
        if turn.intent == "nlu_fallback" and not progress:
            return None
        return u

    def common(self, turn: Turn, values: Dict[str, Any], u: Dict[str, Any], notes: List[str],
               requested: Optional[str], correcting: bool) -> None:
        """What any message can carry: an ID number, 匿名, a phone number,
        a name, a contract number and the NLU's entities."""
        text = turn.text or ""
        ids = find_id_numbers(text) + [mask_id_number(v) for v in turn.values("id_number")]
        if ids:
            u["id_number"] = ids[-1]
            notes.append(ID_NOTICE)

        current = {**values, **u}
        wants_anonymous = turn.intent == "want_anonymous" or (
            requested in ("phone", None) and bool(_ANONYMOUS_WORDS.search(text)) and not find_phone(text))
        if wants_anonymous:
            if current.get("anonymous") is not True:
                notes.append(ANONYMOUS_NOTICE)
            u.update(anonymous=True, phone=None, consent_disclose=None, contact_name=None)
        else:
            phone = next((p for p in (find_phone(v) for v in turn.values("phone")) if p), None) or find_phone(text)
            if phone:
                if phone != current.get("phone"):
                    u["phone"] = phone
                if current.get("anonymous") is not False:
                    u["anonymous"] = False
                    if current.get("anonymous") is True:
                        u["consent_disclose"] = None
            elif requested == "phone" and len(re.sub(r"\D", "", text)) >= 5:
                notes.append(PHONE_HINT)
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
            value = mask_ids(str(ent.get("value"))).strip()[:200]
            if slot == "place" and requested == "place":
                # 牟平区宁海街道 says more than the 牟平区 the NLU marked
                answer = clean_answer(text)
                if value in answer and len(answer) <= 20 and looks_like_place(answer):
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

    def fill_requested(self, requested: str, turn: Turn, values: Dict[str, Any], u: Dict[str, Any],
                       notes: List[str]) -> None:
        """The answer to the question just asked, from the words themselves.

        A message about the citizen's contact (a phone number, a name, 匿名)
        is not taken as the answer; a message the NLU was unsure about is taken
        only when it looks like this kind of answer."""
        if turn.is_payload and requested != "consent_disclose":
            return
        if turn.intent in ("give_contact", "want_anonymous") or any(
                k in u for k in ("phone", "anonymous", "contact_name")):
            return
        text = (mask_ids(turn.text) or "").strip()
        answer = clean_answer(text)
        unsure = turn.intent == "nlu_fallback"
        # more of the story rather than a short answer
        story = (turn.intent or "").startswith("complain_")
        # a plain answer: anything but a bare yes/no or more story
        plain = not unsure and not story and turn.intent not in ("affirm", "deny") and len(answer) >= 2
        value: Any = None

        if requested == "description":
            if is_meaningful(text):
                self._add_to_story(text, turn, values, u)
                return
        elif requested == "respondent":
            if is_unknown(answer):
                value = "不清楚"
            elif plain or (looks_like_org(answer) and len(answer) <= SHORT_ANSWER):
                value = answer[:200]
        elif requested == "promise":
            if (unsure and len(answer) >= 4 and promise_from(text + "。" * 12)) or plain or story:
                value = text[:2000]
        elif requested == "promise_date":
            if is_unknown(answer):
                value = "记不清"
            elif looks_like_time(answer):
                value = answer[:100]
        elif requested == "amount":
            value = amount_from_text(text)
            if value is None and (is_unknown(answer) or is_negative(answer)):
                value = "不详"
        elif requested == "place":
            if is_unknown(answer):
                value = "不清楚"
            elif plain or (looks_like_place(answer) and len(answer) <= SHORT_ANSWER):
                value = answer[:200]
        elif requested == "evidence":
            if turn.intent == "deny" or is_negative(answer):
                value = "无"
            elif turn.intent == "affirm" or answer in ("有", "有的", "有啊", "都有"):
                value = None  # which evidence? the hint asks
            elif evidence_from(text) or plain:
                value = (evidence_from(text) if len(text) > 40 else text)[:2000]
        elif requested == "consent_disclose":
            raw = turn.text.strip()
            if turn.intent == "deny" or _NO.search(raw):
                value = False
            elif turn.intent == "affirm" or _YES.search(raw):
                value = True
        elif requested == "phone":
            return  # numbers and 匿名 are taken in common(), which also gives the hint

        if value is not None:
            u[requested] = value
        elif story and is_meaningful(text):
            # not the answer but more of the story: keep it, ask again
            self._add_to_story(text, turn, values, u)
        elif not unsure and requested in FIELD_HINTS:
            notes.append(FIELD_HINTS[requested])

    def _add_to_story(self, text: str, turn: Turn, values: Dict[str, Any], u: Dict[str, Any]) -> None:
        """Append to the description; a clearer complaint intent than the one
        the complaint started with sets the category."""
        before = values.get("description")
        if before and text in before:
            return
        self._take_description(text if not before else f"{before}。{text}", u, values)
        if (turn.intent or "").startswith("complain_") and (
                values.get("category") in (None, "other")
                or turn.confidence > (values.get("category_confidence") or 0)):
            u["category"] = turn.intent[len("complain_"):]
            u["category_confidence"] = round(turn.confidence, 4)

    def correction(self, turn: Turn, values: Dict[str, Any], u: Dict[str, Any], notes: List[str],
                   requested: Optional[str]) -> None:
        """'金额说错了，是三十五万' / '我要改一下地点' / '不对' at the read-back."""
        changed = [k for k in FIELD_SLOTS + ["anonymous"] if k in u]
        field = field_named(turn.text) if not turn.is_payload else None
        u["correcting"] = None
        u["confirmed"] = None
        if changed:
            # the new value came with the message (an entity, a phone number)
            for slot in changed:
                if u[slot] is not None and slot not in ("anonymous", "consent_disclose"):
                    notes.append(f"好的，{FIELD_LABELS[slot]}已改为：{self._display(slot, u[slot])}。")
            return
        if field is None:
            if requested == "field_to_correct" and not turn.is_payload and turn.text.strip():
                notes.append(FIELD_HINTS["field_to_correct"])
            u["correcting"] = True
            return
        value = corrected_value(turn.text)
        new = self._value_for(field, value) if value else None
        if new is not None:
            u[field] = new
            notes.append(f"好的，{FIELD_LABELS[field]}已改为：{self._display(field, new)}。")
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
        else:
            notes.append(f"这次投诉不需要填写{FIELD_LABELS.get(field, '这一项')}。")

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
        return None

    @staticmethod
    def _display(slot: str, value: Any) -> str:
        if slot == "amount":
            return amount_text(value)
        if slot == "phone":
            return mask_phone(value)
        return str(value)


class ActionAskConfirmed(Action):
    """The read-back: the whole complaint, then 确认提交 / 修改."""

    def name(self) -> Text:
        return "action_ask_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = _slots(tracker)
        urgent, reason = complaint_urgency(tracker, slots)
        slots.update(urgent=urgent, urgency_reason=reason)
        dispatcher.utter_message(
            text=read_back(slots, amount_needed=(slots.get("category") in AMOUNT_CATEGORIES)),
            buttons=[{"title": "确认提交", "payload": "/affirm"}, {"title": "修改", "payload": "/correct_field"}],
        )
        return [SlotSet("urgent", urgent), SlotSet("urgency_reason", reason)]


def _beijing_today() -> date:
    return (datetime.now(timezone.utc) + timedelta(hours=8)).date()


def complaint_urgency(tracker: Tracker, slots: Dict[str, Any]):
    texts = [slots.get("description") or "", slots.get("promise") or ""] + user_texts(run_events(tracker, "complaint_key"))
    return assess_urgency(texts, slots.get("category"), _beijing_today())


def ticket_payload(tracker: Tracker) -> Dict[str, Any]:
    """The body of POST /api/tickets for the complaint in the slots."""
    s = _slots(tracker)
    anonymous = bool(s.get("anonymous"))
    urgent, reason = complaint_urgency(tracker, s)
    amount = s.get("amount")
    events = run_events(tracker, "complaint_key")
    sources = field_sources(events, SLOT_TO_FIELD)
    told = sources.get("description")
    if told and is_payload(told["text"]):
        # started by a button after "您是想……吗？": the story is the message before
        before = [e for e in tracker.events[:len(tracker.events) - len(events)]
                  if e.get("event") == "user" and e.get("text") and not is_payload(e["text"])]
        if before:
            sources["description"] = {"message_id": before[-1].get("message_id"),
                                      "text": (mask_ids(before[-1]["text"]) or "")[:5000]}
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
        "description": mask_ids(description)[:5000],
        "category": s.get("category") or "other",
        "category_confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        "respondent": short("respondent", 200),
        "promise": short("promise", 2000),
        "promise_date": short("promise_date", 100),
        "amount_yuan": round(float(amount), 2) if isinstance(amount, (int, float)) else None,
        "reference": short("reference", 200),
        "place": short("place", 200),
        "evidence": short("evidence", 2000),
        "urgent": bool(urgent),
        "urgency_reason": reason,
        "anonymous": anonymous,
        "contact_name": None if anonymous else short("contact_name", 100),
        "contact_phone": None if anonymous else s.get("phone"),
        "consent_disclose": bool(s.get("consent_disclose")) and not anonymous,
        "field_sources": sources,
    }


def filed_message(data: Dict[str, Any], payload: Dict[str, Any]) -> str:
    lines = [
        "您的投诉已提交。",
        f"工单号：{data.get('number')}",
        f"查询码：{data.get('query_code')}（请保存好，查询进度和评价时要用）",
    ]
    if data.get("lead_name"):
        lines.append(f"承办单位：{data['lead_name']}")
    if data.get("reply_due_text"):
        lines.append(f"答复期限：{data['reply_due_text']}")
    if payload.get("category") == "other":
        lines.append("这件事已作为一般诉求转12345热线办理。")
    if payload.get("urgent"):
        lines.append(f"已标注为紧急（{payload.get('urgency_reason')}），会优先处理。")
    if payload.get("anonymous"):
        lines.append("您是匿名投诉，我们不会电话回访，请凭工单号和查询码查询进度。")
    else:
        lines.append("有进展会通知您，发“查进度”也可以随时查询。")
    return "\n".join(lines)


def _clear_run() -> List[EventType]:
    return [SlotSet(name, None) for name in RUN_SLOTS]


class ActionSubmitComplaint(Action):
    """Files the complaint. When the back office cannot take it, nothing is
    lost: the slots stay and the retry form offers 重新提交 with the same key."""

    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if not tracker.get_slot("complaint_key"):
            dispatcher.utter_message(text="目前没有待提交的投诉。请直接说说您遇到的情况。")
            return [SlotSet("submit_pending", False)]
        payload = ticket_payload(tracker)
        try:
            data = await backoffice.create_ticket(payload)
        except backoffice.BackofficeUnavailable:
            return [SlotSet("submit_pending", True), SlotSet("retry_submit", None)]
        except backoffice.BackofficeRefused as e:
            logger.error("ticket refused (%s): %s", e.status, e.body)
            dispatcher.utter_message(
                text=f"抱歉，投诉没能提交：{e.error}\n请说“转人工”，工作人员会帮您处理；您填写的内容还在。")
            return [SlotSet("submit_pending", False)]
        dispatcher.utter_message(text=filed_message(data, payload))
        number, code = data.get("number"), data.get("query_code")
        return _clear_run() + [
            SlotSet("filed_ticket_number", number), SlotSet("filed_query_code", code),
            SlotSet("ticket_number", number), SlotSet("query_code", code),
            SlotSet("submit_pending", False),
        ]


class ActionCancelComplaint(Action):
    """算了 confirmed: forget the complaint."""

    def name(self) -> Text:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text="好的，这次投诉已取消，您说的内容没有提交。以后有需要，随时找我。")
        return _clear_run() + [SlotSet("submit_pending", False), SlotSet("requested_slot", None)]


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
