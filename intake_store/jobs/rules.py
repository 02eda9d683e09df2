"""What the deadline jobs must do for one ticket, and when: plain functions, no I/O.

Given a ticket's life, its clocks and the working-day calendar:

- `alarms` lists every action the running clocks will call for, each with the
  moment it falls due;
- `decide` picks those due now that have not been carried out yet;
- `next_check` says when the ticket next needs a look.

The actions (DOMAIN.md, "Clocks"):

- remind       to the lead department, one working day before a 签收/核查/答复 due time
               (to the hotline office before its 转办 due time, for SME arrears);
- yellow_card  督办黄牌 to the same body as soon as such a clock is overdue;
- red_card     督办红牌 to the supervising body, still overdue 3 working days later;
- ask_rating   回访: ask the citizen again for a rating, one working day before the window ends;
- close_unrated 办结 as 未评价 when the 回访 window ends without a rating;
- escalate     tell the supervising body that a second 不满意 sent the ticket to 督办.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from ..catalog import Catalog
from ..clocks import Clock
from ..lifecycle import Event, Life
from ..workcalendar import BEIJING, WorkCalendar

DEPARTMENT_CLOCKS = ("accept", "verify", "reply")
# 转办 of SME arrears (10 working days from submission) is the hotline's own deadline:
# the office that forwards the complaint gets its reminder and its cards.
HOTLINE_CLOCKS = {"transfer": "hotline"}
CARDED_CLOCKS = (*DEPARTMENT_CLOCKS, *HOTLINE_CLOCKS)
RED_CARD_AFTER_WORKING_DAYS = 3
CARDS = {"yellow_card": "yellow", "red_card": "red"}
# Reminders make sense only while the clock is not overdue yet; after that the cards take over.
BEFORE_DUE_ONLY = frozenset({"remind", "ask_rating"})


@dataclass(frozen=True)
class Action:
    kind: str  # remind | yellow_card | red_card | ask_rating | close_unrated | escalate
    clock: str | None  # accept | verify | reply | follow_up (None for escalate)
    due_at: datetime | None  # the due time it is about (the moment of the second 不满意 for escalate)
    at: datetime  # when it falls due

    @property
    def key(self) -> str:
        """(kind, clock, due time): with the ticket number, the notification's unique key."""
        due = self.due_at.astimezone(timezone.utc).isoformat() if self.due_at else ""
        return f"{self.kind}:{self.clock or '-'}:{due}"


Card = tuple[str, str, datetime]  # (yellow | red, clock, due time in UTC)


def cards_given(events: list[Event]) -> frozenset[Card]:
    """The 督办 cards already in a ticket's history."""
    out = set()
    for e in events:
        p = e.payload
        if e.action == "supervise" and p.get("card") and p.get("clock") and p.get("due_at"):
            due = p["due_at"] if isinstance(p["due_at"], datetime) else datetime.fromisoformat(p["due_at"])
            out.add((p["card"], p["clock"], due.astimezone(timezone.utc)))
    return frozenset(out)


def previous_working_day(cal: WorkCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    return day


def reminder_time(clock: Clock, cal: WorkCalendar) -> datetime | None:
    """One working day before the due time: the same time of day on the working
    day before (for a due time at 24:00, 24:00 of the working day before). None
    when the clock is shorter than that (e.g. an urgent 2-hour 签收)."""
    due = clock.due_at.astimezone(BEIJING)
    at = datetime.combine(previous_working_day(cal, due.date()), due.timetz())
    return at if at > clock.started_at else None


def overdue_from(due_at: datetime) -> datetime:
    # The first instant a clock counts as overdue (`Clock.overdue` is strict: now > due).
    return due_at + timedelta(microseconds=1)


def red_card_deadline(due_at: datetime, cal: WorkCalendar) -> datetime:
    """The end of the 3rd working day after the due day: still overdue then means a red card."""
    return cal.add_working_days(due_at, RED_CARD_AFTER_WORKING_DAYS)


def red_card_time(due_at: datetime, cal: WorkCalendar) -> datetime:
    return overdue_from(red_card_deadline(due_at, cal))


def alarms(life: Life, clocks: dict[str, Clock], cal: WorkCalendar) -> list[Action]:
    """Every action the running clocks call for, earliest first, whether done or not."""
    out: list[Action] = []
    for c in clocks.values():
        if not c.running or c.projected:
            continue
        remind = reminder_time(c, cal)
        if c.name in CARDED_CLOCKS:
            if remind:
                out.append(Action("remind", c.name, c.due_at, remind))
            out.append(Action("yellow_card", c.name, c.due_at, overdue_from(c.due_at)))
            out.append(Action("red_card", c.name, c.due_at, red_card_time(c.due_at, cal)))
        elif c.name == "follow_up" and life.state == "replied":
            if remind:
                out.append(Action("ask_rating", c.name, c.due_at, remind))
            out.append(Action("close_unrated", c.name, c.due_at, overdue_from(c.due_at)))
    return sorted(out, key=lambda a: a.at)


def decide(life: Life, clocks: dict[str, Clock], now: datetime, cal: WorkCalendar,
           cards: frozenset[Card] = frozenset()) -> list[Action]:
    """The actions due now, in the order to carry them out.

    Cards already given (`cards`, from the events) are left out; a reminder or
    an escalation may be decided again on a later look, and its notification
    key makes sure it is queued only once."""
    due: list[Action] = []
    if life.state == "supervising" and life.followed_up_at:
        due.append(Action("escalate", None, life.followed_up_at, life.followed_up_at))
    for a in alarms(life, clocks, cal):
        if a.at > now:
            continue
        if a.kind in BEFORE_DUE_ONLY and a.due_at is not None and now > a.due_at:
            continue
        if a.kind in CARDS and a.due_at is not None and (CARDS[a.kind], a.clock, a.due_at.astimezone(timezone.utc)) in cards:
            continue
        due.append(a)
    return due


def next_check(life: Life, clocks: dict[str, Clock], now: datetime, cal: WorkCalendar) -> datetime | None:
    """When the ticket next needs a look (None: not until something happens to it)."""
    return min((a.at for a in alarms(life, clocks, cal) if a.at > now), default=None)


def responsible_for(clock: str | None, life: Life) -> str | None:
    """The body a clock's reminder and yellow card go to: the lead, or for the
    转办 clock the hotline office, which has not forwarded the complaint yet."""
    return HOTLINE_CLOCKS.get(clock or "", life.lead)


def supervisor_of(catalog: Catalog, lead: str, category: str | None, accused: str | None = None) -> str:
    """Who gets a red card or a twice-unsatisfied ticket: the lead body's own
    supervising body, else the category's supervisor, else the accused body's
    own supervisor; never the lead itself, and never the body the complaint accuses.

    回避 as DOMAIN.md writes it ("a complaint is never routed for handling to the
    body it accuses"), applied to 督办 too: a procurement complaint against 发改委
    led by 财政局 must not send its red card to 发改委, 财政局's usual supervisor.
    The documents give supervision to the level above: 000 二(一) "上级政府(管委)要定期对
    下级政府(管委)进行政务诚信监督检查"."""
    dept = catalog.department(lead)
    cat = catalog.categories.get(category or "")
    above_accused = catalog.departments[accused].supervisor if accused in catalog.departments else None
    for code in (dept.supervisor, cat.supervisor if cat else None, above_accused, "hotline"):
        if code and code not in (lead, accused) and code in catalog.departments:
            return code
    raise LookupError(f"no supervising body for {lead} in the catalog")
