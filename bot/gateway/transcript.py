"""The transcript: every message in and out, kept in the store.

Functions take a Session (one unit of work each, like intake_store.tickets);
`Store.run` runs one off the event loop. A citizen's message is written here
before Rasa sees it, together with a `PendingMessage` row that is deleted
only when the answer is stored.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, TypeVar

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake_store.db import session_scope
from intake_store.models import Conversation, Message, PendingMessage, Ticket
from vocabulary.conversation import ConversationId

from .rasa_client import Button, Reply

T = TypeVar("T")


@dataclass
class Store:
    engine: Engine

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """One unit of work of its own, committed."""
        def work() -> T:
            with session_scope(self.engine) as session:
                return fn(session, *args, **kwargs)

        return await asyncio.to_thread(work)

    def within(self, session: Session) -> "InSession":
        """Work inside a caller's open transaction (the outbox sender's, so the
        message and the notification's "sent" are committed together)."""
        return InSession(session)


@dataclass
class InSession:
    session: Session

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        def work() -> T:
            result = fn(self.session, *args, **kwargs)
            self.session.flush()
            return result

        return await asyncio.to_thread(work)


# ---------------------------------------------------------------- writing

def touch_conversation(session: Session, channel: str, sender_id: str, now: datetime) -> Conversation:
    conv_id = str(ConversationId(channel, sender_id))
    conv = session.get(Conversation, conv_id)
    if conv is None:
        try:
            with session.begin_nested():
                conv = Conversation(id=conv_id, channel=channel, sender_id=sender_id, started_at=now, last_message_at=now)
                session.add(conv)
        except IntegrityError:  # created by another process in the meantime
            conv = session.get(Conversation, conv_id)
    conv.last_message_at = now
    session.add(conv)
    return conv


def storable(text: str, meta: dict) -> tuple[str, dict]:
    """PostgreSQL text cannot hold NUL: such a text is kept exactly in the
    message's JSON meta, and its NULs shown as ␀ in the text column."""
    if "\x00" not in text:
        return text, meta
    return text.replace("\x00", "\u2400"), {**meta, "verbatim": text}


def original_text(message: Message) -> str:
    """What the citizen typed, exactly."""
    return (message.meta or {}).get("verbatim", message.text)


def _insert_message(session: Session, message: Message) -> Message | None:
    """Insert, or None when this external id is already stored for the conversation."""
    message.text, message.meta = storable(message.text, message.meta or {})
    if message.external_id is not None:
        seen = session.execute(
            select(Message.id).where(Message.conversation_id == message.conversation_id,
                                     Message.external_id == message.external_id)
        ).first()
        if seen:
            return None
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


@dataclass(frozen=True)
class Taken:
    message: Message
    next_in_line: bool  # waiting for the assistant, and nothing of this conversation before it


def take_inbound(
    session: Session, channel: str, sender_id: str, text: str, now: datetime, *,
    external_id: str | None = None, meta: dict | None = None, lease: tuple[str, datetime] | None = None,
) -> Taken | None:
    """Store a citizen's message (None if this delivery was stored before).
    `lease` (owner, until): the assistant has to answer it, and this process
    will forward it; it is leased to it at once when it is next in line."""
    conv = touch_conversation(session, channel, sender_id, now)
    message = _insert_message(session, Message(
        conversation_id=conv.id, direction="in", text=text, at=now, external_id=external_id, meta=meta or {},
    ))
    if message is None:
        return None
    if lease is None:
        return Taken(message, False)
    earlier = session.execute(
        select(PendingMessage.message_id).where(PendingMessage.conversation_id == conv.id).limit(1)
    ).first()
    owner, until = (lease if earlier is None else (None, None))
    session.add(PendingMessage(message_id=message.id, conversation_id=conv.id, queued_at=now,
                               lease_owner=owner, lease_until=until))
    return Taken(message, earlier is None)


def record_outbound(
    session: Session, conv_id: str, replies: Iterable[Reply], now: datetime, *,
    answered: int | None = None, external_ids: Iterable[str | None] | None = None, meta: dict | None = None,
) -> list[Message]:
    """Store what was said to the citizen; `answered`: the message this answers is done.
    Messages already stored under the same external id are skipped."""
    stored = []
    ids = list(external_ids) if external_ids is not None else None
    conv = session.get(Conversation, conv_id)
    for i, reply in enumerate(replies):
        m = _insert_message(session, Message(
            conversation_id=conv_id, direction="out", text=reply.text, at=now,
            external_id=ids[i] if ids else None, meta={**reply.meta(), **(meta or {})},
        ))
        if m is not None:
            stored.append(m)
    if answered is not None:
        session.execute(delete(PendingMessage).where(PendingMessage.message_id == answered))
    if conv is not None and stored:
        conv.last_message_at = now
        session.add(conv)
    return stored


def claim_pending(session: Session, conv_id: str, owner: str, now: datetime, until: datetime) -> list[Message]:
    """Lease this conversation's unleased waiting messages (oldest first) to
    `owner`, up to the first one still leased. A leased message is being
    forwarded by whoever holds the lease, who then claims what follows it, so
    the assistant hears a conversation in order even when two turns race (a
    holder renews its leases while it works, so a dead process's lapse soon)."""
    free = or_(PendingMessage.lease_until.is_(None), PendingMessage.lease_until < now)
    claimed = []
    for message_id, lease_until in session.execute(
        select(PendingMessage.message_id, PendingMessage.lease_until)
        .where(PendingMessage.conversation_id == conv_id).order_by(PendingMessage.message_id)
    ).all():
        if lease_until is not None and lease_until >= now:
            break
        claimed.append(message_id)
    if not claimed:
        return []
    session.execute(
        update(PendingMessage).where(PendingMessage.message_id.in_(claimed), free)
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return list(session.execute(
        select(Message).join(PendingMessage, PendingMessage.message_id == Message.id)
        .where(Message.id.in_(claimed), PendingMessage.lease_owner == owner, PendingMessage.lease_until == until)
        .order_by(Message.id)
    ).scalars())


def renew_leases(session: Session, conv_id: str, owner: str, until: datetime) -> int:
    """The holder is still at work on these messages: its leases last until `until`."""
    return session.execute(
        update(PendingMessage).where(PendingMessage.conversation_id == conv_id, PendingMessage.lease_owner == owner)
        .values(lease_until=until).execution_options(synchronize_session=False)
    ).rowcount


def release(session: Session, message_ids: list[int], error: str) -> None:
    """The assistant did not answer: leave these for the retry loop."""
    if not message_ids:
        return
    session.execute(
        update(PendingMessage).where(PendingMessage.message_id.in_(message_ids))
        .values(lease_owner=None, lease_until=None, attempts=PendingMessage.attempts + 1, last_error=error[:500])
        .execution_options(synchronize_session=False)
    )


def waiting_message_id(session: Session, conv_id: str, external_id: str) -> int | None:
    """The id of this delivery's message if it still waits for the assistant."""
    return session.execute(
        select(Message.id).join(PendingMessage, PendingMessage.message_id == Message.id)
        .where(Message.conversation_id == conv_id, Message.external_id == external_id)
    ).scalar()


def mark_notified(session: Session, message_id: int) -> bool:
    """True the first time only: the citizen hears "saved" once per message."""
    result = session.execute(
        update(PendingMessage).where(PendingMessage.message_id == message_id, PendingMessage.notified.is_(False))
        .values(notified=True).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def flag(session: Session, conv_id: str, reason: str) -> None:
    """Put the conversation in the operators' queue; a reason already given stays."""
    conv = session.get(Conversation, conv_id)
    if conv is not None and not conv.needs_operator:
        conv.needs_operator, conv.handoff_reason = True, reason
        session.add(conv)


def waiting_conversations(session: Session, now: datetime, limit: int = 100) -> list[str]:
    """Conversations with messages nobody is forwarding now (the retry loop's work)."""
    rows = session.execute(
        select(PendingMessage.conversation_id, func.min(PendingMessage.message_id).label("first"))
        .where(or_(PendingMessage.lease_until.is_(None), PendingMessage.lease_until < now))
        .group_by(PendingMessage.conversation_id).order_by("first").limit(limit)
    ).all()
    return [r[0] for r in rows]


# ---------------------------------------------------------------- reading

def history(session: Session, conv_id: str, after: int = 0, limit: int = 500) -> list[Message]:
    """The latest `limit` messages after id `after`, oldest first."""
    rows = session.execute(
        select(Message).where(Message.conversation_id == conv_id, Message.id > after)
        .order_by(Message.id.desc()).limit(limit)
    ).scalars().all()
    return list(reversed(rows))


def tickets_of(session: Session, conv_id: str) -> list[Ticket]:
    return list(session.execute(
        select(Ticket).where(Ticket.conversation_id == conv_id).order_by(Ticket.id)
    ).scalars())


def button_of(session: Session, conv_id: str, index: int, *, message_id: int | None = None,
              external_id: str | None = None) -> Button | None:
    """The button a citizen pressed, looked up in the message that offered it."""
    stmt = select(Message).where(Message.conversation_id == conv_id, Message.direction == "out")
    if message_id is not None:
        stmt = stmt.where(Message.id == message_id)
    elif external_id is not None:
        stmt = stmt.where(Message.external_id == external_id)
    else:
        return None
    message = session.execute(stmt).scalars().first()
    buttons = (message.meta or {}).get("buttons") or [] if message else []
    if not 0 <= index < len(buttons):
        return None
    return Button(buttons[index]["title"], buttons[index]["payload"])
