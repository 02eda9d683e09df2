"""Back office benchmarks: ticket creation throughput, status lookup latency
(SQLite and PostgreSQL), and the due/overdue query over 1,000,000 tickets.

Figures are printed with a baseline measured in the same run; nothing passes
or fails on time.  Run: `.venv/bin/python -m bench.backoffice [--tickets N] [--big N]`
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import create_engine, text

from intake_store.app import build_backoffice, create_app
from intake_store.settings import Settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOKEN = "bench-token"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fresh_pg() -> tuple[str, callable]:
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url, drop


def complaint(i: int) -> dict:
    return {
        "idempotency_key": f"bench-{i:08d}-{uuid.uuid4().hex[:6]}",
        "channel": "web",
        "description": f"芝罘区某街道欠我们公司工程款{i % 90 + 10}万元，2024年验收后一直拖着不付，多次催要无果。",
        "category": ["arrears", "wage_arrears", "procurement", "township_service"][i % 4],
        "category_confidence": 0.9,
        "respondent": "向阳街道办",
        "place": "芝罘区",
        "amount_yuan": (i % 90 + 10) * 10000,
        "contact_phone": "13800000000",
    }


async def http_figures(db_url: str, n: int, concurrency: int = 8) -> dict:
    settings = Settings(database_url=db_url, hotline_service_token=TOKEN, hotline_secret="bench")
    bo = build_backoffice(settings)
    server = TestServer(create_app(settings, backoffice=bo))
    await server.start_server()
    base = str(server.make_url(""))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    created: list[dict] = []
    async with ClientSession() as http:
        # Baseline: the cheapest round trip the same server can make.
        health = []
        for _ in range(200):
            t0 = time.perf_counter()
            async with http.get(base + "/api/health") as r:
                await r.read()
            health.append(time.perf_counter() - t0)

        queue = list(range(n))

        async def creator():
            while queue:
                i = queue.pop()
                async with http.post(base + "/api/tickets", json=complaint(i), headers=headers) as r:
                    assert r.status == 201, await r.text()
                    created.append(await r.json())

        t0 = time.perf_counter()
        await asyncio.gather(*(creator() for _ in range(concurrency)))
        create_s = time.perf_counter() - t0

        lookups = []
        for t in created[: min(len(created), 500)]:
            t0 = time.perf_counter()
            async with http.post(base + "/api/status", json={"number": t["number"], "query_code": t["query_code"]}) as r:
                assert r.status == 200
                await r.read()
            lookups.append(time.perf_counter() - t0)
    await server.close()
    bo.engine.dispose()
    return {
        "created": len(created),
        "create_per_s": len(created) / create_s,
        "status_p50_ms": pct(lookups, 50) * 1000,
        "status_p99_ms": pct(lookups, 99) * 1000,
        "health_p50_ms": pct(health, 50) * 1000,
        "health_p99_ms": pct(health, 99) * 1000,
    }


BIG_INSERT = """
INSERT INTO ticket (number, query_nonce, created_at, channel, category_code, description, urgent, anonymous,
                    consent_disclose, field_sources, routing_notes, state, lead_code, co_codes, next_due_at,
                    next_due_clock, updated_at)
SELECT 'B' || lpad(g::text, 9, '0'), md5(g::text), now() - (g % 400) * interval '1 day', 'web',
       (ARRAY['arrears','wage_arrears','procurement','ppp','other'])[1 + g % 5], '批量生成的工单', g % 50 = 0, false,
       false, '{}', '[]',
       CASE WHEN g % 10 < 7 THEN 'closed' ELSE (ARRAY['dispatched','accepted','verified','replied'])[1 + g % 4] END,
       'industry', '[]',
       CASE WHEN g % 10 < 7 THEN NULL ELSE now() + ((g % 2000) - 60) * interval '1 hour' END,
       CASE WHEN g % 10 < 7 THEN NULL ELSE 'reply' END,
       now()
FROM generate_series(1, :n) g
"""
DUE_QUERY = ("SELECT id, number, next_due_at, next_due_clock FROM ticket "
             "WHERE next_due_at IS NOT NULL AND next_due_at < :before ORDER BY next_due_at LIMIT 1000")


def due_query_figures(n: int) -> None:
    url, drop = fresh_pg()
    try:
        build_backoffice(Settings(database_url=url, hotline_secret="bench")).engine.dispose()
        eng = create_engine(url)
        t0 = time.perf_counter()
        with eng.begin() as c:
            c.execute(text(BIG_INSERT), {"n": n})
            c.execute(text("ANALYZE ticket"))
        print(f"  generated {n:,} tickets in {time.perf_counter() - t0:.1f} s (30% open)")
        before = datetime.now(timezone.utc) + timedelta(hours=24)

        def timed(runs: int = 5) -> float:
            times = []
            with eng.connect() as c:
                for _ in range(runs):
                    t0 = time.perf_counter()
                    rows = c.execute(text(DUE_QUERY), {"before": before}).fetchall()
                    times.append(time.perf_counter() - t0)
            assert rows
            return statistics.median(times)

        indexed = timed()
        with eng.connect() as c:
            plan = c.execute(text("EXPLAIN ANALYZE " + DUE_QUERY), {"before": before}).scalars().all()
        with eng.begin() as c:
            c.execute(text("DROP INDEX ix_ticket_open_due"))
        unindexed = timed(3)
        with eng.begin() as c:
            c.execute(text("CREATE INDEX ix_ticket_open_due ON ticket (next_due_at, state)"))
        print(f"  due/overdue query (1,000 most urgent of {n:,}): {indexed * 1000:.1f} ms with index; "
              f"baseline without index {unindexed * 1000:.1f} ms; ratio {unindexed / indexed:.0f}x")
        print("  plan:")
        for line in plan:
            print("    " + line)
        eng.dispose()
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000, help="tickets created per database")
    parser.add_argument("--big", type=int, default=1_000_000, help="tickets for the due-query benchmark")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        for name, url_drop in (("SQLite", (f"sqlite:///{tmp}/bench.db", lambda: None)), ("PostgreSQL", fresh_pg())):
            url, drop = url_drop
            try:
                f = asyncio.run(http_figures(url, args.tickets))
            finally:
                drop()
            print(f"{name}: created {f['created']} tickets over HTTP, {f['create_per_s']:.0f} tickets/s (8 concurrent clients)")
            print(f"  status lookup p50 {f['status_p50_ms']:.1f} ms, p99 {f['status_p99_ms']:.1f} ms; "
                  f"baseline /api/health p50 {f['health_p50_ms']:.1f} ms, p99 {f['health_p99_ms']:.1f} ms; "
                  f"ratio p50 {f['status_p50_ms'] / f['health_p50_ms']:.1f}x")
    print("PostgreSQL due query:")
    due_query_figures(args.big)


if __name__ == "__main__":
    main()
