"""What the deadline-job tests share: filing and working a ticket, sweeping at a
given moment, delivering the outbox, and reading what people see."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.jobs import deliver_to_portal, portal_inbox
from intake_store.jobs.runner import sweep
from intake_store.models import Notification
from intake_store.outbox import Sender
from intake_store.schemas import TicketIn
from intake_store.tickets import commands, numbering
from intake_store.tickets.viewer import Viewer
from intake_store.workcalendar import BEIJING

SERVICE_TOKEN = "jobs-service-token"
SERVICE = Viewer("service", "assistant")
OPERATOR = Viewer("operator", "话务员甲")
HRSS = Viewer("department", "人社局经办人", "hrss")


def bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def just_after(*args) -> datetime:
    """The start of a day, the first instant after the previous day's 24:00 deadline."""
    return bj(*args) + timedelta(seconds=1)


def complaint(key: str, channel: str = "telegram", sender_id: str | None = "4242") -> TicketIn:
    return TicketIn(
        idempotency_key=key, channel=channel, sender_id=sender_id,
        conversation_id=f"{channel}:{sender_id}" if sender_id else None,
        description="芝罘区一个政府投资的道路项目，施工方拖欠我们三十多个农民工工资，去年底说好结清，到现在没给。",
        category="wage_arrears", category_confidence=0.95, respondent="某建筑公司", place="芝罘区",
        amount_yuan=Decimal("420000"), contact_name="张师傅", contact_phone="13905351111",
    )


class Desk:
    """One test's view of the hotline: the back office, its clock and the HTTP API."""

    def __init__(self, bo, clock, client, tokens):
        self.bo, self.clock, self.client, self.tokens = bo, clock, client, tokens

    # ------------------------------------------------------------ doing

    async def db(self, fn):
        def work():
            with session_scope(self.bo.engine) as s:
                return fn(s)
        return await asyncio.to_thread(work)

    async def file(self, key="jobs-0001", **kw) -> tuple[str, str]:
        def work(s):
            t, _ = commands.create_ticket(self.bo, s, complaint(key, **kw), SERVICE)
            return t.number, numbering.query_code(self.bo.secret, t.query_nonce)
        return await self.db(work)

    async def act(self, number, action, viewer=HRSS, *, reason=None, **payload):
        await self.db(lambda s: commands.act(self.bo, s, number, action, viewer, reason=reason, payload=payload))

    async def work_to_reply(self, number, text="已督促施工单位12月底前结清全部工资。"):
        await self.act(number, "accept")
        await self.act(number, "verify", result="属实", findings="确有拖欠")
        await self.act(number, "reply", text=text)

    async def sweep_at(self, when: datetime, bo=None):
        """Move the clock and run one sweep, in a worker thread as the scheduler does."""
        self.clock.set(when)
        return await asyncio.to_thread(sweep, bo or self.bo, batch_size=3)

    async def deliver(self) -> int:
        """One outbox pass for the portal (what the app's sender does every few seconds)."""
        return await Sender(self.bo.engine, self.bo.now, {"portal": deliver_to_portal}).run_once()

    # ------------------------------------------------------------ seeing

    async def inbox(self, department: str) -> list[str]:
        await self.deliver()
        return await self.db(lambda s: [n.body for n in reversed(portal_inbox(s, department))])

    async def to_citizen(self) -> list[Notification]:
        return await self.db(lambda s: list(s.execute(
            select(Notification).where(Notification.recipient_kind == "citizen").order_by(Notification.id)).scalars()))

    def auth(self, who):
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def events(self, number, who="hrss") -> list[dict]:
        r = await self.client.get(f"/api/tickets/{number}/events", headers=self.auth(who))
        assert r.status == 200, await r.text()
        return (await r.json())["events"]

    async def cards(self, number) -> list[tuple[str, str]]:
        return [(e["payload"]["card"], e["payload"]["clock"]) for e in await self.events(number)
                if e["action"] == "supervise"]

    async def status(self, number, code) -> dict:
        r = await self.client.post("/api/status", json={"number": number, "query_code": code})
        assert r.status == 200, await r.text()
        return await r.json()


# A guard against a hung run only (a broken feature fails here instead of
# hanging CI); no test measures how fast anything is.
HANG_GUARD_SECONDS = 300


async def until(probe, what: str, *, alive=lambda: None):
    """Poll `probe` (run in a worker thread) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + HANG_GUARD_SECONDS
    while True:
        found = await asyncio.to_thread(probe)
        if found:
            return found
        alive()
        assert loop.time() < give_up, f"gave up waiting for {what}"
        await asyncio.sleep(0.05)
