"""Messages the back office queues for citizens (a department's reply, the
回访 question, reminders), delivered on the channel the citizen used.

The back office writes `Notification` rows (intake_store.outbox.notify) and
knows nothing of channels; the app's one `Sender` hands each due row to the
deliverer registered here for its channel.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlmodel import Session
from telegram.error import BadRequest, Forbidden

from intake_store.models import Notification
from intake_store.outbox import Deliver, PermanentDeliveryError, notify
from vocabulary.codes import SATISFACTION
from vocabulary.conversation import ConversationId

from . import transcript as tr
from .rasa_client import Button, Reply
from .relay import Channel

# The 回访 question comes with one button per rating (intents rate_<code>, docs/assistant-contract.md).
FOLLOW_UP_BUTTONS = tuple(Button(SATISFACTION.label(code), f"/rate_{code}") for code in SATISFACTION)
BUTTONS_BY_KIND = {"citizen_reply": FOLLOW_UP_BUTTONS}


def reply_for(n: Notification) -> Reply:
    return Reply(n.body, BUTTONS_BY_KIND.get(n.kind, ()))


def deliverer(channel: Channel, store: tr.Store, now: Callable[[], datetime]) -> Deliver:
    """The outbox deliverer for one channel: the message joins the citizen's
    conversation (created if the ticket came without one) and is sent there."""

    async def deliver(n: Notification) -> None:
        # No transaction is open here (the sender leased the row): the transcript
        # is written in its own, and `key` keeps a second delivery of the same
        # row from storing the message twice.
        to = ConversationId.parse(n.recipient)
        await store.run(tr.touch_conversation, to.channel, to.sender, now())
        try:
            await channel.deliver(str(to), [reply_for(n)], meta={"source": "outbox", "kind": n.kind},
                                  key=f"notification:{n.id}")
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
