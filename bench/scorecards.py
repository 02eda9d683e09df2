"""Scorecards for 200 bodies over 1,000,000 tickets on PostgreSQL.

Generates the tickets and their scorecard rows (`ticket_fact`) and dishonesty
records with SQL, then times `scorecards.scorecards` (the one GROUP BY plus the
score formula), the early warning and the dashboard's figures. The baseline,
measured in the same run on the same rows, is the cheapest aggregation there
is: a bare `count(*) GROUP BY lead_code` over the period. Figures only; nothing
passes or fails on time.

Run: `.venv/bin/python -m bench.scorecards [--tickets N] [--bodies N] [--runs N]`
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import create_engine, text
from sqlmodel import Session

from bench.backoffice import fresh_pg
from intake_store.app import build_backoffice
from intake_store.catalog import Department, default_catalog
from intake_store.integrity import rules, scorecards
from intake_store.settings import Settings

CATEGORIES = ["arrears", "wage_arrears", "investment_promise", "procurement", "ppp", "approval", "disclosure", "other"]

BODIES = """
INSERT INTO department (code, name, short, level, aliases, active)
SELECT 'body_' || lpad(b::text, 3, '0'), '测试单位' || b, '单位' || b, '市', '[]', true
FROM generate_series(0, :bodies - 1) b
"""
TICKETS = """
INSERT INTO ticket (number, query_nonce, created_at, channel, category_code, description, urgent, anonymous,
                    consent_disclose, field_sources, routing_notes, state, lead_code, co_codes, updated_at)
SELECT 'S' || lpad(g::text, 9, '0'), md5(g::text),
       :now - (g % 400) * interval '1 day' - (g % 24) * interval '1 hour', 'web',
       (CAST(:categories AS text[]))[1 + g % 8], '批量生成的工单', false, false, false, '{}', '[]',
       CASE WHEN g % 10 < 8 THEN 'closed' ELSE (ARRAY['dispatched','accepted','verified','replied'])[1 + g % 4] END,
       'body_' || lpad(((g / 400) % :bodies)::text, 3, '0'), '[]', :now
FROM generate_series(1, :n) g
"""
# 签收 late for one ticket in five; 答复 within 0-8 days of a 7-day limit; 60% name a
# respondent, of which half are found substantiated; half of the closed ones rated.
FACTS = """
INSERT INTO ticket_fact (ticket_id, created_at, category_code, state, lead_code, respondent_code, accept_due_at,
                         accept_done_at, reply_due_at, reply_done_at, lead_due_at, verify_result, verified_at,
                         satisfaction, reopen_count)
SELECT t.id, t.created_at, t.category_code, t.state, t.lead_code,
       CASE WHEN t.id % 5 < 3 THEN 'body_' || lpad(((t.id * 7) % :bodies)::text, 3, '0') END,
       t.created_at + interval '1 day',
       CASE WHEN t.state <> 'dispatched' THEN t.created_at + (t.id % 30) * interval '1 hour' END,
       t.created_at + interval '7 days',
       CASE WHEN t.state IN ('closed', 'replied') THEN t.created_at + (t.id % 9) * interval '1 day' END,
       CASE WHEN t.state NOT IN ('closed', 'replied') THEN t.created_at + interval '7 days' END,
       CASE WHEN t.id % 5 < 3 THEN (ARRAY['substantiated','partly_substantiated','unsubstantiated','unsubstantiated'])[1 + t.id % 4] END,
       CASE WHEN t.id % 5 < 3 THEN t.created_at + interval '3 days' END,
       CASE WHEN t.state = 'closed' AND t.id % 2 = 0 THEN (ARRAY['very_satisfied','satisfied','satisfied','neutral','unsatisfied'])[1 + t.id % 5] END,
       CASE WHEN t.id % 20 = 0 THEN 1 ELSE 0 END
FROM ticket t
"""
RECORDS = """
INSERT INTO integrity_record (ticket_id, ticket_number, category_code, recorded_at, body_code, body_name, severity,
                              status, counts_until, repaired_at, updated_at)
SELECT f.ticket_id, t.number, f.category_code, f.verified_at, f.respondent_code, f.respondent_code,
       (ARRAY['minor','general','serious'])[1 + f.ticket_id % 3],
       CASE WHEN f.ticket_id % 7 = 0 THEN 'repaired' ELSE 'active' END,
       f.verified_at + interval '12 months',
       CASE WHEN f.ticket_id % 7 = 0 THEN f.verified_at + interval '30 days' END, :now
FROM ticket_fact f JOIN ticket t ON t.id = f.ticket_id
WHERE f.verify_result = 'substantiated' AND f.ticket_id % 10 = 0
"""
BASELINE = "SELECT lead_code, count(*) FROM ticket_fact WHERE created_at >= :start AND created_at < :end GROUP BY lead_code"


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    fn()  # warm the cache: every figure is for a warm database
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--bodies", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url, drop = fresh_pg()
    try:
        build_backoffice(Settings(database_url=url, hotline_secret="bench")).engine.dispose()
        engine = create_engine(url)
        now = datetime.now(timezone.utc)
        naive_now = now.replace(tzinfo=None)  # the store keeps UTC without a zone
        t0 = time.perf_counter()
        with engine.begin() as c:
            c.execute(text(BODIES), {"bodies": args.bodies})
            c.execute(text(TICKETS), {"n": args.tickets, "now": naive_now, "categories": CATEGORIES,
                                      "bodies": args.bodies})
            c.execute(text(FACTS), {"bodies": args.bodies})
            c.execute(text(RECORDS), {"now": naive_now})
            records = c.execute(text("SELECT count(*) FROM integrity_record")).scalar_one()
        with engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        print(f"PostgreSQL: generated {args.tickets:,} tickets with scorecard rows, {args.bodies} bodies and "
              f"{records:,} dishonesty records in {time.perf_counter() - t0:.1f} s")

        base = default_catalog()
        extra = {f"body_{b:03d}": Department(f"body_{b:03d}", f"测试单位{b}", f"单位{b}", "市") for b in range(args.bodies)}
        catalog = replace(base, departments={**base.departments, **extra})
        config = rules.default_config()

        with Session(engine) as s:
            for label, days in (("last 365 days", 365), ("last 90 days", 90)):
                start, end = now - timedelta(days=days), now
                rows = s.execute(text(BASELINE), {"start": start.replace(tzinfo=None), "end": naive_now}).all()
                scanned = sum(n for _, n in rows)
                base_ms, _ = median_ms(lambda start=start: s.execute(text(BASELINE), {"start": start.replace(tzinfo=None),
                                                                                      "end": naive_now}).all(), args.runs)
                card_ms, cards = median_ms(lambda start=start, end=end: scorecards.scorecards(s, catalog, config, start, end, now), args.runs)
                print(f"  scorecards, {label} ({scanned:,} tickets received, {len(cards)} bodies): "
                      f"{card_ms:.0f} ms (median of {args.runs}); baseline bare GROUP BY count {base_ms:.0f} ms; "
                      f"ratio {card_ms / base_ms:.1f}x")
            warn_ms, flagged = median_ms(lambda: scorecards.warnings(s, catalog, config, now), args.runs)
            print(f"  early warning (4 windows of 30 days, {len(flagged)} bodies flagged): {warn_ms:.0f} ms")
            dash_ms, _ = median_ms(lambda: scorecards.dashboard(s, catalog, config, now), args.runs)
            print(f"  dashboard figures (12 weeks: trends, ranking, overdue heat, satisfaction, warnings): {dash_ms:.0f} ms")
        engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
