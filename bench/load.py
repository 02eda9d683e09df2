"""Load on two replicas: 50 concurrent citizens for 60 s through the gateway on
PostgreSQL (`hotline run --replicas 2`, Redis locks), against the same load
sent straight to the two Rasa servers' REST channel in the same run.

Each citizen starts one conversation after another until the time is up (a
conversation in progress is finished), the conversations alternating between
the two replicas. Reported: conversations and turns, p50/p99 turn latency
(message sent to the assistant's answer, or the "saved" notice) for both
paths, errors, notices, messages stored in and out, duplicates. Figures only.

Run: `.venv/bin/python -m bench load [--citizens 50] [--seconds 60]`
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

from bench.backoffice import fresh_pg, pct
from bench.gateway import SCRIPT, direct_conversation, gateway_conversation, stored_counts
from intake_store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
for folder in ("tests", "tests/gateway", "tests/faults"):
    sys.path.insert(0, str(ROOT / folder))
from e2e_servers import trained_model  # noqa: E402
from supervised import HotlineRun  # noqa: E402


def drop_tracker_database(url: str) -> None:
    """Rasa's trackers were kept in a database of their own beside the app's."""
    name = url.rsplit("/", 1)[1] + "_rasa"
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def for_a_while(citizens: int, seconds: float, conversation) -> tuple[list[float], int, list[str]]:
    """`citizens` loops of conversation(i) until `seconds` have passed; latencies, conversations, errors."""
    deadline = time.monotonic() + seconds
    took: list[float] = []
    errors: list[str] = []
    done = 0

    async def citizen(c: int) -> None:
        nonlocal done
        k = 0
        while time.monotonic() < deadline:
            try:
                took.extend(await asyncio.wait_for(conversation(c + k), timeout=600))
                done += 1
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                errors.append(f"{type(e).__name__}: {e}")
            k += citizens

    await asyncio.gather(*(citizen(c) for c in range(citizens)))
    return took, done, errors


def line(name: str, took: list[float], done: int, errors: list[str]) -> str:
    if not took:
        return f"{name:<24} no turns; errors: {len(errors)} {errors[:3]}"
    return (f"{name:<24} {done:>13} {len(took):>6} {statistics.median(took) * 1000:>8.0f}ms "
            f"{pct(took, 99) * 1000:>8.0f}ms {len(errors):>6}")


async def bench(citizens: int, seconds: float) -> None:
    url, drop = fresh_pg()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    print("two replicas on PostgreSQL and Redis; training/loading the model ...", flush=True)
    model = await asyncio.to_thread(trained_model)
    system = await asyncio.to_thread(HotlineRun.start, work, model, 2, DATABASE_URL=url,
                                     REDIS_URL="redis://127.0.0.1:6379/4", RASA_TIMEOUT_SECONDS="4")
    rasa_urls = [f"http://127.0.0.1:{system.rasa_port + i}" for i in range(2)]
    engine = make_engine(url)
    counts = {"sent": 0, "answered": 0, "received": 0, "notices": 0}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await direct_conversation(http, rasa_urls[0], SCRIPT[:2])  # warm up both paths
            await gateway_conversation(system.urls[1], SCRIPT[:2], dict(counts))
            before = stored_counts(engine)
            direct = await for_a_while(citizens, seconds,
                                       lambda i: direct_conversation(http, rasa_urls[i % 2], SCRIPT))
        through = await for_a_while(citizens, seconds,
                                    lambda i: gateway_conversation(system.urls[i % 2], SCRIPT, counts))
        after = stored_counts(engine)
    finally:
        engine.dispose()
        await asyncio.to_thread(system.stop)
        drop()
        drop_tracker_database(url)
    print(f"{citizens} concurrent citizens for {seconds:.0f} s on each path, {len(SCRIPT)} turns per conversation")
    print(f"{'path':<24} {'conversations':>13} {'turns':>6} {'p50':>10} {'p99':>10} {'errors':>6}")
    print(line("Rasa directly (2)", *direct))
    print(line("gateway, 2 replicas", *through))
    print(f"gateway: sent {counts['sent']}, stored in {after['in'] - before['in']}, answered {counts['answered']}, "
          f"notices {counts['notices']}, stored out {after['out'] - before['out']}, still pending {after['pending']}, "
          f"duplicates {after['duplicates']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(bench(args.citizens, args.seconds))


if __name__ == "__main__":
    main()
