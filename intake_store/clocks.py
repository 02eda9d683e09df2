"""The deadlines of a ticket (签收, 核查, 答复, 回访), derived from its life.

Pure: given a `Life` (itself derived from the events), the catalog's clock
rules and a working-day calendar, `compute_clocks` answers when each clock
started, when it is due, whether it stopped, and whether it is paused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .catalog import Catalog, ClockRule
from .lifecycle import Life
from .workcalendar import BEIJING, WorkCalendar


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


def _due(cal: WorkCalendar, rule: ClockRule, start: datetime, urgent: bool, complex_: bool, extra_days: int = 0) -> datetime:
    if urgent and rule.urgent_hours:
        return cal.add_hours(start, rule.urgent_hours)
    days = rule.complex_days if complex_ and rule.complex_days else rule.days
    if rule.kind == "calendar":
        return cal.add_calendar_days(start, days + extra_days)
    if rule.kind == "hours":
        return cal.add_hours(start, days)
    return cal.add_working_days(start, days + extra_days)


def _latest_due(cal: WorkCalendar, rule: ClockRule, start: datetime, paused: int) -> datetime:
    """The cap on a clock with `max_days` ("at most 90 days", extensions
    included); time spent waiting for the complainant does not count."""
    if rule.kind == "calendar":
        return cal.add_calendar_days(start, rule.max_days + paused)
    return cal.add_working_days(start, rule.max_days + paused)


def _paused_days(cal: WorkCalendar, life: Life, start: datetime, now: datetime, kind: str = "working") -> tuple[int, bool]:
    """Days spent waiting for the complainant since `start`, and whether still waiting.

    Counted in the clock's own unit: a calendar-day limit is extended by the
    calendar days of the pause, a working-day limit by its working days (a
    pause over a weekend must not add working days to a calendar-day limit)."""
    total, waiting = 0, False
    for p0, p1 in life.pauses:
        if p0 < start:
            continue
        if p1 is None:
            waiting = True
            p1 = now
        if kind == "calendar":
            total += max(0, (p1.astimezone(BEIJING).date() - p0.astimezone(BEIJING).date()).days)
        else:
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

    # 保障中小企业款项支付条例 as DOMAIN.md cites it: "forward within 10 working
    # days" of submission. Only categories that list `transfer` in their clocks have it.
    if cat and "transfer" in cat.clock_overrides:
        rule = catalog.clock_rule("transfer", life.category)
        start = life.submitted_at
        clocks["transfer"] = Clock("transfer", rule.label, start, _due(cal, rule, start, False, False),
                                   stopped(life.forwarded_at))

    rule = catalog.clock_rule("accept", life.category)
    if life.dispatched_at and life.state not in ("submitted",):
        start = life.dispatched_at
        done = life.accepted_at or life.returned_at
        clocks["accept"] = Clock("accept", rule.label, start, _due(cal, rule, start, life.urgent, complex_), stopped(done))

    rule = catalog.clock_rule("reply", life.category)
    reply_start = reply_started_at(life, rule)
    extra, waiting = _paused_days(cal, life, reply_start, now, rule.kind)
    due = _due(cal, rule, reply_start, False, complex_, extra)
    for ext in life.approved_extensions:
        due = max(due, cal.end_of_day(ext.new_due))
    if rule.max_days:
        due = min(due, _latest_due(cal, rule, reply_start, extra))
    reply = None
    if life.state != "returned":
        reply = Clock(
            "reply", rule.label, reply_start, due, stopped(life.replied_at),
            paused=waiting and not life.replied_at,
            projected=life.dispatched_at is None,
        )

    rule = catalog.clock_rule("verify", life.category)
    if life.accepted_at:
        start = life.accepted_at
        extra, waiting = _paused_days(cal, life, start, now, rule.kind)
        due = _due(cal, rule, start, False, complex_, extra)
        if reply and not reply.projected:
            # DOMAIN.md, Clocks: 核查 "never later than the 答复 due time (a reply needs the 核查 first)".
            due = min(due, reply.due_at)
        clocks["verify"] = Clock("verify", rule.label, start, due, stopped(life.verified_at), paused=waiting and not life.verified_at)
    if reply:
        clocks["reply"] = reply

    rule = catalog.clock_rule("follow_up", life.category)
    if life.replied_at:
        start = life.replied_at
        clocks["follow_up"] = Clock("follow_up", rule.label, start, _due(cal, rule, start, False, complex_), stopped(life.followed_up_at))
    return clocks


def reply_started_at(life: Life, rule: ClockRule) -> datetime:
    """The 答复 clock starts at dispatch, or at submission for categories whose
    rule says so (the first round only: a reopened ticket starts again at the reopening)."""
    round_start = life.dispatched_at or life.submitted_at
    return life.submitted_at if rule.starts == "submit" and life.reopen_count == 0 else round_start


def latest_new_due(life: Life, catalog: Catalog, cal: WorkCalendar) -> date | None:
    """The last day an extension may ask for, when the category caps its 答复 clock (`max_days`)."""
    rule = catalog.clock_rule("reply", life.category)
    if not rule.max_days or life.submitted_at is None:
        return None
    start = reply_started_at(life, rule)
    paused, _ = _paused_days(cal, life, start, start, rule.kind)  # finished pauses only
    cap = _latest_due(cal, rule, start, paused)
    return (cap - timedelta(microseconds=1)).astimezone(BEIJING).date()


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
