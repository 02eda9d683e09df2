"""Messages the back office queues for citizens (a department's reply, the
回访 question, reminders), delivered on the channel the citizen used.

The back office writes `Notification` rows (intake_store.outbox.notify) and
knows nothing of channels; the app's one `Sender` hands each due row to the
deliverer registered here for its channel.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import object_session
from sqlmodel import Session
from telegram.error import BadRequest, Forbidden

from intake_store.models import Notification
from intake_store.outbox import Deliver, PermanentDeliveryError, notify

from . import transcript as tr
from .rasa_client import Button, Reply
from .relay import Channel

# The 回访 question comes with one button per rating (intents of docs/assistant-contract.md).
FOLLOW_UP_BUTTONS = (
    Button("非常满意", "/rate_very_satisfied"),
    Button("满意", "/rate_satisfied"),
    Button("一般", "/rate_neutral"),
    Button("不满意", "/rate_unsatisfied"),
)
BUTTONS_BY_KIND = {"citizen_reply": FOLLOW_UP_BUTTONS}


def reply_for(n: Notification) -> Reply:
    return Reply(n.body, BUTTONS_BY_KIND.get(n.kind, ()))


def deliverer(channel: Channel, store: tr.Store, now: Callable[[], datetime]) -> Deliver:
    """The outbox deliverer for one channel: the message joins the citizen's
    conversation (created if the ticket came without one) and is sent there."""

    async def deliver(n: Notification) -> None:
        # The sender holds its transaction open while delivering (its row lock);
        # the transcript is written in it too (SQLite has one writer at a time).
        session = object_session(n)
        db = store.within(session) if session is not None else store
        sender = tr.split_recipient(channel.name, n.recipient)
        await db.run(tr.touch_conversation, channel.name, sender, now())
        conv_id = tr.conversation_id(channel.name, sender)
        try:
            await channel.deliver(conv_id, [reply_for(n)], meta={"source": "outbox", "kind": n.kind},
                                  key=f"notification:{n.id}", session=session)
        except (Forbidden, BadRequest) as e:  # blocked the bot, or the chat is gone: retrying cannot help
            raise PermanentDeliveryError(f"{type(e).__name__}: {e}") from e

    return deliver


def queue_unsent(session: Session, channel: str, conv_id: str, bodies: list[str], answered: int, now: datetime) -> None:
    """The assistant's answer could not be sent during the conversation: the
    outbox retries it, and the citizen's message counts as answered."""
    for i, body in enumerate(bodies):
        notify(session, key=f"chat:{conv_id}:{answered}:{i}", kind="chat_reply", recipient_kind="citizen",
               recipient=conv_id, channel=channel, body=body, now=now)
    tr.record_outbound(session, conv_id, [], now, answered=answered)
