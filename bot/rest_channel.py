"""Rasa's REST channel, answering each gateway message once.

The gateway forwards a stored message again when it cannot know whether the
assistant heard it: its app process died during the turn, the answer could not
be stored, the request timed out. Rasa's own REST channel would take the
message as new, and the form would take an answer twice (a 确认提交 twice
files, then says there is nothing to file). Here, under the conversation's
lock (Redis when several Rasa servers share conversations), a message whose
`metadata.message_id` the tracker already holds, with the assistant's answer
after it, is answered with that answer again instead of being handled again.
A message the assistant heard without answering (an action failed under it)
is handled again, as before.

An error while handling a message is a 500, not an empty answer: the gateway
keeps the message and forwards it again, which is now safe. That includes the
tracker store's errors: Rasa wraps its tracker store so that a conversation it
cannot read starts afresh and one it cannot save is kept in this server's
memory only; with several Rasa servers (or after a database hiccup) either
derails the form. Here the error fails the turn instead.

Runs in the rasa env (the Rasa server loads it from bot/credentials.yml).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request

logger = logging.getLogger(__name__)


def answered_before(events: List[Any], message_id: Optional[str]) -> Optional[List[BotUttered]]:
    """What the assistant said after the message with this id; None when it
    was not heard, or heard without an answer."""
    if not message_id:
        return None
    answer: Optional[List[BotUttered]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if answer:
                return answer  # the next message: the answer is complete
            heard = (event.metadata or {}).get("message_id") == message_id
            answer = [] if heard else None
        elif isinstance(event, BotUttered) and answer is not None:
            answer.append(event)
    return answer or None


def _raise(error: Exception) -> None:
    raise error


def fail_loudly(tracker_store: Any) -> None:
    """A tracker store error fails the turn instead of going on with an empty or
    a memory-only conversation (Rasa's FailSafeTrackerStore calls this hook)."""
    if isinstance(tracker_store, FailSafeTrackerStore):
        tracker_store._on_tracker_store_error = _raise


class OnceRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"  # the same address: /webhooks/rest/webhook

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("hotline_rest", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded"}, status=503)
            fail_loudly(agent.tracker_store)
            sender = await self._extract_sender(request)
            metadata = self.get_metadata(request) or {}
            collector = CollectingOutputChannel()
            message = UserMessage(self._extract_message(request), collector, sender,
                                  input_channel=self._extract_input_channel(request), metadata=metadata)
            try:
                async with agent.lock_store.lock(sender):
                    tracker = await agent.tracker_store.retrieve(sender)
                    said = answered_before(list(tracker.events) if tracker else [], metadata.get("message_id"))
                    if said is None:
                        await agent.processor.handle_message(message)
                    else:
                        logger.info("message %s of %s was answered before: the same answer again",
                                    metadata.get("message_id"), sender)
                        for uttered in said:  # as the REST channel sent it the first time
                            await collector.send_response(sender, {**(uttered.data or {}), "text": uttered.text})
            except Exception:
                logger.exception("handling a message of %s failed", sender)
                return response.json({"error": "message not handled"}, status=500)
            return response.json(collector.messages)

        return hook
