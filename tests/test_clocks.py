"""Every clock of DOMAIN.md, derived from events on the Chinese working-day calendar."""
from datetime import date, datetime, timedelta

import pytest

from intake_store.catalog import default_catalog
from intake_store.clocks import compute_clocks, latest_new_due, next_due
from intake_store.lifecycle import Event, TransitionError, check, replay
from intake_store.workcalendar import BEIJING, WorkCalendar, default_calendar

CAT = default_catalog()
CAL = default_calendar()


def bj(y, m, d, h=10, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=BEIJING)


def eod(y, m, d):
    return CAL.end_of_day(date(y, m, d))


def clocks_for(events, now=None, cal=CAL):
    life = replay(events)
    return compute_clocks(life, CAT, cal, now or events[-1].at)


def submit(at, category="wage_arrears", urgent=False):
    return Event("submit", at, payload={"category": category, "urgent": urgent})


def dispatch(at, lead="hrss"):
    return Event("dispatch", at, role="operator", payload={"lead": lead, "co": []})


def test_before_dispatch_the_citizen_sees_a_projected_reply_date():
    c = clocks_for([submit(bj(2026, 11, 16))])
    assert set(c) == {"reply"}
    assert c["reply"].projected and c["reply"].due_at == eod(2026, 11, 23)
    assert next_due(c) is None  # nobody is late on a projection


def test_accept_one_working_day_reply_five():
    c = clocks_for([submit(bj(2026, 11, 20)), dispatch(bj(2026, 11, 20))])  # a Friday
    assert c["accept"].due_at == eod(2026, 11, 23)  # Monday
    assert c["reply"].due_at == eod(2026, 11, 27)


def test_urgent_accept_within_two_hours():
    c = clocks_for([submit(bj(2026, 11, 20), urgent=True), dispatch(bj(2026, 11, 20, 10))])
    assert c["accept"].due_at == bj(2026, 11, 20, 12)


def test_holidays_and_a_make_up_saturday():
    # Dispatched the day before 国庆 2025: Oct 1-8 off, Oct 11 (Saturday) is a working day.
    c = clocks_for([submit(bj(2025, 9, 30)), dispatch(bj(2025, 9, 30))])
    assert c["accept"].due_at == eod(2025, 10, 9)
    assert c["reply"].due_at == eod(2025, 10, 14)  # 9, 10, 11 (Sat), 13, 14


def test_complex_category_gets_fifteen_working_days():
    c = clocks_for([submit(bj(2026, 11, 16), "investment_promise"), dispatch(bj(2026, 11, 16), "commerce")])
    assert c["reply"].due_at == eod(2026, 12, 7)


def test_arrears_owed_to_smes_counts_thirty_calendar_days_from_submission():
    c = clocks_for([submit(bj(2026, 11, 16), "arrears"), dispatch(bj(2026, 11, 18), "industry")])
    assert c["reply"].due_at == eod(2026, 12, 16)


def test_disclosure_complaint_gets_the_ordinary_reply_clock_not_the_seven_day_publication_window():
    # 000 三(五): "在作出行政决定的7个工作日内通过政府(管委)或部门网站向社会公开" — the time to
    # publish a decision, i.e. what makes a body late; a complaint about it is answered like any other.
    c = clocks_for([submit(bj(2026, 11, 16), "disclosure"), dispatch(bj(2026, 11, 16), "gov_services")])
    assert c["reply"].due_at == eod(2026, 11, 23)


def test_credit_objection_answer_clock_starts_at_submission_not_at_dispatch():
    # 003 二(十): "自接到异议申请之日起十五个工作日内向相关主体做出书面答复"; 001 9 uses 10 working days.
    c = clocks_for([submit(bj(2026, 11, 16), "credit_objection"), dispatch(bj(2026, 11, 18), "credit")])
    assert c["reply"].started_at == bj(2026, 11, 16)
    assert c["reply"].due_at == eod(2026, 11, 30)  # 10 working days from Monday the 16th


def test_sme_arrears_must_be_forwarded_within_ten_working_days_of_submission():
    # DOMAIN.md, Clocks (保障中小企业款项支付条例): "forward within 10 working days".
    waiting = clocks_for([submit(bj(2026, 11, 16), "arrears")], now=bj(2026, 12, 1))
    assert waiting["transfer"].due_at == eod(2026, 11, 30) and waiting["transfer"].overdue(bj(2026, 12, 1))
    assert next_due(waiting).name == "transfer"  # the dispatcher is late, not a department
    forwarded = clocks_for([submit(bj(2026, 11, 16), "arrears"), dispatch(bj(2026, 11, 27), "industry"),
                            Event("reroute", bj(2026, 12, 2), role="operator", reason="改派", payload={"lead": "finance"})])
    assert forwarded["transfer"].done_at == bj(2026, 11, 27) and not forwarded["transfer"].late
    assert "transfer" not in clocks_for([submit(bj(2026, 11, 16)), dispatch(bj(2026, 11, 16))])


def test_sme_arrears_reply_is_capped_at_ninety_days_even_with_an_extension():
    # DOMAIN.md, Clocks: "written result within 30 calendar days, at most 90".
    t = bj(2026, 11, 16)
    base = [submit(t, "arrears"), dispatch(t, "industry"), Event("accept", t, role="department")]
    limit = latest_new_due(replay(base), CAT, CAL)
    assert limit == date(2027, 2, 14)  # 90 calendar days after 16 November
    too_far = Event("extension_request", t, role="department", reason="需要协调", payload={"new_due": date(2027, 3, 1)})
    with pytest.raises(TransitionError, match="最长到2027年2月14日"):
        check(replay(base), too_far, latest_new_due=limit)
    stored = base + [too_far, Event("extension_approve", t, role="operator")]  # e.g. approved before the cap existed
    assert clocks_for(stored)["reply"].due_at == eod(2027, 2, 14)


def test_a_pause_adds_calendar_days_to_a_calendar_day_limit():
    # A pause from Friday to Monday is 3 calendar days but 1 working day; the 30-day limit counts calendar days.
    t = bj(2026, 11, 16)
    events = [submit(t, "arrears"), dispatch(t, "industry"), Event("accept", t, role="department"),
              Event("pause", bj(2026, 11, 20), role="department", reason="补充合同"),
              Event("resume", bj(2026, 11, 23), role="operator")]
    assert clocks_for(events)["reply"].due_at == eod(2026, 12, 19)  # 16 December + 3


def test_verification_is_never_due_after_the_reply():
    # DOMAIN.md, Clocks: 核查 "never later than the 答复 due time (a reply needs the 核查 first)".
    t = bj(2026, 11, 16)
    events = [submit(t), dispatch(t), Event("accept", bj(2026, 11, 20), role="department")]
    c = clocks_for(events)
    assert c["reply"].due_at == eod(2026, 11, 23)
    assert c["verify"].due_at == c["reply"].due_at  # not 27 November


def test_verify_follow_up_and_done_clocks():
    t = bj(2026, 11, 16)
    events = [
        submit(t), dispatch(t),
        Event("accept", t + timedelta(hours=1), role="department"),
        Event("verify", t + timedelta(days=1), role="department", payload={"result": "substantiated", "findings": "x"}),
        Event("reply", t + timedelta(days=2), role="department", payload={"text": "y"}),
    ]
    c = clocks_for(events)
    assert c["verify"].due_at == eod(2026, 11, 23)
    assert c["accept"].done_at == t + timedelta(hours=1) and not c["accept"].late
    assert c["follow_up"].due_at == eod(2026, 11, 23)  # replied Wed 18th + 3 working days
    assert next_due(c).name == "follow_up"


def test_a_pause_for_missing_material_extends_the_clock():
    t = bj(2026, 11, 16)
    base = [submit(t), dispatch(t), Event("accept", t, role="department")]
    paused = base + [
        Event("pause", bj(2026, 11, 17), role="department", reason="补充合同"),
        Event("resume", bj(2026, 11, 19), role="operator"),
    ]
    c = clocks_for(paused)
    assert c["reply"].due_at == eod(2026, 11, 25)  # 2 working days later than the 23rd
    waiting = clocks_for(base + [Event("pause", bj(2026, 11, 17), role="department", reason="补充合同")], now=bj(2026, 12, 30))
    assert waiting["reply"].paused and not waiting["reply"].overdue(bj(2026, 12, 30))


def test_approved_extension_moves_the_reply_due():
    t = bj(2026, 11, 16)
    events = [
        submit(t), dispatch(t), Event("accept", t, role="department"),
        Event("extension_request", t, role="department", reason="需要协调", payload={"new_due": date(2026, 12, 15)}),
        Event("extension_approve", t, role="operator"),
    ]
    assert clocks_for(events)["reply"].due_at == eod(2026, 12, 15)
    refused = events[:-1] + [Event("extension_refuse", t, role="operator", reason="不充分")]
    assert clocks_for(refused)["reply"].due_at == eod(2026, 11, 23)


def test_reopen_gives_a_new_clock_from_the_unsatisfied_follow_up():
    t = bj(2026, 11, 16)
    events = [
        submit(t), dispatch(t), Event("accept", t, role="department"),
        Event("verify", t, role="department", payload={"result": "unsubstantiated", "findings": "x"}),
        Event("reply", t, role="department", payload={"text": "y"}),
        Event("follow_up", bj(2026, 11, 18), role="service", payload={"satisfaction": "unsatisfied"}),
    ]
    c = clocks_for(events)
    assert c["accept"].started_at == bj(2026, 11, 18) and c["accept"].done_at is None
    assert c["reply"].due_at == eod(2026, 11, 25)


def test_overdue_and_closed_tickets_stop_their_clocks():
    t = bj(2026, 11, 16)
    c = clocks_for([submit(t), dispatch(t)], now=bj(2026, 11, 18))
    assert c["accept"].overdue(bj(2026, 11, 18))
    rejected = clocks_for([submit(t), Event("reject", t, role="operator", reason="重复")])
    assert all(not clk.running for clk in rejected.values())


def test_beyond_the_library_year_the_fallback_keeps_clocks_running(recwarn):
    cal = WorkCalendar(overrides={date(2027, 1, 1): False})
    c = clocks_for([submit(bj(2026, 12, 31)), dispatch(bj(2026, 12, 31))], cal=cal)
    assert c["accept"].due_at == cal.end_of_day(date(2027, 1, 4))  # Jan 1 off (override), then the weekend
