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

    @classmethod
    def of(cls, text: str) -> "ConversationId | None":
        """Like `parse`, None for a conversation that is not a chat's (a REST client's own id)."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @classmethod
    def from_sender(cls, channel: str, sender: str) -> "ConversationId":
        """The conversation of a sender id as a client sends it: the chat's own id
        (42), or already the whole conversation id (telegram:42), which is what
        the assistant knows as its sender id."""
        given = cls.of(sender)
        if given is not None and given.channel == channel:
            return given
        return cls(channel, sender)
