"""The outbox: messages to citizens, departments and supervisors.

The back office writes a `Notification` row in the same transaction as the
event that causes it (`notify`); a `Sender` claims due rows and hands each to
the deliverer registered for its channel (the chat gateway registers "web",
"telegram" and "wechat"; departments and supervisors read theirs in the portal). A row's
unique key (ticket, kind, due time) means nothing is queued twice; claims use
row locks (FOR UPDATE SKIP LOCKED on PostgreSQL) and a lease, so two app
processes never send the same row and no transaction stays open while a
message is on its way; a failed delivery is retried with back-off.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable, TypeVar

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from .db import session_scope
from .models import Notification

log = logging.getLogger("hotline.outbox")

Deliver = Callable[[Notification], Awaitable[None]]
MAX_ATTEMPTS = 8
# How long a claimed row is left to its sender before another may take it: longer than any delivery takes.
LEASE = timedelta(minutes=2)
T = TypeVar("T")


class PermanentDeliveryError(Exception):
    """The message can never be delivered (e.g. the chat no longer exists): stop retrying."""


class DeliveryDeferred(Exception):
    """The channel may not write to this citizen now, but will once they write
    again (WeChat: 48 hours after their last message): the row waits until
    `until`, or until the channel calls `bring_forward` for the recipient."""

    def __init__(self, reason: str, until: datetime):
        super().__init__(reason)
        self.until = until


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 1 hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def notify(
    session: Session,
    *,
    key: str,
    kind: str,
    recipient_kind: str,
    recipient: str,
    body: str,
    now: datetime,
    channel: str | None = None,
    ticket_id: int | None = None,
) -> bool:
    """Queue one message; False if a message with this key was queued before."""
    if session.execute(select(Notification.id).where(Notification.key == key)).first():
        return False
    try:
        with session.begin_nested():
            session.add(Notification(
                key=key, ticket_id=ticket_id, kind=kind, recipient_kind=recipient_kind, recipient=recipient,
                channel=channel, body=body, created_at=now, next_attempt_at=now,
            ))
    except IntegrityError:  # queued by another process in the meantime
        return False
    return True


def claim_due(session: Session, now: datetime, channels: list[str], limit: int = 50) -> list[Notification]:
    """Lock up to `limit` pending rows due now for the given channels; other
    processes skip the locked rows instead of waiting for them."""
    stmt = (
        select(Notification)
        .where(Notification.state == "pending", Notification.next_attempt_at <= now, Notification.channel.in_(channels))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(stmt).scalars().all())


def lease(session: Session, now: datetime, channels: list[str], limit: int, lease_for: timedelta) -> list[Notification]:
    """Claim due rows for one delivery attempt each: the attempt is counted and the
    row is not due again until the lease ends, so no other process takes it
    meanwhile, and a process that dies while delivering leaves it to be sent later."""
    rows = claim_due(session, now, channels, limit)
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + lease_for
    return rows


def outcome(row: Notification, error: Exception | None, now: datetime) -> dict:
    """What a delivery attempt changes on its row."""
    if error is None:
        return {"state": "sent", "sent_at": now}
    if isinstance(error, PermanentDeliveryError):
        return {"state": "failed", "last_error": str(error)[:500]}
    deferred = isinstance(error, DeliveryDeferred)
    last_error = str(error)[:500] if deferred else f"{type(error).__name__}: {error}"[:500]
    if row.attempts >= MAX_ATTEMPTS:
        return {"state": "failed", "last_error": last_error}
    return {"next_attempt_at": error.until if deferred else now + backoff(row.attempts), "last_error": last_error}


def record(session: Session, row: Notification, changes: dict) -> bool:
    """Write an attempt's result unless another process took the row over after our
    lease ended (its claim counted another attempt): its result is the one that counts."""
    done = session.execute(
        update(Notification)
        .where(Notification.id == row.id, Notification.state == "pending", Notification.attempts == row.attempts)
        .values(**changes)
    )
    return done.rowcount == 1


def bring_forward(session: Session, channel: str, recipients: list[str], now: datetime) -> int:
    """Make this recipient's waiting messages due now (they wrote again)."""
    rows = session.execute(
        select(Notification).where(Notification.state == "pending", Notification.channel == channel,
                                   Notification.recipient.in_(recipients), Notification.next_attempt_at > now)
    ).scalars().all()
    for row in rows:
        row.next_attempt_at = now
        session.add(row)
    return len(rows)


@dataclass
class Sender:
    """Delivers due notifications through the registered channel deliverers.

    Each pass claims rows in one short transaction, delivers them with no
    transaction open (a slow Telegram never holds SQLite's write lock or a
    PostgreSQL row lock), then records each result in its own short transaction.
    """

    engine: Engine | None  # set when the app starts
    now: Callable[[], datetime]
    channels: dict[str, Deliver] = field(default_factory=dict)
    lease_for: timedelta = LEASE

    def register(self, channel: str, deliver: Deliver) -> None:
        self.channels[channel] = deliver

    def _in_session(self, fn: Callable[[Session], T]) -> T:
        with session_scope(self.engine) as session:
            return fn(session)

    async def run_once(self, limit: int = 50) -> int:
        """One pass: claim, deliver, record the outcome. Returns how many were sent."""
        if not self.channels or self.engine is None:
            return 0
        rows = await asyncio.to_thread(self._in_session,
                                       lambda s: lease(s, self.now(), list(self.channels), limit, self.lease_for))
        sent = 0
        for row in rows:
            error: Exception | None = None
            try:
                await self.channels[row.channel](row)
            except Exception as e:  # noqa: BLE001 - any channel failure is recorded and retried later
                error = e
            changes = outcome(row, error, self.now())
            if not await asyncio.to_thread(self._in_session, lambda s, row=row, changes=changes: record(s, row, changes)):
                log.warning("notification %s was taken over by another sender after its lease", row.key)
                continue
            if error is None:
                sent += 1
            elif changes.get("state") == "failed":
                log.error("notification %s failed for good: %s", row.key, changes["last_error"])
            else:
                log.warning("notification %s failed (attempt %d), retrying: %s", row.key, row.attempts,
                            changes["last_error"])
        return sent
