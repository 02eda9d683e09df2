"""The gateway's own table, and the index that makes a delivery count once.

`Conversation` and `Message` (the transcript) live in intake_store.models;
this module only adds what the gateway needs on top of them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from intake_store.models import Message, ts_column

# A Telegram update, a web client's message id or an outbox notification is
# stored once per conversation even when it arrives twice.
Index("uq_message_conversation_external", Message.conversation_id, Message.external_id, unique=True)


class PendingMessage(SQLModel, table=True):
    """A citizen's message the assistant has not answered yet.

    Written with the message, deleted with the answer: whatever is left here
    when Rasa is down is forwarded again once it is back. A lease keeps two
    app processes from forwarding the same message at once.
    """

    __tablename__ = "pending_message"
    message_id: int = Field(sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), primary_key=True))
    conversation_id: str = Field(max_length=200, index=True)
    queued_at: datetime = ts_column(nullable=False)
    lease_owner: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = ts_column(nullable=True)
    attempts: int = 0
    notified: bool = False  # the citizen has been told it is saved
    last_error: str | None = Field(default=None, max_length=500)
