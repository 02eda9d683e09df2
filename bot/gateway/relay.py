"""A citizen's message from any channel to the assistant and back.

    take()    store the message first (a second delivery of it is dropped)
    answer()  forward it to Rasa, in order per conversation, and hand the
              replies to the channel; if no answer comes in time the citizen
              is told the message is saved and the conversation is flagged
    retry_once()     forwards what is still waiting once Rasa is back (run by the app's scheduler)

A process holds a short lease on the messages it forwards and renews it while
it works, so when it dies another process takes them over within seconds. A
message forwarded twice this way is answered once: Rasa's REST channel
(bot/rest_channel.py) answers a message id it has answered before with the
same answer.

Channels (web chat, Telegram) only say how to show and send; the rules about
order, saving and retrying are here, once.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol

from sqlmodel import Session

from intake_store.models import Message
from vocabulary.conversation import ConversationId

from . import texts
from . import transcript as tr
from .inputs import prepare
from .rasa_client import AssistantClient, AssistantDown, Reply

log = logging.getLogger("hotline.gateway")


class Channel(Protocol):
    name: str

    async def deliver(self, conv_id: str, replies: list[Reply], *, answered: int | None = None,
                      meta: dict | None = None, key: str | None = None, session: Session | None = None) -> list[Message]:
        """Send and store the replies; `answered`: the citizen's message they answer;
        `key`: an outbox delivery's id; `session`: store in this open transaction."""

    async def typing(self, conv_id: str, on: bool) -> None:
        """Show or hide that the assistant is writing."""


def forward_text(message: Message, limit: int) -> str | None:
    """What Rasa gets for a stored message: what the channel chose (a button's
    payload; None for a photo), else the cleaned text."""
    meta = message.meta or {}
    if "forward" in meta:
        return meta["forward"] or None
    return prepare(tr.original_text(message), limit).forward


class Relay:
    def __init__(self, store: tr.Store, assistant: AssistantClient, now: Callable[[], datetime], *,
                 notice_seconds: float, lease_seconds: float, retry_seconds: float, text_limit: int):
        self.store, self.assistant, self.now = store, assistant, now
        self.channels: dict[str, Channel] = {}
        self.notice_seconds, self.lease_seconds = notice_seconds, lease_seconds
        self.retry_seconds, self.text_limit = retry_seconds, text_limit
        self.owner = uuid.uuid4().hex  # this process, in the leases of waiting messages
        self._intake: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._answered: dict[int, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def channel_of(self, conv_id: str) -> Channel:
        return self.channels[ConversationId.parse(conv_id).channel]

    def in_order(self, conv_id: str) -> asyncio.Lock:
        """Held while a message of the conversation is stored, so the transcript
        keeps the order things happened in the chat (a channel that stores a reply
        after sending it holds it from send to store)."""
        return _lock(self._intake, conv_id)

    # ------------------------------------------------------------ in

    async def take(self, channel: str, sender_id: str, text: str, *, external_id: str | None = None,
                   meta: dict | None = None) -> tr.Taken | None:
        """Store a citizen's message; None if this delivery was stored before."""
        conv_id = str(ConversationId(channel, sender_id))
        meta = dict(meta or {})
        now = self.now()
        probe = Message(conversation_id=conv_id, direction="in", text=text, at=now, meta=meta)
        lease = (self.owner, self._lease_end(now)) if forward_text(probe, self.text_limit) is not None else None
        # Stored in arrival order, so the assistant hears them in that order.
        async with self.in_order(conv_id):
            taken = await self.store.run(tr.take_inbound, channel, sender_id, text, now,
                                         external_id=external_id, meta=meta, lease=lease)
        if taken is None and external_id is not None:
            self.spawn(self._sent_again(conv_id, external_id))
        return taken

    async def _sent_again(self, conv_id: str, external_id: str) -> None:
        """A message stored before came again: the process that took it may have died
        with it (another process takes it over once its lease lapses). If it is
        still unanswered after the notice time, the citizen hears that it is saved."""
        await asyncio.sleep(self.notice_seconds)
        message_id = await self.store.run(tr.waiting_message_id, conv_id, external_id)
        if message_id is not None:
            await self._tell_saved(conv_id, message_id)

    def _lease_end(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.lease_seconds)

    async def answer(self, taken: tr.Taken) -> None:
        """Answer a stored message; returns once answered or once the citizen was told it is saved."""
        message = taken.message
        conv_id = message.conversation_id
        channel = self.channel_of(conv_id)
        if "forward" not in (message.meta or {}):
            note = prepare(tr.original_text(message), self.text_limit).note
            if note:
                await channel.deliver(conv_id, [Reply(note)], meta={"source": "gateway"})
        if forward_text(message, self.text_limit) is None:
            return
        done = asyncio.get_running_loop().create_future()
        self._answered[message.id] = done
        # Next in line (the usual case): already leased to this process when stored.
        self.spawn(self.drain(conv_id, [message] if taken.next_in_line else None))
        try:
            await asyncio.wait_for(asyncio.shield(done), self.notice_seconds)
        except asyncio.TimeoutError:
            # Still waiting for Rasa: the turn goes on in the background.
            await self._tell_saved(conv_id, message.id)
        finally:
            self._answered.pop(message.id, None)

    # ------------------------------------------------------------ to Rasa and back

    async def drain(self, conv_id: str, leased: list[Message] | None = None) -> bool:
        """Forward this conversation's waiting messages, oldest first. False if Rasa failed.
        `leased`: messages already leased to this process, to forward first."""
        async with _lock(self._turns, conv_id), self._holding(conv_id):
            while True:
                waiting, leased = leased, None
                if not waiting:
                    now = self.now()
                    waiting = await self.store.run(tr.claim_pending, conv_id, self.owner, now, self._lease_end(now))
                if not waiting:
                    return True
                for i, message in enumerate(waiting):
                    try:
                        await self._turn(conv_id, message)
                    except AssistantDown as e:
                        log.warning("assistant did not answer %s: %s", conv_id, e)
                        await self._failed(conv_id, waiting[i:], str(e))
                        return False
                    self._settle(message.id)

    @contextlib.asynccontextmanager
    async def _holding(self, conv_id: str):
        """Renew this process's leases on the conversation's messages while it
        forwards them (a Rasa turn may take longer than a lease)."""
        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                now = self.now()
                try:
                    await self.store.run(tr.renew_leases, conv_id, self.owner, self._lease_end(now))
                except Exception as e:  # the store is away for a moment: try again at the next beat
                    log.warning("could not renew the leases of %s: %s", conv_id, e)

        renewing = asyncio.ensure_future(renew())
        try:
            yield
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)

    async def _turn(self, conv_id: str, message: Message) -> None:
        channel = self.channel_of(conv_id)
        channel_name = channel.name
        text = forward_text(message, self.text_limit)
        await channel.typing(conv_id, True)
        try:
            replies = await self.assistant.turn(conv_id, text, channel_name,
                                                {"channel": channel_name, "message_id": str(message.id)})
            if not replies:
                # Rasa heard it but said nothing (an action failed under it): never
                # leave a citizen in silence; a person follows the conversation up.
                await self._tell_saved(conv_id, message.id)
            await channel.deliver(conv_id, replies, answered=message.id)
        finally:
            await channel.typing(conv_id, False)

    async def _failed(self, conv_id: str, messages: list[Message], error: str) -> None:
        await self.store.run(tr.release, [m.id for m in messages], error)
        await self.store.run(tr.flag, conv_id, texts.HANDOFF_REASON)
        for m in messages:
            await self._tell_saved(conv_id, m.id)
            self._settle(m.id)

    async def _tell_saved(self, conv_id: str, message_id: int) -> None:
        """Once per message: it is saved, and an operator will see the conversation."""
        if not await self.store.run(tr.mark_notified, message_id):
            return  # answered meanwhile, or told before
        await self.store.run(tr.flag, conv_id, texts.HANDOFF_REASON)
        await self.channel_of(conv_id).deliver(
            conv_id, [Reply(texts.SAVED_NOTICE)], meta={"source": "gateway", "notice": "saved"})

    def _settle(self, message_id: int) -> None:
        done = self._answered.get(message_id)
        if done is not None and not done.done():
            done.set_result(None)

    # ------------------------------------------------------------ background

    def spawn(self, coro: Awaitable) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("chat task failed", exc_info=task.exception())

    async def retry_once(self) -> int:
        """Forward what is waiting, if the assistant answers again. Returns conversations drained."""
        waiting = await self.store.run(tr.waiting_conversations, self.now())
        if not waiting or not await self.assistant.available():
            return 0
        drained = 0
        for conv_id in waiting:
            chat = ConversationId.of(conv_id)
            if chat and chat.channel in self.channels and await self.drain(conv_id):
                drained += 1
        return drained

    async def settle(self) -> None:
        """Wait until every message taken so far is answered or waiting for a retry."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let turns in flight finish for a moment (whatever is cut off stays
        waiting in the store and is retried), then stop them."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.notice_seconds)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _lock(locks: weakref.WeakValueDictionary, key: str) -> asyncio.Lock:
    lock = locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        locks[key] = lock
    return lock
