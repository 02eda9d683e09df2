"""Reading a conversation from the tracker the action server receives.

Works on the plain event dicts of rasa_sdk's Tracker, so it is easy to feed
hand-made trackers in tests.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker

from vocabulary import limits
from vocabulary.codes import CHANNELS
from vocabulary.masking import id_number_spans, mask_ids

from .parsing import is_payload

ACTION_LISTEN = "action_listen"


@dataclass
class Turn:
    """One user message with what the NLU made of it."""

    text: str = ""
    intent: Optional[str] = None
    confidence: float = 0.0
    entities: List[Dict[str, Any]] = field(default_factory=list)
    message_id: Optional[str] = None
    timestamp: Optional[float] = None
    ranking: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def is_payload(self) -> bool:
        return is_payload(self.text)

    def spans(self, entity: str) -> List[Dict[str, Any]]:
        """Entities of one type, leaving out any the NLU cut from an ID number."""
        ids = id_number_spans(self.text) if entity != "id_number" else []

        def inside_id(e: Dict[str, Any]) -> bool:
            start, end = e.get("start"), e.get("end")
            return isinstance(start, int) and isinstance(end, int) and any(s < end and start < t for s, t in ids)

        return [e for e in self.entities
                if e.get("entity") == entity and e.get("value") is not None and not inside_id(e)]

    def values(self, entity: str) -> List[str]:
        return [str(e.get("value")) for e in self.spans(entity)]

    def raw(self, ent: Dict[str, Any]) -> str:
        """What the citizen typed for an entity (before synonym mapping)."""
        start, end = ent.get("start"), ent.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(self.text):
            return self.text[start:end]
        return str(ent.get("value"))


def _turn_from_user_event(event: Dict[str, Any]) -> Turn:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    return Turn(
        text=event.get("text") or parse.get("text") or "",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=list(parse.get("entities") or []),
        message_id=event.get("message_id"),
        timestamp=event.get("timestamp"),
        ranking=list(parse.get("intent_ranking") or []),
    )


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def latest_turn(tracker: Tracker) -> Turn:
    users = user_events(tracker)
    if users:
        return _turn_from_user_event(users[-1])
    msg = tracker.latest_message or {}
    intent = msg.get("intent") or {}
    return Turn(text=msg.get("text") or "", intent=intent.get("name"),
                confidence=float(intent.get("confidence") or 0.0), entities=list(msg.get("entities") or []))


def last_spoken_turn(tracker: Tracker) -> Optional[Turn]:
    """The latest message the citizen typed (not a button payload)."""
    for event in reversed(user_events(tracker)):
        turn = _turn_from_user_event(event)
        if turn.text and not turn.is_payload:
            return turn
    return None


def clarified_turn(tracker: Tracker) -> Optional[Turn]:
    """The unclear message the latest one clarifies. After "您是想……吗？" Rasa
    rewinds the answer and puts it back in place of the unclear message, so a
    rewind stands between the last two user events; the unclear message is
    the one before them."""
    events = tracker.events
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 3 or not any(e.get("event") == "rewind" for e in events[users[-2] + 1:users[-1]]):
        return None
    return _turn_from_user_event(events[users[-3]])


def _events_since_last_user(tracker: Tracker) -> List[Dict[str, Any]]:
    events = tracker.events
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "user":
            return events[i + 1:]
    return list(events)


def loop_activated_now(tracker: Tracker, loop: str) -> bool:
    """The loop was started by the current message (not continued)."""
    return any(e.get("event") == "active_loop" and e.get("name") == loop for e in _events_since_last_user(tracker))


def loop_resumed_now(tracker: Tracker, loop: str) -> bool:
    """The loop runs again after an interruption (chitchat answered, 继续 after
    算了): the current message is not an answer to the pending question.
    Rasa says so with loop_interrupted, or by having run other actions since
    the message (the loop's own run is appended for the validation call)."""
    since = _events_since_last_user(tracker)
    if any(e.get("event") == "loop_interrupted" and e.get("is_interrupted") for e in since):
        return True
    return any(e.get("event") == "action" and e.get("name") not in (ACTION_LISTEN, loop) for e in since)


def input_channel(tracker: Tracker) -> str:
    """Channel for the back office: the gateway may say it in metadata
    (web / telegram); Rasa's own REST channel is 'rest'."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    for key in ("channel", "source"):
        value = metadata.get(key) if isinstance(metadata, dict) else None
        if value in CHANNELS:
            return value
    latest = tracker.get_latest_input_channel()
    if latest in CHANNELS:
        return latest
    return "rest"


def run_key(sender_id: str, trigger: Optional[str]) -> str:
    """Idempotency key of one complaint: the conversation and the message that
    started the form. Retries of that form reuse it; the next complaint in the
    same conversation starts from another message and gets another key."""
    digest = hashlib.sha256(f"{sender_id}\x1f{trigger}".encode("utf-8")).hexdigest()
    return f"chat-{digest[:40]}"


def run_events(tracker: Tracker, key_slot: str) -> List[Dict[str, Any]]:
    """Events of the current complaint run: from the message that started it
    (the one after which the run key was set) to now."""
    key = tracker.get_slot(key_slot)
    events = tracker.events
    if not key:
        return list(events)
    key_index = None
    for i in range(len(events) - 1, -1, -1):
        e = events[i]
        if e.get("event") == "slot" and e.get("name") == key_slot and e.get("value") == key:
            key_index = i
        elif key_index is not None and e.get("event") == "user":
            return events[i:]
    return events[key_index:] if key_index is not None else list(events)


def field_sources(events: Iterable[Dict[str, Any]], slot_to_field: Dict[str, str]) -> Dict[str, Dict[str, Any]]:
    """For each filled field, the message it was last set from (masked text)."""
    sources: Dict[str, Dict[str, Any]] = {}
    current: Optional[Dict[str, Any]] = None
    for e in events:
        kind = e.get("event")
        if kind == "user":
            current = e
        elif kind == "slot" and e.get("name") in slot_to_field and current is not None:
            api_field = slot_to_field[e["name"]]
            if e.get("value") is None:
                sources.pop(api_field, None)
            else:
                sources[api_field] = {
                    "message_id": (current.get("message_id") or None),
                    "text": (mask_ids(current.get("text") or "") or "")[:limits.TEXT],
                }
    return sources


def user_texts(events: Iterable[Dict[str, Any]]) -> List[str]:
    return [mask_ids(e.get("text")) for e in events
            if e.get("event") == "user" and e.get("text") and not is_payload(e.get("text"))]
