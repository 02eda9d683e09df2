"""Two app processes on one PostgreSQL database, both sweeping and sending at
once, one of them restarted half-way: every reminder, card and closing happens
once, every message is queued once and delivered once."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from jobs_support import HRSS, SERVICE, complaint, until
from sqlalchemy import func, select

from intake_store.app import DEADLINE_CHECKS, EVENT_LISTENERS
from intake_store.catalog import default_catalog
from intake_store.db import make_engine, migrate, session_scope
from intake_store.jobs.models import JobRun, TicketAlarm
from intake_store.models import Notification, TicketEvent
from intake_store.tickets.backoffice import Backoffice
from intake_store.tickets.commands import act, create_ticket
from intake_store.tickets.seeding import load_defaults
from intake_store.workcalendar import default_calendar

ROOT = Path(__file__).resolve().parents[2]
NEVER_SIGNED = 30  # each owes a yellow and a red card on 签收 and on 答复: 4 portal messages
NEVER_RATED = 30  # each was replied (1 citizen message) and is closed as 未评价 (1 more)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    def __init__(self, name, env, logs: Path):
        self.name, self.port = name, free_port()
        self.log = logs / f"{name}.log"
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("app_process.py")), str(self.port)],
                                     cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def alive(self):
        assert self.proc.poll() is None, f"{self.name} exited:\n{self.log.read_text()[-3000:]}"

    async def stop(self) -> int:
        """Graceful (SIGTERM): the sweep and the sender finish what they hold. Waited for
        off the event loop, which serves the counting server the sender is talking to."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.proc.wait, 120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def database(pg_database):
    migrate(pg_database)
    return pg_database


@pytest.fixture
async def counter():
    """Where the processes' deliverers report each delivery (a real HTTP server)."""
    deliveries = []

    async def delivered(request):
        deliveries.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/delivered", delivered)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.deliveries = deliveries
    yield server
    await server.close()


def file_overdue_tickets(url):
    """Tickets from three weeks ago (the processes run on the real time)."""
    engine = make_engine(url)
    catalog = default_catalog()
    then = datetime.now(timezone.utc) - timedelta(days=21)
    bo = Backoffice(engine, catalog, default_calendar(), "two-processes", lambda: then, EVENT_LISTENERS, DEADLINE_CHECKS)
    with session_scope(engine) as s:
        load_defaults(s, catalog)
        for i in range(NEVER_SIGNED):
            create_ticket(bo, s, complaint(f"never-signed-{i:03d}", channel="web", sender_id=f"s{i}"), SERVICE)
        for i in range(NEVER_RATED):
            number = create_ticket(bo, s, complaint(f"never-rated-{i:03d}", channel="web", sender_id=f"r{i}"),
                                     SERVICE)[0].number
            act(bo, s, number, "accept", HRSS)
            act(bo, s, number, "verify", HRSS, payload={"result": "substantiated", "findings": "属实"})
            act(bo, s, number, "reply", HRSS, payload={"text": "已责令施工单位结清工资。"})
    return engine


def count(engine, stmt):
    with session_scope(engine) as s:
        return s.execute(stmt).scalar_one()


async def test_two_app_processes_on_one_database_do_everything_exactly_once(database, counter, tmp_path):
    engine = file_overdue_tickets(database)
    env = {**os.environ, "DATABASE_URL": database, "HOTLINE_SECRET": "two-processes",
           "COUNTER_URL": str(counter.make_url("/delivered")),
           # Sweep and send often, a few tickets per claim, so the two processes contend.
           "JOBS_INTERVAL_SECONDS": "0.3", "JOBS_BATCH_SIZE": "4", "OUTBOX_POLL_SECONDS": "0.2"}
    supervise = select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "supervise")
    a = AppProcess("a", env, tmp_path)
    b = AppProcess("b", env, tmp_path)
    running = [a, b]

    def all_alive():
        for p in running:
            p.alive()

    try:
        # Both at work (each has swept: on a busy machine one may start late); then restart one half-way through.
        sweepers = select(func.count(func.distinct(JobRun.process)))
        await until(lambda: count(engine, supervise) >= 8 and count(engine, sweepers) >= 2, "the first cards",
                    alive=all_alive)
        assert await a.stop() == 0, a.log.read_text()[-3000:]
        running.remove(a)
        a2 = AppProcess("a-restarted", env, tmp_path)
        running.append(a2)

        def drained():
            now = datetime.now(timezone.utc)
            due = count(engine, select(func.count()).select_from(TicketAlarm).where(TicketAlarm.ring_at <= now))
            unsent = count(engine, select(func.count()).select_from(Notification).where(Notification.state != "sent"))
            return due == 0 and unsent == 0 and now

        settled_at = await until(drained, "every due ticket handled and every message sent", alive=all_alive)

        def both_looked_again():
            with session_scope(engine) as s:
                return len(set(s.execute(select(JobRun.process).where(JobRun.started_at > settled_at)).scalars())) >= 2
        await until(both_looked_again, "a further sweep by each running process", alive=all_alive)
    finally:
        codes = [await p.stop() for p in running if p.proc.poll() is None]
    assert codes == [0, 0], "\n".join(p.log.read_text()[-3000:] for p in running)

    with session_scope(engine) as s:
        events = s.execute(select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.payload)
                           .where(TicketEvent.action.in_(["supervise", "close"]))).all()
        notes = s.execute(select(Notification.key, Notification.state, Notification.channel)).all()
        runs = s.execute(select(JobRun.process, func.sum(JobRun.tickets)).group_by(JobRun.process)).all()
    engine.dispose()

    cards = [(t, p["card"], p["clock"]) for t, action, p in events if action == "supervise"]
    assert len(cards) == len(set(cards)) == NEVER_SIGNED * 4
    closes = [t for t, action, _ in events if action == "close"]
    assert len(closes) == len(set(closes)) == NEVER_RATED
    assert len(notes) == NEVER_SIGNED * 4 + NEVER_RATED * 2 and {state for _, state, _ in notes} == {"sent"}
    delivered = [d["key"] for d in counter.deliveries]
    assert sorted(delivered) == sorted(key for key, _, _ in notes)  # each delivered once, none missing
    assert len(runs) == 3  # a, b and the restarted a all swept
