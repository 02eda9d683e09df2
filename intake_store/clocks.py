"""The deadlines of a ticket (签收, 核查, 答复, 回访), derived from its life.

Pure: given a `Life` (itself derived from the events), the catalog's clock
rules and a working-day calendar, `compute_clocks` answers when each clock
started, when it is due, whether it stopped, and whether it is paused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .catalog import Catalog, ClockRule
from .lifecycle import Life
from .workcalendar import WorkCalendar


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    started_at: datetime
    due_at: datetime
    done_at: datetime | None = None
    paused: bool = False
    projected: bool = False  # not dispatched yet: the due time if it were dispatched at submission

    @property
    def running(self) -> bool:
        return self.done_at is None and not self.paused

    def overdue(self, now: datetime) -> bool:
        return self.running and now > self.due_at

    @property
    def late(self) -> bool:
        return self.done_at is not None and self.done_at > self.due_at


def _due(cal: WorkCalendar, rule: ClockRule, start: datetime, urgent: bool, complex_: bool, extra_working_days: int = 0) -> datetime:
    if urgent and rule.urgent_hours:
        return cal.add_hours(start, rule.urgent_hours)
    days = rule.complex_days if complex_ and rule.complex_days else rule.days
    if rule.kind == "calendar":
        return cal.add_calendar_days(start, days + extra_working_days)
    if rule.kind == "hours":
        return cal.add_hours(start, days)
    return cal.add_working_days(start, days + extra_working_days)


def _paused_days(cal: WorkCalendar, life: Life, start: datetime, now: datetime) -> tuple[int, bool]:
    """Working days spent waiting for the complainant since `start`, and whether still waiting."""
    total, waiting = 0, False
    for p0, p1 in life.pauses:
        if p0 < start:
            continue
        if p1 is None:
            waiting = True
            p1 = now
        total += cal.working_days_between(p0, p1)
    return total, waiting


def compute_clocks(life: Life, catalog: Catalog, cal: WorkCalendar, now: datetime) -> dict[str, Clock]:
    if life.submitted_at is None:
        return {}
    clocks: dict[str, Clock] = {}
    cat = catalog.categories.get(life.category or "")
    complex_ = bool(cat and cat.complex)
    ended = life.ended_at

    def stopped(done: datetime | None) -> datetime | None:
        return done or ended

    rule = catalog.clock_rule("accept", life.category)
    if life.dispatched_at and life.state not in ("submitted",):
        start = life.dispatched_at
        done = life.accepted_at or life.returned_at
        clocks["accept"] = Clock("accept", rule.label, start, _due(cal, rule, start, life.urgent, complex_), stopped(done))

    rule = catalog.clock_rule("verify", life.category)
    if life.accepted_at:
        start = life.accepted_at
        extra, waiting = _paused_days(cal, life, start, now)
        due = _due(cal, rule, start, False, complex_, extra)
        clocks["verify"] = Clock("verify", rule.label, start, due, stopped(life.verified_at), paused=waiting and not life.verified_at)

    rule = catalog.clock_rule("reply", life.category)
    round_start = life.dispatched_at or life.submitted_at
    start = life.submitted_at if rule.starts == "submit" and life.reopen_count == 0 else round_start
    extra, waiting = _paused_days(cal, life, start, now)
    due = _due(cal, rule, start, False, complex_, extra)
    for ext in life.approved_extensions:
        due = max(due, cal.end_of_day(ext.new_due))
    if life.state != "returned":
        clocks["reply"] = Clock(
            "reply", rule.label, start, due, stopped(life.replied_at),
            paused=waiting and not life.replied_at,
            projected=life.dispatched_at is None,
        )

    rule = catalog.clock_rule("follow_up", life.category)
    if life.replied_at:
        start = life.replied_at
        clocks["follow_up"] = Clock("follow_up", rule.label, start, _due(cal, rule, start, False, complex_), stopped(life.followed_up_at))
    return clocks


def next_due(clocks: dict[str, Clock]) -> Clock | None:
    """The running clock that falls due first (what reminders and 督办 act on)."""
    running = [c for c in clocks.values() if c.running and not c.projected]
    return min(running, key=lambda c: c.due_at) if running else None


def return_deadline(clocks: dict[str, Clock]) -> datetime | None:
    """退单 is possible only before 签收 and within the accept window."""
    accept = clocks.get("accept")
    return accept.due_at if accept else None


def hours_left(clock: Clock, now: datetime) -> float:
    return (clock.due_at - now) / timedelta(hours=1)
