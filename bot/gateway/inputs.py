"""What of a citizen's message goes to the assistant, and what the gateway
answers itself. Pure functions: the stored message is always the text as
typed; only the copy sent to Rasa is cleaned.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from . import texts


@dataclass(frozen=True)
class Prepared:
    forward: str | None  # what Rasa gets; None: the assistant is not asked
    note: str | None = None  # what the gateway tells the citizen first


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\n\t\u200d"


def clean(text: str) -> str:
    """Control and format characters out, line breaks and tabs kept, ends trimmed."""
    return "".join(ch for ch in text if not _is_control(ch)).strip()


def has_words(text: str) -> bool:
    """Letters, digits or CJK characters: something an assistant can read."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def not_an_intent(text: str) -> str:
    """Rasa reads a message that starts with "/" as an intent given outright
    (confidence 1.0, entities in JSON after it): typed text must never choose
    the intent, so its leading slashes go. Buttons' payloads, which the bot
    itself offered, do not pass through here."""
    while text.startswith("/"):
        text = text.lstrip("/").lstrip()
    return text


def prepare(text: str, limit: int) -> Prepared:
    """Empty, symbols-only (emoji), too long or noisy text, or typed like an
    intent: decide what to forward."""
    cleaned = not_an_intent(clean(text))
    if not cleaned:
        return Prepared(None, texts.EMPTY_HINT)
    if not has_words(cleaned):
        return Prepared(None, texts.SYMBOLS_HINT)
    if len(cleaned) > limit:
        return Prepared(cleaned[:limit], texts.LONG_NOTE.format(length=len(text), limit=limit))
    return Prepared(cleaned)
