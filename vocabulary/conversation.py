"""The conversation id: a chat channel and the citizen's id on it.

Written "<channel>:<sender id>" (telegram:42, web:3f2a…). This one string is
the transcript's key, Rasa's sender id and the recipient of a message the
back office queues for a citizen.
"""
from __future__ import annotations

from typing import NamedTuple

from .codes import CHAT_CHANNELS


class ConversationId(NamedTuple):
    channel: str
    sender: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.sender}"

    @classmethod
    def parse(cls, text: str) -> "ConversationId":
        """"telegram:42" → ConversationId("telegram", "42"); ValueError for anything
        that is not a chat channel and a sender id."""
        channel, sep, sender = (text or "").partition(":")
        if not sep or channel not in CHAT_CHANNELS or not sender:
            raise ValueError(f"not a conversation id: {text!r}")
        return cls(channel, sender)
