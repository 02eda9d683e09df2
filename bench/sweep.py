"""The deadline sweep over 1,000,000 open tickets on PostgreSQL.

One sweep finds the tickets whose alarm has rung, claims them (FOR UPDATE SKIP
LOCKED, in batches) and carries out what is due. Printed, with baselines
measured in the same run:

- find and claim everything due (the claims alone, rolled back), against the
  same claims with the alarm index dropped, and a bare round trip;
- a full sweep (claim, decide, card, message, next alarm): time, tickets per
  second, the share spent finding and claiming, and the memory it takes;
- an idle sweep (nothing due: the usual case, once a minute per process);
- what a sweep without alarms would have to do: look again at every ticket
  whose next due time falls within the reminder lookahead.

Nothing passes or fails on time. Run: `.venv/bin/python -m bench.sweep [--open N] [--due N]`
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from bench.backoffice import fresh_pg
from intake_store.app import build_backoffice
from intake_store.db import session_scope
from intake_store.jobs import runner
from intake_store.jobs.rules import cards_given, decide
from intake_store.settings import Settings
from intake_store.tickets.history import events_of, life_and_clocks
from intake_store.tickets.lookup import get_ticket
from intake_store.workcalendar import BEIJING

# A Thursday morning. Due tickets were dispatched on Tuesday: 签收 (1 working day)
# ran out on Wednesday at 24:00, so each gets a yellow card now.
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=BEIJING)
DUE_DISPATCHED = datetime(2026, 11, 17, 10, 0, tzinfo=BEIJING)
RECENT_DISPATCHED = datetime(2026, 11, 19, 9, 0, tzinfo=BEIJING)
# Without alarms a sweep must look again at every ticket due within this window,
# because a reminder comes one working day before (up to 9 days over 春节).
LOOKAHEAD = timedelta(days=10)


def utc(dt: datetime) -> datetime:
    # The store keeps naive UTC (see models.UTCDateTime); raw SQL must do the same.
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


GENERATE = [
    """
    INSERT INTO ticket (id, number, query_nonce, created_at, channel, category_code, description, urgent, anonymous,
                        consent_disclose, field_sources, routing_notes, state, lead_code, co_codes, next_due_at,
                        next_due_clock, updated_at)
    SELECT g, '20261117-' || lpad(g::text, 7, '0'), md5(g::text),
           CASE WHEN g % :every = 0 THEN :due_dispatched ELSE :recent END, 'web', 'wage_arrears',
           '政府投资项目拖欠农民工工资（批量生成）', false, false, false, '{}', '[]', 'dispatched', 'hrss', '["housing"]',
           CASE WHEN g % :every = 0 THEN :due_at ELSE :recent_due END, 'accept', :recent
    FROM generate_series(1, :n) g
    """,
    "SELECT setval(pg_get_serial_sequence('ticket', 'id'), :n)",
    """
    INSERT INTO ticket_event (ticket_id, seq, at, actor, role, action, reason, payload)
    SELECT g, s.seq, CASE WHEN g % :every = 0 THEN :due_dispatched ELSE :recent END, s.actor, s.role, s.action,
           s.reason, s.payload::json
    FROM generate_series(1, :n) g,
         (VALUES (1, 'assistant', 'service', 'submit', NULL, '{"category": "wage_arrears", "urgent": false}'),
                 (2, 'system', 'system', 'dispatch', '分类置信度达标，自动派单', '{"lead": "hrss", "co": ["housing"]}'))
         AS s(seq, actor, role, action, reason, payload)
    """,
    """
    INSERT INTO assignment (ticket_id, department_code, role)
    SELECT g, d.code, d.role FROM generate_series(1, :n) g, (VALUES ('hrss', 'lead'), ('housing', 'co')) AS d(code, role)
    """,
    # Alarms: the due ones rang at midnight; the others ring over the coming week.
    """
    INSERT INTO ticket_alarm (ticket_id, ring_at, failures)
    SELECT g, CASE WHEN g % :every = 0 THEN :rang ELSE :now_utc + (1 + g % 10080) * interval '1 minute' END, 0
    FROM generate_series(1, :n) g
    """,
    "ANALYZE",
]


def generate(url: str, n: int, due: int) -> None:
    params = {
        "n": n, "every": max(1, n // due), "due_dispatched": utc(DUE_DISPATCHED), "recent": utc(RECENT_DISPATCHED),
        "due_at": utc(datetime(2026, 11, 18, 23, 59, 59, tzinfo=BEIJING)),
        "recent_due": utc(datetime(2026, 11, 20, 23, 59, 59, tzinfo=BEIJING)),
        "rang": utc(datetime(2026, 11, 19, 0, 0, tzinfo=BEIJING)), "now_utc": utc(NOW),
    }
    eng = create_engine(url)
    with eng.begin() as c:
        for sql in GENERATE:
            c.execute(text(sql), params)
    eng.dispose()


def rss_mb() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """The highest resident memory seen while the block runs (sampled every 10 ms)."""

    def __enter__(self):
        self.before = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def claim_all(bo, batch: int) -> tuple[float, list[float], int]:
    """Find and claim every due ticket, batch by batch (as a sweep does), then let go."""
    times, total = [], 0
    with session_scope(bo.engine) as s:
        while True:
            t0 = time.perf_counter()
            rows = runner.claim(s, NOW, batch)
            times.append(time.perf_counter() - t0)
            # The sweep moves each claimed alarm on; here, skip what was claimed already.
            ids = [tid for tid, _ in rows]
            if ids:
                s.execute(text("UPDATE ticket_alarm SET ring_at = ring_at + interval '100 years' "
                               "WHERE ticket_id = ANY(:ids)"), {"ids": ids})
            total += len(rows)
            if len(rows) < batch:
                break
        s.rollback()
    return sum(times), times, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000, help="open tickets")
    parser.add_argument("--due", type=int, default=1_000, help="of which due now")
    parser.add_argument("--batch", type=int, default=100, help="tickets per claim (jobs_batch_size)")
    args = parser.parse_args()

    url, drop = fresh_pg()
    try:
        bo = build_backoffice(Settings(database_url=url, hotline_secret="bench"))
        bo.now = lambda: NOW
        t0 = time.perf_counter()
        generate(url, args.open, args.due)
        print(f"Deadline sweep on PostgreSQL: {args.open:,} open tickets, {args.due:,} due now "
              f"(generated in {time.perf_counter() - t0:.0f} s)")

        with bo.engine.connect() as c:
            trips = []
            for _ in range(200):
                t0 = time.perf_counter()
                c.execute(text("SELECT 1")).all()
                trips.append(time.perf_counter() - t0)
        trip = statistics.median(trips)

        claim_s, batches, found = claim_all(bo, args.batch)
        with bo.engine.begin() as c:
            c.execute(text("DROP INDEX ix_ticket_alarm_ring_at"))
        noindex_s, noindex_batches, _ = claim_all(bo, args.batch)
        with bo.engine.begin() as c:
            c.execute(text("CREATE INDEX ix_ticket_alarm_ring_at ON ticket_alarm (ring_at)"))
            c.execute(text("ANALYZE ticket_alarm"))
        print(f"  find and claim all {found:,} due tickets ({len(batches)} claims of {args.batch}): "
              f"{claim_s * 1000:.1f} ms, {statistics.median(batches) * 1000:.2f} ms per claim")
        print(f"    baseline: without the alarm index {noindex_s * 1000:.0f} ms "
              f"({noindex_s / claim_s:.0f}x); a bare round trip {trip * 1000:.2f} ms "
              f"(a claim costs {statistics.median(batches) / trip:.1f} round trips)")

        # The full sweep, timing its claims from the inside.
        claims: list[float] = []
        real_claim = runner.claim

        def timed_claim(*a, **kw):
            t0 = time.perf_counter()
            try:
                return real_claim(*a, **kw)
            finally:
                claims.append(time.perf_counter() - t0)

        runner.claim = timed_claim
        with PeakMemory() as memory:
            report = runner.sweep(bo, batch_size=args.batch)
        print(f"  full sweep: {report.tickets:,} tickets, {dict(report.actions)}, {len(report.errors)} errors, "
              f"{report.duration_ms / 1000:.1f} s ({report.tickets / (report.duration_ms / 1000):.0f} tickets/s, "
              f"{report.duration_ms / max(1, report.tickets):.1f} ms each)")
        print(f"    of which finding and claiming {sum(claims) * 1000:.0f} ms; "
              f"peak memory {memory.peak:.0f} MB, {memory.peak - memory.before:.1f} MB above the "
              f"{memory.before:.0f} MB before the sweep")
        claims.clear()
        idle = runner.sweep(bo, batch_size=args.batch)
        runner.claim = real_claim
        print(f"  idle sweep (nothing due, the usual minute): {idle.duration_ms:.1f} ms")

        # Without alarms: every ticket due within the lookahead is replayed and decided again each sweep.
        with bo.engine.connect() as c:
            t0 = time.perf_counter()
            window = c.execute(text("SELECT count(*) FROM ticket WHERE next_due_at < :before"),
                               {"before": utc(NOW + LOOKAHEAD)}).scalar_one()
            window_s = time.perf_counter() - t0
        sample = 300
        with session_scope(bo.engine) as s:
            numbers = s.execute(text("SELECT number FROM ticket ORDER BY id LIMIT :k"), {"k": sample}).scalars().all()
            t0 = time.perf_counter()
            for number in numbers:
                events = events_of(s, get_ticket(s, number))
                life, clocks = life_and_clocks(bo, events, NOW)
                decide(life, clocks, NOW, bo.calendar, cards_given(events))
            per = (time.perf_counter() - t0) / sample
        print(f"  baseline without alarms: {window:,} tickets fall due within {LOOKAHEAD.days} days and would be "
              f"read and decided again every sweep: {window_s * 1000:.0f} ms to count them, "
              f"~{window * per:.0f} s to decide them at the measured {per * 1000:.2f} ms per ticket")
        bo.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
