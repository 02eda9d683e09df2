"""Two replicas (`hotline run --replicas 2`: two app services, two Rasa servers,
two action servers on one PostgreSQL and one Redis): citizens whose messages
go to the two app services in turn (as a load balancer may send them) finish
the complaint form, every message answered and none taken twice, each
complaint is one ticket, and both app services show the same query code.
Without a shared secret, several replicas are refused."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, func, select
from supervised import ROOT, HotlineRun, WebCitizen

from intake_store.models import PendingMessage, Ticket

pytestmark = [pytest.mark.rasa, pytest.mark.postgres]
CITIZENS = 3
REDIS = ("127.0.0.1", 6379)


def redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=3) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_several_replicas_without_a_shared_secret_are_refused(tmp_path, pg_database):
    env = {**os.environ, "DATABASE_URL": pg_database, "REDIS_URL": "redis://127.0.0.1:6379/0",
           "HOTLINE_VAR_DIR": str(tmp_path)}
    env.pop("HOTLINE_SECRET", None)
    out = subprocess.run([sys.executable, "-m", "intake_store.cli", "run", "--replicas", "2", "--model", "none"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "必须设置同一个 HOTLINE_SECRET" in out.stderr and "Traceback" not in out.stderr
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'h.db'}"
    out = subprocess.run([sys.executable, "-m", "intake_store.cli", "run", "--replicas", "2", "--model", "none"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "共用一个 PostgreSQL" in out.stderr


async def test_turns_alternating_between_replicas_finish_every_form_once(tmp_path, model, pg_database):
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (start it with `redis-server --daemonize yes`)")
    system = HotlineRun.start(tmp_path, model, replicas=2, DATABASE_URL=pg_database,
                              REDIS_URL=f"redis://127.0.0.1:6379/{uuid.uuid4().int % 16}")
    try:
        async def one(i: int) -> tuple[str, list[list[dict]]]:
            # Citizen i starts on replica i % 2; every message goes to the other replica than the last.
            urls = system.urls if i % 2 == 0 else system.urls[::-1]
            async with WebCitizen(urls, name=f"r{i}") as citizen:
                number = await citizen.finish(await citizen.start_complaint())
                # Every message got the assistant's answer (a "saved" notice first when a
                # busy machine made it late), and the form took no answer twice.
                assert len(citizen.questions) == citizen.sent, citizen.questions
                assert len(set(citizen.questions)) == len(citizen.questions), citizen.questions
                return number, [await citizen.tickets(url) for url in system.urls]

        results = await asyncio.gather(*(one(i) for i in range(CITIZENS)))
    finally:
        system.stop()
    numbers = [number for number, _ in results]
    assert len(set(numbers)) == CITIZENS
    for number, seen in results:
        assert seen[0] == seen[1] and [t["number"] for t in seen[0]] == [number]  # same query code on both
    engine = create_engine(pg_database)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(Ticket)).scalar_one() == CITIZENS
        assert c.execute(select(func.count()).select_from(PendingMessage)).scalar_one() == 0
    engine.dispose()
