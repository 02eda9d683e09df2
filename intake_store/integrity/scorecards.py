"""Scorecards, early warning and the dashboard's figures: SQL aggregations
over `ticket_fact` and `integrity_record`, then the pure formulas in `rules`.

Each figure is one GROUP BY on the database, so the cost grows with the rows
scanned, not with events replayed. Time buckets (weeks, warning windows) are
CASE expressions over edges computed here, which reads the same on SQLite and
PostgreSQL.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlmodel import Session

from vocabulary.codes import SATISFACTION

from ..catalog import Catalog
from ..lifecycle import OPEN_STATES
from ..models import Ticket
from ..workcalendar import BEIJING
from . import rules
from .models import IntegrityRecord, TicketFact
from .rules import Figures, IntegrityConfig

ONE, ZERO = literal_column("1"), literal_column("0")
F = TicketFact.__table__.c
R = IntegrityRecord.__table__.c

COUNTERS = ("received", "accept_due", "accept_on_time", "reply_due", "reply_on_time",
            "sat_very", "sat_ok", "sat_fair", "sat_bad", "reopened", "overdue_open",
            "complaints", "substantiated", "repeats", "records", "repairs", "rectify_due", "rectified", "count_light", "count_general", "count_serious")
SAT_COLUMNS = dict(zip(rules.SATISFACTION_LEVELS, ("sat_very", "sat_ok", "sat_fair", "sat_bad")))
COUNT_COLUMNS = dict(zip(rules.SEVERITIES, ("count_light", "count_general", "count_serious")))


def _flag(condition):
    return case((condition, ONE), else_=ZERO)


def _row(body, **values):
    return select(body.label("body"), *[values.get(c, ZERO).label(c) for c in COUNTERS])


def _between(col, start: datetime, end: datetime):
    return and_(col >= start, col < end)


def _missed(due, done, now: datetime):
    """A deadline that passed without the step being done in time."""
    return and_(due.is_not(None), due < now, or_(done.is_(None), done > due))


def figures(session: Session, start: datetime, end: datetime, now: datetime,
            bodies: list[str] | None = None) -> dict[str, Figures]:
    """Everything a scorecard counts, per body, in one statement.

    Tickets received in [start, end) count for their lead body (签收, 答复,
    satisfaction, 重办) and for their respondent (complaints, substantiated);
    open overdue tickets count as of `now`; records count for the body they
    are about when made, repaired, or counting at the period's end.
    """
    at = min(end, now)
    received = _between(F.created_at, start, end)
    counting = and_(R.recorded_at <= at, R.counts_until > at)
    handled = _row(
        F.lead_code,
        received=ONE,
        accept_due=_flag(and_(F.accept_due_at.is_not(None), or_(F.accept_done_at.is_not(None), F.accept_due_at < now))),
        accept_on_time=_flag(F.accept_done_at <= F.accept_due_at),
        reply_due=_flag(and_(F.reply_due_at.is_not(None), or_(F.reply_done_at.is_not(None), F.reply_due_at < now))),
        reply_on_time=_flag(F.reply_done_at <= F.reply_due_at),
        reopened=_flag(F.reopen_count > 0),
        **{col: _flag(F.satisfaction == level) for level, col in SAT_COLUMNS.items()},
    ).where(received, F.lead_code.is_not(None))
    overdue = _row(F.lead_code, overdue_open=ONE).where(F.state.in_(OPEN_STATES), F.lead_due_at < now,
                                                          F.lead_code.is_not(None))
    accused = _row(
        F.respondent_code, complaints=ONE, substantiated=_flag(F.verify_result.in_(rules.SUBSTANTIATED)),
        repeats=_flag(F.repeat_of.is_not(None)),
    ).where(received, F.respondent_code.is_not(None))
    recorded = _row(
        R.body_code,
        records=_flag(_between(R.recorded_at, start, end)),
        repairs=_flag(_between(R.repaired_at, start, end)),
        rectify_due=_flag(_between(R.rectify_due_at, start, end)),
        rectified=_flag(and_(_between(R.rectify_due_at, start, end), R.rectified_at.is_not(None))),
        **{col: _flag(and_(counting, R.severity == s)) for s, col in COUNT_COLUMNS.items()},
    ).where(R.body_code.is_not(None),
            or_(_between(R.recorded_at, start, end), _between(R.repaired_at, start, end),
                _between(R.rectify_due_at, start, end), counting))
    rows = union_all(handled, overdue, accused, recorded).subquery()
    stmt = select(rows.c.body, *[func.sum(rows.c[c]).label(c) for c in COUNTERS]).group_by(rows.c.body)
    if bodies is not None:
        stmt = stmt.where(rows.c.body.in_(bodies))
    out = {}
    for row in session.execute(stmt).mappings():
        n = {c: int(row[c] or 0) for c in COUNTERS}
        out[row["body"]] = Figures(
            body_code=row["body"],
            received=n["received"], accept_due=n["accept_due"], accept_on_time=n["accept_on_time"],
            reply_due=n["reply_due"], reply_on_time=n["reply_on_time"],
            satisfaction={level: n[col] for level, col in SAT_COLUMNS.items()},
            reopened=n["reopened"], overdue_open=n["overdue_open"],
            complaints=n["complaints"], substantiated=n["substantiated"], repeats=n["repeats"],
            records=n["records"], repairs=n["repairs"], rectify_due=n["rectify_due"], rectified=n["rectified"],
            counting={s: n[col] for s, col in COUNT_COLUMNS.items()},
        )
    return out


def scorecards(session: Session, catalog: Catalog, config: IntegrityConfig, start: datetime, end: datetime,
               now: datetime, bodies: list[str] | None = None) -> list[dict]:
    """One scorecard per body with anything to count, best score first."""
    cards = []
    for code, f in figures(session, start, end, now, bodies).items():
        score = rules.integrity_score(f, config)
        g = rules.grade(score, config)
        dept = catalog.departments.get(code)
        card = asdict(f)
        card.update(
            body_name=dept.name if dept else code,
            body_short=dept.short if dept else code,
            level=dept.level if dept else None,
            rated=f.rated,
            counting_records=sum(f.counting.values()),
            **rules.rates(f, config),
            score=score, grade=g.grade, grade_name=g.name,
        )
        cards.append(card)
    cards.sort(key=lambda c: (-c["score"], c["body_code"]))
    for rank, card in enumerate(cards, start=1):
        card["rank"] = rank
    return cards


# ---------------------------------------------------------------- periods and buckets

def day_start(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), tzinfo=BEIJING)


def quarter_start(now: datetime) -> date:
    local = now.astimezone(BEIJING).date()
    return date(local.year, 3 * ((local.month - 1) // 3) + 1, 1)


def _bucket(col, edges: list[datetime]):
    """Index of the [edges[i], edges[i+1]) interval col falls in (callers filter to edges[0]..edges[-1])."""
    if len(edges) <= 2:
        return ZERO
    return case(*[(col < edge, literal_column(str(i))) for i, edge in enumerate(edges[1:-1])],
                else_=literal_column(str(len(edges) - 2)))


def _missed_deadlines(edges: list[datetime], now: datetime):
    """(ticket_id, body, bucket of the missed due time) for every 签收 or 答复 deadline missed by a lead body."""
    lo, hi = edges[0], edges[-1]
    parts = []
    for due, done in ((F.accept_due_at, F.accept_done_at), (F.reply_due_at, F.reply_done_at)):
        parts.append(
            select(F.ticket_id.label("ticket_id"), F.lead_code.label("body"), _bucket(due, edges).label("bucket"))
            .where(F.lead_code.is_not(None), _missed(due, done, now), due >= lo, due < hi)
        )
    return union_all(*parts).subquery()


# ---------------------------------------------------------------- early warning

def warnings(session: Session, catalog: Catalog, config: IntegrityConfig, now: datetime, *,
             tickets_per_flag: int = 50) -> list[dict]:
    """Bodies whose substantiated complaints or missed deadlines rose above
    their own baseline or a threshold (rules.warning_reasons), with the tickets behind the flag."""
    rule = config.warning
    windows = rule.baseline_windows + 1
    edges = [now - timedelta(days=rule.window_days * (windows - i)) for i in range(windows + 1)]
    current = windows - 1
    counts: dict[str, dict[str, list[int]]] = {}

    def add(metric: str, body: str, bucket: int, n: int) -> None:
        counts.setdefault(body, {m: [0] * windows for m in rules.WARNING_METRICS})[metric][bucket] += n

    substantiated = (
        select(F.respondent_code, _bucket(F.verified_at, edges).label("bucket"), func.count())
        .where(F.respondent_code.is_not(None), F.verify_result.in_(rules.SUBSTANTIATED),
               F.verified_at >= edges[0], F.verified_at < now)
        .group_by(F.respondent_code, literal_column("bucket"))
    )
    for body, bucket, n in session.execute(substantiated):
        add("substantiated", body, int(bucket), n)
    missed = _missed_deadlines(edges, now)
    overdue = select(missed.c.body, missed.c.bucket, func.count(func.distinct(missed.c.ticket_id))).group_by(
        missed.c.body, missed.c.bucket)
    for body, bucket, n in session.execute(overdue):
        add("overdue", body, int(bucket), n)

    flagged = []
    for body, per_metric in counts.items():
        now_counts = {m: v[current] for m, v in per_metric.items()}
        reasons = rules.warning_reasons(now_counts, {m: v[:current] for m, v in per_metric.items()}, config)
        if not reasons:
            continue
        dept = catalog.departments.get(body)
        flagged.append({
            "body_code": body,
            "body_name": dept.name if dept else body,
            "reasons": reasons,
            "current": now_counts,
            "baseline": {m: round(sum(v[:current]) / current, 2) for m, v in per_metric.items()},
            "window_start": edges[current].isoformat(),
        })
    behind = _tickets_behind(session, [w["body_code"] for w in flagged], edges[current], now, tickets_per_flag)
    for w in flagged:
        w["tickets"] = {metric: behind[metric].get(w["body_code"], []) for metric in rules.WARNING_METRICS}
    flagged.sort(key=lambda w: (-sum(w["current"].values()), w["body_code"]))
    return flagged


def _tickets_behind(session: Session, bodies: list[str], since: datetime, now: datetime,
                    limit: int) -> dict[str, dict[str, list[str]]]:
    """The newest `limit` ticket numbers behind each flagged body's counts in the current window."""
    out: dict[str, dict[str, list[str]]] = {m: {} for m in rules.WARNING_METRICS}
    if not bodies:
        return out
    subst = (
        select(F.respondent_code.label("body"), Ticket.number.label("number"),
               func.row_number().over(partition_by=F.respondent_code, order_by=F.verified_at.desc()).label("n"))
        .join(Ticket, Ticket.id == F.ticket_id)
        .where(F.respondent_code.in_(bodies), F.verify_result.in_(rules.SUBSTANTIATED), F.verified_at >= since,
               F.verified_at < now)
    ).subquery()
    missed = _missed_deadlines([since, now], now)
    pairs = select(missed.c.body, missed.c.ticket_id).where(missed.c.body.in_(bodies)).distinct().subquery()
    late = (
        select(pairs.c.body, Ticket.number.label("number"),
               func.row_number().over(partition_by=pairs.c.body, order_by=Ticket.created_at.desc()).label("n"))
        .join(Ticket, Ticket.id == pairs.c.ticket_id)
    ).subquery()
    for metric, ranked in (("substantiated", subst), ("overdue", late)):
        rows = session.execute(select(ranked.c.body, ranked.c.number).where(ranked.c.n <= limit)
                               .order_by(ranked.c.body, ranked.c.n))
        for body, number in rows:
            out[metric].setdefault(body, []).append(number)
    return out


# ---------------------------------------------------------------- dashboard

def week_edges(now: datetime, weeks: int) -> list[datetime]:
    """Monday 00:00 (Beijing) of each of the last `weeks` weeks, then `now`."""
    today = now.astimezone(BEIJING).date()
    monday = today - timedelta(days=today.weekday())
    return [day_start(monday - timedelta(weeks=weeks - 1 - i)) for i in range(weeks)] + [now]


def dashboard(session: Session, catalog: Catalog, config: IntegrityConfig, now: datetime, weeks: int = 12) -> dict:
    """The supervisor dashboard's figures: trends per category, ranking of bodies,
    missed deadlines by department and week, satisfaction, warnings, records waiting."""
    edges = week_edges(now, weeks)
    labels = [f"{e.month}月{e.day}日" for e in (x.astimezone(BEIJING) for x in edges[:-1])]
    start = edges[0]

    trend: dict[str, list[int]] = {}
    stmt = (select(F.category_code, _bucket(F.created_at, edges).label("bucket"), func.count())
            .where(F.created_at >= start, F.created_at < now)
            .group_by(F.category_code, literal_column("bucket")))
    for cat, bucket, n in session.execute(stmt):
        trend.setdefault(cat, [0] * weeks)[int(bucket)] += n
    category_names = {c: catalog.categories[c].name.split("（")[0] if c in catalog.categories else c for c in trend}

    missed = _missed_deadlines(edges, now)
    heat_rows = session.execute(select(missed.c.body, missed.c.bucket, func.count(func.distinct(missed.c.ticket_id)))
                                .group_by(missed.c.body, missed.c.bucket)).all()
    heat_bodies = sorted({b for b, _, _ in heat_rows}, key=lambda b: -sum(n for x, _, n in heat_rows if x == b))

    sat = dict.fromkeys(rules.SATISFACTION_LEVELS, 0)
    for level, n in session.execute(select(F.satisfaction, func.count()).where(
            F.satisfaction.is_not(None), F.created_at >= start, F.created_at < now).group_by(F.satisfaction)):
        sat[level] = n

    stages = dict(session.execute(select(R.stage, func.count()).where(R.stage.is_not(None)).group_by(R.stage)).all())
    overdue_records = session.execute(select(func.count()).select_from(IntegrityRecord).where(R.next_due_at < now)).scalar_one()
    return {
        "generated_at": now.isoformat(),
        "period": {"start": start.isoformat(), "end": now.isoformat(), "weeks": labels},
        "category_trend": [{"code": c, "name": category_names[c], "counts": v}
                           for c, v in sorted(trend.items(), key=lambda kv: -sum(kv[1]))],
        "ranking": scorecards(session, catalog, config, start, now, now),
        "overdue_heat": {
            "bodies": [catalog.departments[b].short if b in catalog.departments else b for b in heat_bodies],
            "cells": [[int(bucket), heat_bodies.index(b), n] for b, bucket, n in heat_rows],
        },
        "satisfaction": [{"code": k, "name": SATISFACTION.label(k), "value": v} for k, v in sat.items()],
        "warnings": warnings(session, catalog, config, now),
        "records_waiting": {rules.STAGE_NAMES[s]: n for s, n in stages.items()},
        "records_overdue": overdue_records,
    }
