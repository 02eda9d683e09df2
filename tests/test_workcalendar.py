import warnings
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_store.workcalendar import (
    BEIJING,
    CalendarCoverageWarning,
    WorkCalendar,
    default_calendar,
    format_due,
    load_overrides,
)

UTC = timezone.utc
# Inside the library's years every decision must come from the official table.
# Tests that go past them catch the warning themselves.
pytestmark = pytest.mark.filterwarnings("error::intake_store.workcalendar.CalendarCoverageWarning")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=BEIJING)


cal = WorkCalendar()

zones = st.sampled_from(
    [BEIJING, UTC, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Asia/Kolkata")]
)
# Late enough in 2026 that up to 90 working days stay inside the library's years.
covered_starts = st.datetimes(
    min_value=datetime(2004, 1, 2), max_value=datetime(2026, 7, 31), timezones=zones
)
working_days = st.integers(min_value=0, max_value=90)


def makeup_weekend_days() -> list[date]:
    days, d = [], date(2004, 1, 1)
    while d <= date(2026, 12, 31):
        if d.weekday() >= 5 and chinese_calendar.is_workday(d):
            days.append(d)
        d += timedelta(days=1)
    return days


MAKEUP_DAYS = makeup_weekend_days()


def library_count(after: date, upto: date) -> int:
    """Working days d with after < d <= upto, straight from the library."""
    return sum(
        chinese_calendar.is_workday(after + timedelta(days=i)) for i in range(1, (upto - after).days + 1)
    )


# --- the real 2025 and 2026 schedules, checked by hand ---


def test_library_agrees_with_the_published_schedules():
    # 国庆/中秋 2025: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked.
    assert cal.is_working_day(date(2025, 9, 28))
    assert not any(cal.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert cal.is_working_day(date(2025, 10, 9))
    assert cal.is_working_day(date(2025, 10, 11))
    assert not cal.is_working_day(date(2025, 10, 12))
    # 春节 2026: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked.
    assert cal.is_working_day(date(2026, 2, 14))
    assert not any(cal.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.is_working_day(date(2026, 2, 28))


@pytest.mark.parametrize(
    "n, due",
    [
        (0, eod(2025, 9, 30)),
        (1, eod(2025, 10, 9)),
        (2, eod(2025, 10, 10)),
        (3, eod(2025, 10, 11)),  # the 调休 Saturday
        (4, eod(2025, 10, 13)),
        (5, eod(2025, 10, 14)),
    ],
)
def test_dispatch_before_national_day_2025(n, due):
    assert cal.add_working_days(bj(2025, 9, 30, 10, 0), n) == due


def test_dispatch_before_spring_festival_2026():
    friday = bj(2026, 2, 13, 16, 0)
    assert cal.add_working_days(friday, 1) == eod(2026, 2, 14)
    assert cal.add_working_days(friday, 2) == eod(2026, 2, 24)
    assert cal.add_working_days(bj(2026, 2, 27, 9, 0), 1) == eod(2026, 2, 28)
    # Sun Sep 28 2025 is a make-up day: a ticket on Friday the 26th is due then.
    assert cal.add_working_days(bj(2025, 9, 26, 9, 0), 1) == eod(2025, 9, 28)


def test_zero_days_on_a_holiday_means_end_of_next_working_day():
    assert cal.add_working_days(bj(2025, 10, 3, 11, 0), 0) == eod(2025, 10, 9)
    assert cal.add_working_days(bj(2026, 2, 21, 11, 0), 0) == eod(2026, 2, 24)


def test_the_beijing_date_decides_not_the_input_zone():
    # 2025-09-29 23:00 in Beijing: the next working day is Sep 30.
    assert cal.add_working_days(datetime(2025, 9, 29, 15, 0, tzinfo=UTC), 1) == eod(2025, 9, 30)
    # 2025-09-30 00:30 in Beijing: the next working day is Oct 9.
    due = cal.add_working_days(datetime(2025, 9, 29, 16, 30, tzinfo=UTC), 1)
    assert due == eod(2025, 10, 9)
    assert due.tzinfo is BEIJING


def test_calendar_days_and_hours_ignore_holidays():
    assert cal.add_calendar_days(bj(2025, 9, 30, 10, 0), 30) == eod(2025, 10, 30)
    assert cal.add_calendar_days(datetime(2025, 9, 30, 17, 0, tzinfo=UTC), 0) == eod(2025, 10, 1)
    assert cal.add_hours(bj(2025, 9, 30, 23, 0), 2) == bj(2025, 10, 1, 1, 0)
    assert cal.add_hours(datetime(2025, 9, 30, 1, 15, tzinfo=UTC), 2.5) == bj(2025, 9, 30, 11, 45)


def test_working_days_between():
    assert cal.working_days_between(bj(2025, 9, 30, 9), bj(2025, 10, 12, 9)) == 3  # Oct 9, 10, 11
    assert cal.working_days_between(bj(2025, 10, 1, 9), bj(2025, 10, 8, 18)) == 0
    assert cal.working_days_between(bj(2025, 9, 30, 9), bj(2025, 9, 30, 18)) == 0
    assert cal.working_days_between(bj(2025, 10, 12, 9), bj(2025, 9, 30, 9)) == 0


def test_next_working_day_and_end_of_day():
    assert cal.next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert cal.end_of_day(date(2026, 2, 14)) == eod(2026, 2, 14)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        cal.add_working_days(bj(2025, 9, 30, 10), -1)


def test_covers():
    assert cal.covers(date(2026, 12, 31))
    assert cal.covers(date(2004, 1, 1))
    assert not cal.covers(date(2027, 1, 1))
    assert not cal.covers(date(2003, 12, 31))
    assert WorkCalendar({date(2027, 1, 1): False}).covers(date(2027, 6, 1))


# --- beyond the library's years ---


def test_an_overridden_year_is_not_warned_about():
    calendar = WorkCalendar({date(2027, 1, 1): False})
    assert calendar.add_working_days(bj(2026, 12, 31, 10), 1) == eod(2027, 1, 4)


def test_uncovered_year_falls_back_to_weekdays_and_warns_once_per_year():
    calendar = WorkCalendar()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert calendar.add_working_days(bj(2026, 12, 31, 10), 1) == eod(2027, 1, 1)
        assert calendar.add_working_days(bj(2027, 1, 1, 10), 1) == eod(2027, 1, 4)
        assert not calendar.is_working_day(date(2027, 1, 2))
        assert calendar.is_working_day(date(2028, 3, 1))
    coverage = [w for w in caught if issubclass(w.category, CalendarCoverageWarning)]
    assert len(coverage) == 2
    assert "2027" in str(coverage[0].message) and "holidays.yml" in str(coverage[0].message)
    assert "2028" in str(coverage[1].message)


uncovered_starts = st.one_of(
    st.datetimes(min_value=datetime(2027, 1, 2), max_value=datetime(2035, 12, 31), timezones=zones),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2003, 6, 30), timezones=zones),
)


@settings(deadline=None)
@given(start=uncovered_starts, n=st.integers(min_value=0, max_value=60))
def test_beyond_the_library_never_raises_and_lands_on_a_weekday(start, n):
    calendar = WorkCalendar()
    with pytest.warns(CalendarCoverageWarning):
        due = calendar.add_working_days(start, n)
    assert due.weekday() < 5
    assert due >= start


# --- properties inside the library's years ---


@settings(deadline=None)
@given(start=covered_starts, n=working_days)
def test_due_is_the_end_of_a_working_day(start, n):
    due = cal.add_working_days(start, n)
    assert due.tzinfo is BEIJING
    assert due == cal.end_of_day(due.date())
    assert chinese_calendar.is_workday(due.date())
    assert due > start


@settings(deadline=None)
@given(start=covered_starts, n=st.integers(min_value=1, max_value=90))
def test_exactly_n_working_days_after_the_start_day(start, n):
    due = cal.add_working_days(start, n)
    start_day = start.astimezone(BEIJING).date()
    assert library_count(start_day, due.date()) == n
    assert cal.working_days_between(start, due) == n


@settings(deadline=None)
@given(start=covered_starts)
def test_zero_days_is_the_first_working_day_from_the_start_day(start):
    start_day = start.astimezone(BEIJING).date()
    due = cal.add_working_days(start, 0).date()
    assert due >= start_day
    assert library_count(start_day - timedelta(days=1), due) == 1


@settings(deadline=None)
@given(start=covered_starts, a=working_days, b=working_days)
def test_monotonic_in_n(start, a, b):
    a, b = min(a, b), max(a, b)
    due_a, due_b = cal.add_working_days(start, a), cal.add_working_days(start, b)
    assert due_a <= due_b
    if 1 <= a < b:
        assert due_a < due_b


@settings(deadline=None)
@given(day=st.sampled_from(MAKEUP_DAYS), hour=st.integers(0, 23))
def test_a_makeup_weekend_day_counts_as_a_working_day(day, hour):
    assert cal.is_working_day(day)
    before = day - timedelta(days=1)
    while not chinese_calendar.is_workday(before):
        before -= timedelta(days=1)
    assert cal.add_working_days(bj(before.year, before.month, before.day, hour), 1) == cal.end_of_day(day)
    assert cal.working_days_between(bj(before.year, before.month, before.day, hour), cal.end_of_day(day)) == 1


@settings(deadline=None)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    working=st.booleans(),
)
def test_overrides_win(day, working):
    calendar = WorkCalendar({day: working})
    assert calendar.is_working_day(day) is working
    assert calendar.covers(day)
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        if cal.covers(other):
            assert calendar.is_working_day(other) == chinese_calendar.is_workday(other)
    before = bj(day.year, day.month, day.day, 12) - timedelta(days=1)
    with warnings.catch_warnings():
        # The neighbouring years may be outside the library; that is not what is tested here.
        warnings.simplefilter("ignore", CalendarCoverageWarning)
        due = calendar.add_working_days(before, 1)
    assert (due == calendar.end_of_day(day)) is working


naive = st.datetimes(min_value=datetime(2004, 1, 2), max_value=datetime(2026, 7, 31))


@settings(deadline=None)
@given(dt=naive, aware=covered_starts)
def test_naive_datetimes_are_refused(dt, aware):
    with pytest.raises(ValueError):
        cal.add_working_days(dt, 1)
    with pytest.raises(ValueError):
        cal.add_calendar_days(dt, 1)
    with pytest.raises(ValueError):
        cal.add_hours(dt, 2)
    with pytest.raises(ValueError):
        cal.working_days_between(dt, aware)
    with pytest.raises(ValueError):
        cal.working_days_between(aware, dt)
    with pytest.raises(ValueError):
        format_due(dt)


# --- overrides file ---


def test_load_overrides(tmp_path):
    path = tmp_path / "holidays.yml"
    path.write_text(
        "# 2027\nworking: [2027-02-20, '2027-02-21']\noff:\n  - 2027-01-01\n", encoding="utf-8"
    )
    assert load_overrides(path) == {
        date(2027, 2, 20): True,
        date(2027, 2, 21): True,
        date(2027, 1, 1): False,
    }


@pytest.mark.parametrize(
    "text",
    [
        "working: [2027-01-01]\noff: [2027-01-01]\n",
        "workng: [2027-01-01]\n",
        "off: [not-a-date]\n",
        "off: 2027-01-01\n",
    ],
)
def test_load_overrides_refuses_mistakes(tmp_path, text):
    path = tmp_path / "holidays.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        load_overrides(path)


def test_empty_overrides_file(tmp_path):
    path = tmp_path / "holidays.yml"
    path.write_text("working: []\noff: []\n", encoding="utf-8")
    assert load_overrides(path) == {}


def test_default_calendar_reads_the_shipped_file():
    overrides = load_overrides()
    assert all(isinstance(d, date) and isinstance(v, bool) for d, v in overrides.items())
    assert default_calendar() is default_calendar()
    assert default_calendar().overrides == overrides


def test_calendar_copies_its_overrides():
    mine = {date(2025, 10, 9): False}
    calendar = WorkCalendar(mine)
    mine[date(2025, 10, 10)] = False
    assert calendar.add_working_days(bj(2025, 9, 30, 10), 1) == eod(2025, 10, 10)


# --- format_due ---


def test_format_due():
    assert format_due(eod(2026, 11, 27)) == "2026年11月27日（星期五）24:00前"
    assert format_due(bj(2026, 11, 23, 14, 30)) == "2026年11月23日（星期一）14:30前"
    assert format_due(datetime(2026, 11, 23, 6, 30, tzinfo=UTC)) == "2026年11月23日（星期一）14:30前"
    assert format_due(bj(2026, 3, 1, 9, 5, 59)) == "2026年3月1日（星期日）09:05前"
    # The midnight right after a day is that day's 24:00.
    assert format_due(bj(2026, 11, 28, 0, 0)) == "2026年11月27日（星期五）24:00前"
    assert format_due(cal.add_working_days(bj(2025, 9, 30, 10), 1)) == "2025年10月9日（星期四）24:00前"
