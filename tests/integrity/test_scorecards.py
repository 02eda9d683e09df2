"""Scorecards, early warning and the dashboard's figures, counted by SQL on
SQLite and PostgreSQL from tickets worked through the real operations."""
from datetime import timedelta

from integrity_work import act, department, file, work

from intake_store.db import session_scope
from intake_store.integrity import rules, scorecards

CONFIG = rules.default_config()
INDUSTRY = department("industry")


def cards(bo, start, end=None):
    now = bo.now()
    with session_scope(bo.engine) as s:
        return {c["body_code"]: c for c in scorecards.scorecards(s, bo.catalog, CONFIG, start, end or now, now)}


def test_scorecard_counts_what_each_body_did_in_the_period(bo, clock):
    start = clock()
    work(bo, result="substantiated", satisfaction="satisfied")  # on time throughout
    b = file(bo)
    clock.advance(days=3)  # Thursday: b's 签收 was due Tuesday 24:00
    act(bo, b, "accept", INDUSTRY)
    work(bo, result="unsubstantiated", respondent="市商务局", satisfaction="unsatisfied")  # 不满意: reopened
    file(bo)
    clock.advance(days=4)  # Monday: d never signed for, nor c since reopened; both were due Friday 24:00
    got = cards(bo, start)

    industry = got["industry"]  # the lead body of all four
    assert (industry["received"], industry["accept_due"], industry["accept_on_time"]) == (4, 4, 1)
    assert (industry["reply_due"], industry["reply_on_time"]) == (1, 1)
    assert industry["satisfaction"] == {"very_satisfied": 0, "satisfied": 1, "neutral": 0, "unsatisfied": 1}
    assert (industry["reopened"], industry["overdue_open"]) == (1, 2)
    assert industry["accept_on_time_rate"] == 0.25 and industry["reopen_rate"] == 0.25
    assert industry["complaints"] == 0 and industry["records"] == 0

    finance = got["finance"]  # the respondent of a, b and d
    assert (finance["complaints"], finance["substantiated"], finance["records"]) == (3, 1, 1)
    assert finance["counting"] == {"minor": 0, "general": 1, "serious": 0} and finance["received"] == 0
    assert (got["commerce"]["complaints"], got["commerce"]["substantiated"]) == (1, 0)

    # The score as integrity.yml defines it, worked out by hand from the figures above:
    # 100 × (0.2×1/4 签收 + 0.3×1/1 答复 + 0.3×(0.8 满意 + 0 不满意)/2 + 0.2×(1 - 1/4 重办)) = 62, less 2 overdue × 0.5
    assert (industry["score"], industry["grade"]) == (61.0, "C")
    assert (finance["score"], finance["grade"]) == (95.0, "A")  # nothing to measure: 100, less one 一般 record
    assert (got["commerce"]["score"], got["commerce"]["grade"]) == (100.0, "A")
    assert [c["body_code"] for c in sorted(got.values(), key=lambda c: c["rank"])] == ["commerce", "finance", "industry"]


def test_the_period_selects_tickets_received_in_it_but_open_overdue_and_counting_records_are_as_of_now(bo, clock):
    work(bo, result="substantiated")
    file(bo)  # never signed for
    clock.advance(days=7)
    got = cards(bo, clock() - timedelta(days=1))
    assert got["industry"]["received"] == 0 and got["industry"]["overdue_open"] == 1
    assert got["finance"]["complaints"] == 0 and got["finance"]["counting_records"] == 1


def test_a_department_gets_only_its_own_card(bo, clock):
    start = clock()
    work(bo)
    with session_scope(bo.engine) as s:
        own = scorecards.scorecards(s, bo.catalog, CONFIG, start, bo.now(), bo.now(), bodies=["finance"])
    assert [c["body_code"] for c in own] == ["finance"]


def test_early_warning_against_the_own_baseline_with_the_tickets_behind_it(bo, clock):
    t0 = clock()
    for window, (finance, commerce) in enumerate([(1, 3), (1, 3), (1, 3), (4, 3)]):
        clock.set(t0 + timedelta(days=30 * window + 1))
        for _ in range(finance):
            work(bo, result="substantiated")
        for _ in range(commerce):
            work(bo, result="partly_substantiated", respondent="市商务局")
    # Led by 财政局, never signed for: each misses its 签收 and then its 答复 deadline in the current window.
    late = [file(bo, category="procurement", respondent="公共资源交易中心") for _ in range(3)]
    clock.set(t0 + timedelta(days=120))
    with session_scope(bo.engine) as s:
        flagged = {w["body_code"]: w for w in scorecards.warnings(s, bo.catalog, CONFIG, bo.now())}
    assert set(flagged) == {"finance"}  # commerce stays at its usual 3
    finance = flagged["finance"]
    assert finance["reasons"] == ["近30天经核查属实的投诉4件，高于本单位此前3期平均1.0件的1.5倍",
                                  "近30天错过签收或答复时限的工单3件，高于本单位此前3期平均0.0件的1.5倍"]
    assert finance["current"] == {"substantiated": 4, "overdue": 3} and finance["baseline"]["substantiated"] == 1.0
    assert len(finance["tickets"]["substantiated"]) == 4
    assert sorted(finance["tickets"]["overdue"]) == sorted(late)  # once each, though each missed two deadlines


def test_dashboard_figures(bo, clock):
    work(bo, result="substantiated", satisfaction="very_satisfied")
    work(bo, result="substantiated", category="wage_arrears", respondent="市住建局", satisfaction="neutral")
    file(bo)  # never signed for
    clock.advance(days=7)
    with session_scope(bo.engine) as s:
        d = scorecards.dashboard(s, bo.catalog, CONFIG, bo.now())
    assert len(d["period"]["weeks"]) == 12 and d["period"]["weeks"][-2] == "11月16日"
    trend = {t["code"]: t["counts"] for t in d["category_trend"]}
    assert trend["arrears"][-2:] == [2, 0] and trend["wage_arrears"][-2] == 1
    assert {r["body_code"] for r in d["ranking"]} >= {"industry", "hrss", "finance", "housing"}
    assert d["overdue_heat"]["bodies"] == ["工业和信息化局"]
    assert d["overdue_heat"]["cells"] == [[10, 0, 1]]  # the week of 16 November, the one body, one ticket
    assert [(x["code"], x["name"], x["value"]) for x in d["satisfaction"]] == [
        ("very_satisfied", "非常满意", 1), ("satisfied", "满意", 0), ("neutral", "一般", 1), ("unsatisfied", "不满意", 0)]
    assert d["records_waiting"] == {} and d["records_overdue"] == 0
