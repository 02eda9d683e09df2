"""The outbox: what the citizen is told is queued with the event, sent once, retried on failure."""
from decimal import Decimal

from sqlalchemy import select

from intake_store import tickets as T
from intake_store.db import session_scope
from intake_store.models import Notification
from intake_store.outbox import PermanentDeliveryError, Sender, notify
from intake_store.schemas import TicketIn

SERVICE = T.Viewer("service", "assistant")
LEAD = T.Viewer("department", "gxj", "industry")


def replied_ticket(bo, channel="telegram"):
    with session_scope(bo.engine) as s:
        t, _ = T.create_ticket(bo, s, TicketIn(
            idempotency_key="outbox-0001", channel=channel, sender_id="4242", conversation_id=f"{channel}:4242",
            description="区政府欠我们货款", category="arrears", category_confidence=0.95, amount_yuan=Decimal(1000),
        ), SERVICE)
        number = t.number
    with session_scope(bo.engine) as s:
        T.act(bo, s, number, "accept", LEAD)
        T.act(bo, s, number, "verify", LEAD, payload={"result": "属实", "findings": "确有拖欠"})
        T.act(bo, s, number, "reply", LEAD, payload={"text": "已协调区财政12月底前付清。"})
    return number


def pending(bo):
    with session_scope(bo.engine) as s:
        return s.execute(select(Notification).order_by(Notification.id)).scalars().all()


async def test_a_reply_reaches_the_citizen_on_their_channel_once(backoffice):
    number = replied_ticket(backoffice)
    rows = pending(backoffice)
    assert len(rows) == 1
    assert rows[0].channel == "telegram" and rows[0].recipient == "4242"
    assert "已协调区财政12月底前付清" in rows[0].body and "满意" in rows[0].body
    delivered = []

    async def deliver(n):
        delivered.append(n.body)

    sender = Sender(backoffice.engine, backoffice.now, {"telegram": deliver})
    assert await sender.run_once() == 1
    assert await sender.run_once() == 0
    assert len(delivered) == 1 and number in delivered[0]
    assert pending(backoffice)[0].state == "sent"


async def test_failed_delivery_is_retried_with_backoff(backoffice, clock):
    replied_ticket(backoffice)
    calls = []

    async def flaky(n):
        calls.append(clock())
        if len(calls) == 1:
            raise ConnectionError("telegram down")

    sender = Sender(backoffice.engine, backoffice.now, {"telegram": flaky})
    assert await sender.run_once() == 0
    row = pending(backoffice)[0]
    assert row.state == "pending" and row.attempts == 1 and "telegram down" in row.last_error
    assert await sender.run_once() == 0  # not due yet
    clock.advance(seconds=31)
    assert await sender.run_once() == 1
    assert len(calls) == 2


async def test_permanent_failure_stops_retrying(backoffice):
    replied_ticket(backoffice)

    async def gone(n):
        raise PermanentDeliveryError("chat not found")

    await Sender(backoffice.engine, backoffice.now, {"telegram": gone}).run_once()
    assert pending(backoffice)[0].state == "failed"


def test_the_same_key_is_queued_once(backoffice, clock):
    with session_scope(backoffice.engine) as s:
        first = notify(s, key="k1", kind="x", recipient_kind="citizen", recipient="1", body="a", now=clock(), channel="web")
        second = notify(s, key="k1", kind="x", recipient_kind="citizen", recipient="1", body="a", now=clock(), channel="web")
    assert (first, second) == (True, False)
    assert len(pending(backoffice)) == 1
