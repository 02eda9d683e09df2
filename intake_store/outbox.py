"""The outbox: messages to citizens, departments and supervisors.

The back office writes a `Notification` row in the same transaction as the
event that causes it (`notify`); a `Sender` claims due rows and hands each to
the deliverer registered for its channel (the chat gateway registers "web",
"telegram" and "wechat"; departments and supervisors read theirs in the portal). A row's
unique key (ticket, kind, due time) means nothing is queued twice; claims use
row locks (FOR UPDATE SKIP LOCKED on PostgreSQL) so two app processes never
send the same row; a failed delivery is retried with back-off.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from .db import session_scope
from .models import Notification

log = logging.getLogger("hotline.outbox")

Deliver = Callable[[Notification], Awaitable[None]]
MAX_ATTEMPTS = 8


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
    """Delivers due notifications through the registered channel deliverers."""

    engine: Engine | None  # set when the app starts
    now: Callable[[], datetime]
    channels: dict[str, Deliver] = field(default_factory=dict)

    def register(self, channel: str, deliver: Deliver) -> None:
        self.channels[channel] = deliver

    async def run_once(self, limit: int = 50) -> int:
        """One pass: claim, deliver, record the outcome. Returns how many were sent.

        The claim's transaction stays open while delivering, so the row lock
        holds until the outcome is written: a crash leaves the row pending.
        """
        if not self.channels or self.engine is None:
            return 0
        sent = 0

        def claim(session: Session) -> list[Notification]:
            rows = claim_due(session, self.now(), list(self.channels), limit)
            if not rows:
                # Nothing due: let go of the database now rather than across the
                # awaits below (on SQLite every transaction holds the write lock).
                session.commit()
            return rows

        with session_scope(self.engine) as session:
            rows = await asyncio.to_thread(claim, session)
            for row in rows:
                try:
                    await self.channels[row.channel](row)
                except PermanentDeliveryError as e:
                    row.state, row.last_error = "failed", str(e)[:500]
                except DeliveryDeferred as e:
                    row.attempts += 1
                    row.next_attempt_at, row.last_error = e.until, str(e)[:500]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.state = "failed"
                except Exception as e:  # noqa: BLE001 - any channel failure is retried later
                    row.attempts += 1
                    row.last_error = f"{type(e).__name__}: {e}"[:500]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.state = "failed"
                        log.error("notification %s failed for good: %s", row.key, row.last_error)
                    else:
                        row.next_attempt_at = self.now() + backoff(row.attempts)
                        log.warning("notification %s failed (attempt %d), retrying: %s", row.key, row.attempts, row.last_error)
                else:
                    row.state, row.sent_at = "sent", self.now()
                    row.attempts += 1
                    sent += 1
                session.add(row)
            await asyncio.to_thread(session.flush)
        return sent

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - a bad pass must not stop the sender
                log.exception("outbox pass failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
            except asyncio.TimeoutError:
                pass
