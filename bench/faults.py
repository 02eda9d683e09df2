"""Fault figures: what a crash does to the conversations in flight.

`hotline run --replicas 2` (two app services, two Rasa servers, two action
servers) on a PostgreSQL of its own (a private cluster on a free loopback port,
so a restart touches nothing else) and Redis; for each fault, N citizens file
a complaint at once, their messages going to the two app services in turn, and
half-way through the forms one part is killed (kill -9) or PostgreSQL is
restarted (immediate shutdown, as a crash). A citizen whose request fails sends
the same message again to the other app service, as a page behind a load
balancer would.

Reported per fault: messages sent / stored / answered, tickets expected /
created / duplicated, forms resumed (in progress at the fault and finished
without a question answered before being asked again), notices, the
longest time a citizen waited before hearing something, and the longest wait
for the assistant's answer itself. Figures only.

Run: `.venv/bin/python -m bench faults [--conversations 20] [--faults rasa,actions,app,postgres]`
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
for folder in ("tests", "tests/gateway", "tests/faults"):
    sys.path.insert(0, str(ROOT / folder))
from e2e_servers import free_port, trained_model  # noqa: E402
from supervised import HotlineRun, WebCitizen  # noqa: E402

from intake_store.models import Message, Ticket  # noqa: E402

FAULTS = {"rasa": "kill -9 Rasa server 1", "actions": "kill -9 action server 1", "app": "kill -9 app service 1",
          "postgres": "PostgreSQL restart (immediate)"}
SCENARIO_SECONDS = 1200  # a bound on one fault's conversations, not a target


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL's programs are not under /usr/lib/postgresql/*/bin.")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-faults-pg-"))
        self.port = free_port()

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/hotline"

    def start(self) -> "PrivatePostgres":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")
        self._ctl("start")
        admin = create_engine(self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE hotline"))
        admin.dispose()
        return self

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-o", opts,
                  "-w", action, *extra)

    def restart(self) -> None:
        self._ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        try:
            self._ctl("stop", "-m", "fast")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Figures:
    fault: str
    sent: int
    stored: int
    answered: int
    expected: int
    created: int
    duplicated: int
    in_progress: int
    resumed: int
    notices: int
    longest_wait: float
    longest_answer: float
    seconds: float

    def row(self) -> str:
        return (f"{FAULTS[self.fault]:<32} {self.sent:>5} {self.stored:>6} {self.answered:>8} | {self.expected:>3} "
                f"{self.created:>7} {self.duplicated:>4} | {self.resumed:>3}/{self.in_progress:<3} {self.notices:>7} "
                f"{self.longest_wait:>8.1f} s {self.longest_answer:>8.1f} s {self.seconds:>6.0f} s")


HEADER = (f"{'fault':<32} {'sent':>5} {'stored':>6} {'answered':>8} | {'exp':>3} {'created':>7} {'dup':>4} | "
          f"{'resumed':>7} {'notices':>7} {'max wait':>10} {'max answer':>10} {'took':>8}")


async def scenario(system: HotlineRun, fault: str, n: int, inject) -> Figures:
    """n citizens file a complaint; `inject()` runs once half of them are in the middle of the form."""
    started = time.monotonic()
    citizens = [WebCitizen(system.urls if i % 2 == 0 else system.urls[::-1], name=f"{fault}{i}") for i in range(n)]
    mid_form = asyncio.Event()
    in_form: set[int] = set()
    at_fault: dict[int, list[str]] = {}
    done: dict[int, str] = {}

    async def one(i: int) -> None:
        citizen = citizens[i]
        async with citizen:
            answer = await citizen.start_complaint()
            answer = await citizen.step(answer)
            in_form.add(i)
            if len(in_form) >= n // 2:
                mid_form.set()
            await mid_form.wait()
            done[i] = await citizen.finish(answer)

    async def fault_when_due() -> None:
        await mid_form.wait()
        at_fault.update({i: list(citizens[i].questions[1:]) for i in in_form if i not in done})
        await asyncio.to_thread(inject)

    results = await asyncio.wait_for(
        asyncio.gather(*(one(i) for i in range(n)), fault_when_due(), return_exceptions=True), SCENARIO_SECONDS)
    for r in results:
        if isinstance(r, BaseException):
            print(f"  {fault}: a citizen did not finish: {type(r).__name__}: {r}", file=sys.stderr)
    resumed = sum(1 for i, before in at_fault.items()
                  if i in done and not set(citizens[i].questions[len(before) + 1:]) & set(before))

    engine = create_engine(system.env["DATABASE_URL"])
    try:
        with engine.connect() as c:
            rows = c.execute(select(Message.conversation_id, Message.meta).where(Message.direction == "in")).all()
            ours = [(conv, meta) for conv, meta in rows if str((meta or {}).get("client_id", "")).startswith(fault)]
            conversations = {conv for conv, _ in ours}
            tickets = c.execute(select(Ticket.conversation_id, func.count()).where(
                Ticket.conversation_id.in_(conversations)).group_by(Ticket.conversation_id)).all() if conversations else []
    finally:
        engine.dispose()
    created = sum(count for _, count in tickets)
    return Figures(
        fault=fault, sent=sum(c.sent for c in citizens), stored=len(ours),
        answered=sum(len(c.questions) for c in citizens), expected=n, created=created,
        duplicated=created - len(tickets), in_progress=len(at_fault), resumed=resumed,
        notices=sum(c.notices for c in citizens), longest_wait=max((w for c in citizens for w in c.waits), default=0.0),
        longest_answer=max((w for c in citizens for w in c.answer_waits), default=0.0),
        seconds=time.monotonic() - started)


def run(conversations: int, faults: list[str], *, out=sys.stdout) -> list[Figures]:
    model = trained_model()
    pg = PrivatePostgres().start()
    work = Path(tempfile.mkdtemp(prefix="hotline-faults-"))
    figures: list[Figures] = []
    system = None
    try:
        system = HotlineRun.start(work, model, replicas=2, DATABASE_URL=pg.url, REDIS_URL="redis://127.0.0.1:6379/3")
        injections = {"rasa": lambda: system.kill("rasa-1"), "actions": lambda: system.kill("actions-1"),
                      "app": lambda: system.kill("app-1"), "postgres": pg.restart}
        print(f"{conversations} concurrent conversations per fault, two replicas, PostgreSQL, Redis", file=out)
        print(HEADER, file=out, flush=True)
        for fault in faults:
            result = asyncio.run(scenario(system, fault, conversations, injections[fault]))
            figures.append(result)
            print(result.row(), file=out, flush=True)
            system.wait_ready()  # the killed part is back before the next fault
    finally:
        if system is not None:
            system.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise SystemExit(f"unknown faults: {', '.join(sorted(unknown))}; known: {', '.join(FAULTS)}")
    run(args.conversations, faults)


if __name__ == "__main__":
    main()
