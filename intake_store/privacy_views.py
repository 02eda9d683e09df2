"""One policy for what of a complainant each reader of a ticket sees.

- the hotline (operators, the assistant's service token): everything as given;
- supervisors: the complainant's name, and every phone and ID number masked,
  in the contact and in all free text (they reach the citizen through the hotline);
- departments and partners: the complainant's identity masked in all free text
  (names, phones, ID numbers, addresses, plates; `privacy.mask_identity`), and
  no contact, unless the complainant agreed to disclose.

Free text is whatever a person wrote: the complaint's fields and every event's
reason and payload (an operator's amendment, a citizen's 回访 comment).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from vocabulary.masking import introduced_names, mask_identity, mask_personal

FULL_VIEW = ("service", "operator", "system", "admin")
FREE_TEXT = ("description", "promise", "promise_date", "evidence", "urgency_reason", "place", "reference", "reply",
             "routing_notes", "respondent")


def masker_for(role: str, consent: bool, names: list[str]) -> Callable[[str], str] | None:
    """How free text is masked for a reader in `role`; None: shown as written."""
    if role in FULL_VIEW:
        return None
    if role == "supervisor":
        return mask_personal
    if consent:
        return None
    return lambda text: mask_identity(text, names)


def _deep(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_deep(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _deep(v, mask) for k, v in value.items()}
    return value


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def shown_to(viewer, view: dict, consent: bool, names: list[str], also: list = ()) -> dict:
    """The ticket view `view` with free text masked for `viewer`; `also`: the
    ticket's other writing (its events), where a name may have been introduced."""
    if viewer.role not in FULL_VIEW and viewer.role != "supervisor" and not consent:
        names = [*names, *introduced_names(_strings([view.get(key) for key in FREE_TEXT] + list(also)))]
    mask = masker_for(viewer.role, consent, names)
    if mask is None:
        return view
    for key in FREE_TEXT:
        if view.get(key):
            view[key] = _deep(view[key], mask)
    for event in view.get("events") or []:
        event["reason"] = _deep(event.get("reason"), mask)
        event["payload"] = _deep(event.get("payload"), mask)
    person = view.get("complainant")
    if person and viewer.role == "supervisor" and person.get("phone"):
        view["complainant"] = {**person, "phone": mask_personal(person["phone"])}
    return view


def messages_for(role: str, messages: list) -> list:
    """A transcript as a reader in `role` may read it: supervisors with phone and
    ID numbers masked (detached copies: the stored messages never change)."""
    if role in FULL_VIEW:
        return messages
    return [SimpleNamespace(**{**m.model_dump(), "text": mask_personal(m.text)}) for m in messages]


def text_for(role: str, text: str) -> str:
    return text if role in FULL_VIEW else mask_personal(text)
