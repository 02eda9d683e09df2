"""Government bodies as 失信被执行人, per body and period, against the previous
period (004 五(五): "政府机构失信被执行人实现零增长"; 001 5 "政府机构失信被执行人专项治理").

Two sources, shown side by side: court_judgment complaints verified 属实 or
部分属实 against a confirmed body (the 核查 date), and listings a supervisor
records from the court's list of 失信被执行人 (`JudgmentDebtorListing`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from vocabulary.codes import SUBSTANTIATED

from ..catalog import Catalog
from ..lifecycle import TransitionError
from ..tickets.viewer import Viewer
from .models import JudgmentDebtorListing, TicketFact
from .scorecards import BEIJING, day_start, quarter_start

CATEGORY = "court_judgment"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def name(self) -> str:
        return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"


def quarters(now: datetime) -> tuple[Period, Period]:
    """This quarter (up to today) and the one before it."""
    start = quarter_start(now)
    before = quarter_start(day_start(start - timedelta(days=1)))
    return Period(start, now.astimezone(BEIJING).date() + timedelta(days=1)), Period(before, start)


def trend(current: int, previous: int) -> str:
    """零增长 is the goal: any rise is named."""
    if current > previous:
        return f"增加{current - previous}"
    return "持平" if current == previous else f"减少{previous - current}"


def _counts(session: Session, p: Period) -> dict[str, tuple[int, int]]:
    complaints = session.execute(
        select(TicketFact.respondent_code, func.count()).where(
            TicketFact.category_code == CATEGORY, TicketFact.verify_result.in_(SUBSTANTIATED),
            TicketFact.respondent_confirmed.is_(True), TicketFact.respondent_code.is_not(None),
            TicketFact.verified_at >= day_start(p.start), TicketFact.verified_at < day_start(p.end))
        .group_by(TicketFact.respondent_code)).all()
    listings = session.execute(
        select(JudgmentDebtorListing.body_code, func.count()).where(
            JudgmentDebtorListing.listed_on >= p.start, JudgmentDebtorListing.listed_on < p.end)
        .group_by(JudgmentDebtorListing.body_code)).all()
    out: dict[str, list[int]] = {}
    for body, n in complaints:
        out.setdefault(body, [0, 0])[0] = n
    for body, n in listings:
        out.setdefault(body, [0, 0])[1] = n
    return {b: (c, n) for b, (c, n) in out.items()}


def by_body(session: Session, catalog: Catalog, now: datetime) -> dict:
    current, previous = quarters(now)
    now_counts, before = _counts(session, current), _counts(session, previous)
    rows = []
    for body in sorted(set(now_counts) | set(before)):
        c, listed = now_counts.get(body, (0, 0))
        total, prev = c + listed, sum(before.get(body, (0, 0)))
        rows.append({"body_code": body, "body_name": catalog.name_of(body) if body in catalog.departments else body,
                     "complaints": c, "listings": listed, "total": total, "previous": prev, "trend": trend(total, prev),
                     "rising": total > prev})
    rows.sort(key=lambda r: (not r["rising"], -r["total"], r["body_code"]))
    return {"period": current.name, "previous_period": previous.name, "items": rows,
            "total": sum(r["total"] for r in rows), "previous": sum(r["previous"] for r in rows)}


def record_listing(session: Session, catalog: Catalog, body_code: str, listed_on: date, case_number: str,
                   note: str | None, viewer: Viewer, now: datetime) -> JudgmentDebtorListing:
    if viewer.role != "supervisor":
        raise TransitionError("只有督办人员可以登记失信被执行人名单。", "forbidden")
    if body_code not in catalog.departments:
        raise TransitionError(f"未知的单位代码：{body_code}", "unknown_department")
    if listed_on > now.astimezone(BEIJING).date():
        raise TransitionError("列入名单的日期不能晚于今天。", "invalid_date")
    row = JudgmentDebtorListing(body_code=body_code, listed_on=listed_on, case_number=case_number, note=note,
                                recorded_at=now, recorded_by=viewer.actor)
    session.add(row)
    return row
