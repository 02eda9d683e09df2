"""Working days on the Chinese official calendar, and deadlines built on them.

Rules every function here follows:

- Datetimes given and returned are timezone-aware; a naive datetime raises
  ValueError. Results are in Beijing time (``BEIJING``), and every
  working-day decision is made on the Beijing date, whatever zone the input
  was in.
- A working day follows the official holiday schedule with its 调休 make-up
  days (a Saturday can be a working day), taken from the ``chinese_calendar``
  library. The overrides file (``data/holidays.yml``) wins over the library:
  operators use it to add a year the library does not have yet, or a
  temporary closure.
- Outside the library's years, with no override for the year, Monday to
  Friday are working days. A ``CalendarCoverageWarning`` is emitted once per
  such year and calendar; nothing raises, so a deadline sweep keeps running.
- A deadline of n working days is the end (23:59:59.999999 Beijing) of the
  n-th working day after the start date; the start day itself never counts.
  n == 0 means the end of the start day if it is a working day, else the end
  of the next working day.
- A deadline of n calendar days is the end of the Beijing day n days after
  the start date; hours are plain elapsed time.
- ``working_days_between(start, end)`` counts working days d with
  start date < d <= end date; it is what a paused clock is extended by.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from vocabulary.dates import chinese_date

BEIJING = ZoneInfo("Asia/Shanghai")

DEFAULT_OVERRIDES_PATH = Path(__file__).resolve().parent / "data" / "holidays.yml"

_END_OF_DAY = time(23, 59, 59, 999999)
_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class CalendarCoverageWarning(UserWarning):
    """A date's year has no official holiday schedule; weekends were assumed."""


def _beijing(dt: datetime) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: a timezone is required")
    return dt.astimezone(BEIJING)


def _as_date(d: date) -> date:
    # A datetime is also a date; its Beijing date is the one that matters.
    if isinstance(d, datetime):
        return _beijing(d).date()
    return d


@lru_cache(maxsize=8192)
def _library_is_workday(d: date) -> bool | None:
    """The library's answer, or None when it has no data for d's year."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)
    _override_years: frozenset[int] = field(init=False, repr=False, compare=False)
    _warned_years: set[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for d, working in self.overrides.items():
            if not isinstance(d, date) or isinstance(d, datetime):
                raise TypeError(f"override key {d!r} is not a date")
            if not isinstance(working, bool):
                raise TypeError(f"override for {d} must be True or False, got {working!r}")
        # Copy so that later changes to the caller's dict cannot alter a frozen calendar.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "_override_years", frozenset(d.year for d in self.overrides))
        object.__setattr__(self, "_warned_years", set())

    def __hash__(self) -> int:
        return hash(frozenset(self.overrides.items()))

    def covers(self, d: date) -> bool:
        """True when the library or the overrides hold d's year officially."""
        d = _as_date(d)
        return _library_is_workday(d) is not None or d.year in self._override_years

    def is_working_day(self, d: date) -> bool:
        d = _as_date(d)
        override = self.overrides.get(d)
        if override is not None:
            return override
        library = _library_is_workday(d)
        if library is not None:
            return library
        if d.year not in self._override_years and d.year not in self._warned_years:
            self._warned_years.add(d.year)
            warnings.warn(
                f"No official holiday schedule for {d.year}: Monday to Friday are taken "
                f"as working days. Add the State Council's {d.year} holiday table to the "
                "overrides file (intake_store/data/holidays.yml).",
                CalendarCoverageWarning,
                stacklevel=2,
            )
        return d.weekday() < 5

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        d = _as_date(d) + timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def end_of_day(self, d: date) -> datetime:
        d = _as_date(d)
        return datetime.combine(d, _END_OF_DAY, tzinfo=BEIJING)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        day = _beijing(start).date()
        if n == 0:
            return self.end_of_day(day if self.is_working_day(day) else self.next_working_day(day))
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def add_calendar_days(self, start: datetime, n: int) -> datetime:
        return self.end_of_day(_beijing(start).date() + timedelta(days=n))

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return _beijing(start) + timedelta(hours=hours)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        start, end = _beijing(start), _beijing(end)
        if end <= start:
            return 0
        day, last = start.date() + timedelta(days=1), end.date()
        count = 0
        while day <= last:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count


def _parse_day(value: object, path: Path) -> date:
    # YAML gives a date for an unquoted 2027-01-01 and a str for a quoted one.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{path}: {value!r} is not a date like 2027-01-01")


def load_overrides(path: Path | None = None) -> dict[date, bool]:
    """Read the overrides file: `working` and `off` lists of dates."""
    path = Path(path) if path is not None else DEFAULT_OVERRIDES_PATH
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected the keys 'working' and 'off'")
    # YAML 1.1 reads a bare `off:` key as the boolean false.
    data = {("off" if key is False else key): value for key, value in data.items()}
    unknown = set(data) - {"working", "off"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(map(str, unknown))}; only 'working' and 'off'")
    overrides: dict[date, bool] = {}
    for key, working in (("working", True), ("off", False)):
        values = data.get(key) or []
        if not isinstance(values, list):
            raise ValueError(f"{path}: '{key}' must be a list of dates")
        for value in values:
            d = _parse_day(value, path)
            if overrides.get(d, working) != working:
                raise ValueError(f"{path}: {d} is listed both as working and as off")
            overrides[d] = working
    return overrides


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    return WorkCalendar(load_overrides())


def format_due(dt: datetime) -> str:
    """A due time in Chinese, Beijing time.

    The end of a day (or the midnight right after it) reads "24:00前" of that
    day. Seconds are dropped, so the shown time is never later than the real one.
    """
    dt = _beijing(dt)
    if dt.time() == time(0):
        day, clock = dt.date() - timedelta(days=1), "24:00"
    elif dt.time() == _END_OF_DAY:
        day, clock = dt.date(), "24:00"
    else:
        day, clock = dt.date(), f"{dt.hour:02d}:{dt.minute:02d}"
    return f"{chinese_date(day)}（{_WEEKDAYS[day.weekday()]}）{clock}前"
