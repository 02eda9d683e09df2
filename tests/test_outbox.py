"""The outbox: what the citizen is told is queued with the event, sent once, retried on failure."""
import asyncio
from decimal import Decimal

from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.models import Notification
from intake_store.outbox import LEASE, PermanentDeliveryError, Sender, lease, notify, outcome, record
from intake_store.schemas import TicketIn
from intake_store.tickets.commands import act, create_ticket
from intake_store.tickets.viewer import Viewer

SERVICE = Viewer("service", "assistant")
LEAD = Viewer("department", "gxj", "industry")


def replied_ticket(bo, channel="telegram"):
    with session_scope(bo.engine) as s:
        t, _ = create_ticket(bo, s, TicketIn(
            idempotency_key="outbox-0001", channel=channel, sender_id="4242", conversation_id=f"{channel}:4242",
            description="区政府欠我们货款", category="arrears", category_confidence=0.95, amount_yuan=Decimal(1000),
        ), SERVICE)
        number = t.number
    with session_scope(bo.engine) as s:
        act(bo, s, number, "accept", LEAD)
        act(bo, s, number, "verify", LEAD, payload={"result": "属实", "findings": "确有拖欠"})
        act(bo, s, number, "reply", LEAD, payload={"text": "已协调区财政12月底前付清。"})
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


async def test_while_a_message_is_on_its_way_the_back_office_keeps_writing(backoffice):
    """Delivery runs with no transaction open: on SQLite (one writer at a time) a
    slow Telegram would otherwise stop every other write until it answered."""
    replied_ticket(backoffice)
    written = []

    async def slow_telegram(n):
        def write():
            with session_scope(backoffice.engine) as s:
                return notify(s, key="written-meanwhile", kind="test", recipient_kind="department", recipient="gxj",
                              body="写入不受发送影响", now=backoffice.now(), channel="portal")
        written.append(await asyncio.to_thread(write))

    assert await Sender(backoffice.engine, backoffice.now, {"telegram": slow_telegram}).run_once() == 1
    assert written == [True]
    reply, meanwhile = pending(backoffice)
    assert reply.state == "sent" and (meanwhile.key, meanwhile.state) == ("written-meanwhile", "pending")


async def test_a_sender_that_dies_while_delivering_leaves_the_message_to_be_sent_after_its_lease(backoffice, clock):
    replied_ticket(backoffice)
    delivered = []

    async def deliver(n):
        delivered.append(n.id)

    with session_scope(backoffice.engine) as s:  # a sender claims the row, then its process dies
        taken = lease(s, backoffice.now(), ["telegram"], 50, LEASE)
    assert len(taken) == 1
    other = Sender(backoffice.engine, backoffice.now, {"telegram": deliver})
    assert await other.run_once() == 0  # leased: nobody else sends it meanwhile
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await other.run_once() == 1
    row = pending(backoffice)[0]
    assert delivered == [row.id] and row.state == "sent" and row.attempts == 2


async def test_a_late_result_after_the_lease_was_taken_over_is_not_written(backoffice, clock):
    replied_ticket(backoffice)
    with session_scope(backoffice.engine) as s:
        late = lease(s, backoffice.now(), ["telegram"], 50, LEASE)[0]
    clock.advance(seconds=LEASE.total_seconds() + 1)
    with session_scope(backoffice.engine) as s:
        lease(s, backoffice.now(), ["telegram"], 50, LEASE)  # another sender takes it over
    with session_scope(backoffice.engine) as s:
        assert record(s, late, outcome(late, ConnectionError("timeout"), backoffice.now())) is False
    row = pending(backoffice)[0]
    assert row.state == "pending" and row.attempts == 2 and row.last_error is None
