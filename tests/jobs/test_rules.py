"""What the deadline jobs decide, as plain functions: given a ticket's events and
a time, which reminders, 督办 cards and 回访 steps are due, on the Chinese
working-day calendar (holidays and 调休 Saturdays included)."""
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from intake_store.catalog import default_catalog
from intake_store.clocks import compute_clocks
from intake_store.jobs.rules import (
    BEFORE_DUE_ONLY,
    CARDS,
    DEPARTMENT_CLOCKS,
    cards_given,
    decide,
    next_check,
    red_card_deadline,
    reminder_time,
    supervisor_of,
)
from intake_store.lifecycle import Event, replay
from intake_store.workcalendar import BEIJING, default_calendar

CAT = default_catalog()
CAL = default_calendar()


def bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


END = (23, 59, 59, 999999)


def dispatched(at, category="wage_arrears", urgent=False, lead="hrss"):
    return [Event("submit", at, payload={"category": category, "urgent": urgent}),
            Event("dispatch", at, payload={"lead": lead, "co": []})]


def worked(events, *steps):
    """Department steps, each (action, at)."""
    payloads = {"verify": {"result": "substantiated", "findings": "属实"}, "reply": {"text": "已处理"}}
    return events + [Event(a, at, role="department", payload=payloads.get(a, {})) for a, at in steps]


def looks(events, now, cards=frozenset()):
    life = replay(events)
    clocks = compute_clocks(life, CAT, CAL, now)
    return [(a.kind, a.clock) for a in decide(life, clocks, now, CAL, cards)], next_check(life, clocks, now, CAL)


def card(kind, clock, due):
    return (CARDS[kind], clock, due)


# ---------------------------------------------------------------- examples on the 2026 calendar

def test_reminders_come_one_working_day_before_even_across_national_day():
    # Dispatched on 30 Sep 2026; 1-7 Oct are holidays, so 签收 is due 8 Oct and 答复
    # (5 working days, counting the make-up Saturday 10 Oct) on 13 Oct.
    events = dispatched(bj(2026, 9, 30, 10))
    assert looks(events, bj(2026, 9, 30, 23)) == ([], bj(2026, 9, 30, *END))
    acts, nxt = looks(events, bj(2026, 10, 1, 0, 0, 1))
    assert acts == [("remind", "accept")]  # told before the holiday that it is due on 8 Oct
    assert nxt == bj(2026, 10, 9)  # next: the first instant 签收 is overdue
    life = replay(events)
    clocks = compute_clocks(life, CAT, CAL, bj(2026, 10, 1))
    assert clocks["accept"].due_at == bj(2026, 10, 8, *END)
    assert clocks["reply"].due_at == bj(2026, 10, 13, *END)
    assert reminder_time(clocks["reply"], CAL) == bj(2026, 10, 12, *END)


def test_yellow_card_when_overdue_and_red_three_working_days_later_counting_the_make_up_saturday():
    events = dispatched(bj(2026, 9, 30, 10))  # 签收 due 8 Oct, never signed for
    acts, _ = looks(events, bj(2026, 10, 9, 0, 0, 1))
    assert ("yellow_card", "accept") in acts and ("red_card", "accept") not in acts
    yellow = frozenset({card("yellow_card", "accept", bj(2026, 10, 8, *END))})
    # 9 Oct (Fri), 10 Oct (Sat, a 调休 working day), 12 Oct (Mon): red at the start of 13 Oct,
    # a day earlier than a Monday-to-Friday calendar would say.
    assert red_card_deadline(bj(2026, 10, 8, *END), CAL) == bj(2026, 10, 12, *END)
    acts, nxt = looks(events, bj(2026, 10, 12, 23), yellow)
    assert ("red_card", "accept") not in acts and nxt == bj(2026, 10, 12, *END)
    acts, _ = looks(events, bj(2026, 10, 13, 0, 0, 1), yellow)
    assert ("red_card", "accept") in acts and ("yellow_card", "accept") not in acts


def test_a_card_in_the_history_is_not_given_again():
    events = dispatched(bj(2026, 9, 30, 10))
    due = bj(2026, 10, 8, *END)
    events.append(Event("supervise", bj(2026, 10, 9, 0, 1), payload={"card": "yellow", "clock": "accept",
                                                                      "due_at": due.isoformat()}))
    cards = cards_given(events)
    assert cards == {("yellow", "accept", due)}
    acts, _ = looks(events, bj(2026, 10, 9, 9), cards)
    assert ("yellow_card", "accept") not in acts


def test_no_reminder_once_the_clock_is_overdue_the_card_takes_over():
    events = dispatched(bj(2026, 11, 16, 10))
    acts, _ = looks(events, bj(2026, 11, 18, 9))  # 签收 was due 17 Nov; nobody looked since dispatch
    assert ("remind", "accept") not in acts and ("yellow_card", "accept") in acts


def test_an_urgent_two_hour_accept_clock_gets_no_reminder_but_a_card():
    events = dispatched(bj(2026, 11, 16, 10), urgent=True)
    life = replay(events)
    clocks = compute_clocks(life, CAT, CAL, bj(2026, 11, 16, 10))
    assert reminder_time(clocks["accept"], CAL) is None
    acts, _ = looks(events, bj(2026, 11, 16, 12, 1))
    assert acts == [("yellow_card", "accept")]


def test_follow_up_across_the_spring_festival_asks_again_then_closes_unrated():
    # Replied Fri 13 Feb 2026. 回访 is 3 working days: Sat 14 Feb (调休), then the
    # holiday until 23 Feb, then 24 and 25 Feb: due 25 Feb 24:00.
    t = bj(2026, 2, 12, 10)
    events = worked(dispatched(t), ("accept", t), ("verify", t), ("reply", bj(2026, 2, 13, 10)))
    assert looks(events, bj(2026, 2, 24, 12)) == ([], bj(2026, 2, 24, *END))
    assert looks(events, bj(2026, 2, 25, 0, 0, 1))[0] == [("ask_rating", "follow_up")]
    acts, _ = looks(events, bj(2026, 2, 26, 0, 0, 1))
    assert acts == [("close_unrated", "follow_up")]


def test_paused_clocks_ask_for_nothing_until_resumed():
    t = bj(2026, 11, 16, 10)
    events = worked(dispatched(t), ("accept", t))
    events.append(Event("pause", bj(2026, 11, 16, 11), role="department", reason="请补充合同"))
    acts, _ = looks(events, bj(2026, 12, 10))
    assert not [a for a in acts if a[1] in ("verify", "reply")]
    events.append(Event("resume", bj(2026, 12, 10), role="operator"))
    life = replay(events)
    clocks = compute_clocks(life, CAT, CAL, bj(2026, 12, 10, 1))
    assert clocks["reply"].due_at > bj(2026, 12, 10)  # the paused weeks do not count


def test_an_approved_extension_moves_reminder_and_cards_to_the_new_date():
    t = bj(2026, 11, 16, 10)
    events = worked(dispatched(t), ("accept", t), ("verify", bj(2026, 11, 17)))
    events += [Event("extension_request", bj(2026, 11, 18), role="department", reason="需协调财政资金",
                     payload={"new_due": date(2026, 12, 4)}),
               Event("extension_approve", bj(2026, 11, 18, 12), role="operator")]
    acts, _ = looks(events, bj(2026, 11, 24, 9))  # the old 答复 due date (23 Nov) has passed
    assert ("yellow_card", "reply") not in acts
    acts, _ = looks(events, bj(2026, 12, 4, 0, 0, 1))  # one working day before 4 Dec 24:00
    assert acts == [("remind", "reply")]
    acts, _ = looks(events, bj(2026, 12, 5, 0, 0, 1))
    assert acts == [("yellow_card", "reply")]


def test_a_second_unsatisfied_rating_goes_to_the_supervisor():
    t = bj(2026, 11, 16, 10)
    events = worked(dispatched(t), ("accept", t), ("verify", t), ("reply", t))
    events.append(Event("follow_up", bj(2026, 11, 17), role="service", payload={"satisfaction": "unsatisfied"}))
    assert replay(events).state == "reopened"
    events = worked(events, ("accept", bj(2026, 11, 18)), ("verify", bj(2026, 11, 18)), ("reply", bj(2026, 11, 19)))
    events.append(Event("follow_up", bj(2026, 11, 20), role="service", payload={"satisfaction": "unsatisfied"}))
    acts, nxt = looks(events, bj(2026, 11, 20, 0, 1))
    assert acts == [("escalate", None)] and nxt is None  # no clock runs while a supervisor has it


def test_red_cards_and_escalations_go_to_the_body_that_supervises_the_lead():
    assert supervisor_of(CAT, "hrss", "wage_arrears") == "credit"
    assert supervisor_of(CAT, "credit", "legacy_default") == "discipline"
    # 纪委监委 has no supervisor and supervises misconduct itself: the hotline office takes it.
    assert supervisor_of(CAT, "discipline", "official_misconduct") == "hotline"


def test_red_card_never_goes_to_the_accused_body():
    # 财政局 leads a procurement complaint against 发改委, its own usual supervisor:
    # the card goes to the body above the accused (纪委监委), never to the accused.
    assert supervisor_of(CAT, "finance", "procurement") == "credit"
    assert supervisor_of(CAT, "finance", "procurement", accused="credit") == "discipline"
    for lead in ("finance", "hrss", "commerce", "court", "laishan"):
        for category in CAT.categories:
            for accused in CAT.departments:
                assert supervisor_of(CAT, lead, category, accused) not in (lead, accused)


# ---------------------------------------------------------------- properties

when = st.datetimes(min_value=datetime(2026, 1, 2), max_value=datetime(2026, 11, 30), timezones=st.just(BEIJING))
categories = st.sampled_from(["wage_arrears", "arrears", "investment_promise", "disclosure", "credit_objection"])


@settings(deadline=None, max_examples=150)
@given(start=when, category=categories, urgent=st.booleans(), accepted_after=st.none() | st.integers(0, 200),
       lag=st.lists(st.integers(0, 59), min_size=30, max_size=30))
def test_following_the_alarms_gives_every_action_once_in_time_and_in_order(start, category, urgent, accepted_after, lag):
    """Look at the ticket whenever `next_check` says (a sweep may come up to a
    minute late): each reminder, yellow and red card of each running clock is
    decided, none twice, none before its time, no reminder after the due time."""
    events = dispatched(start, category, urgent)
    if accepted_after is not None:
        events = worked(events, ("accept", start + timedelta(hours=accepted_after)))
    now = first_look = events[-1].at
    life = replay(events)
    clocks = compute_clocks(life, CAT, CAL, now)
    cards, decided, seen = set(), {}, []
    for delay in lag:
        for a in decide(life, clocks, now, CAL, frozenset(cards)):
            assert a.at <= now
            if a.kind in BEFORE_DUE_ONLY:
                assert now <= a.due_at
            if a.kind in CARDS:
                cards.add((CARDS[a.kind], a.clock, a.due_at))
                seen.append(a)
            decided.setdefault(a.key, (a.kind, a.clock))  # the outbox's unique key drops a repeat
        nxt = next_check(life, clocks, now, CAL)
        if nxt is None:
            break
        assert nxt > now
        now = nxt + timedelta(seconds=delay)
    expected = set()
    for c in clocks.values():
        if c.name in DEPARTMENT_CLOCKS and c.running and not c.projected:
            expected |= {("yellow_card", c.name), ("red_card", c.name)}
            if reminder_time(c, CAL) and first_look <= c.due_at:  # no reminder for a clock already overdue
                expected.add(("remind", c.name))
    assert sorted(decided.values()) == sorted(expected)
    assert len(seen) == len({(a.kind, a.clock) for a in seen})  # each card decided once


@settings(deadline=None, max_examples=200)
@given(start=when, days=st.integers(1, 15))
def test_a_reminder_is_exactly_one_working_day_before_and_a_red_card_three_after(start, days):
    due = CAL.add_working_days(start, days)
    life = replay(dispatched(start))
    clock = compute_clocks(life, CAT, CAL, start)["reply"]
    clock = type(clock)(clock.name, clock.label, clock.started_at, due)
    remind = reminder_time(clock, CAL)
    if remind is None:  # dispatched on a holiday with 1 working day to go: the dispatch is the notice
        assert days == 1 and not CAL.is_working_day(start)
    else:
        assert remind < due and CAL.is_working_day(remind) and CAL.working_days_between(remind, due) == 1
    assert CAL.working_days_between(due, red_card_deadline(due, CAL)) == 3
