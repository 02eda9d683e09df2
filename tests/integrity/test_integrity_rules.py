"""The integrity rules as plain functions: severity, the record's life, its
clocks and publication period, the score formula and the warning rule."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake_store.integrity import rules
from intake_store.integrity.rules import Figures, RecordEvent
from intake_store.lifecycle import TransitionError
from intake_store.workcalendar import BEIJING, default_calendar

CONFIG = rules.default_config()
CAL = default_calendar()
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 Beijing


def at(**kw) -> datetime:
    return T0 + timedelta(**kw)


def recorded(severity="general", body="finance") -> list[RecordEvent]:
    return [RecordEvent("record", T0, payload={
        "ticket_number": "20261116-0001", "category": "arrears", "body_code": body, "body_name": "烟台市财政局",
        "result": "substantiated", "findings": "尾款未付", "severity": severity})]


def life_of(events):
    life = rules.RecordLife()
    for e in events:
        rules.check_record(life, e)
        life = rules.apply_record(life, e)
    return life


def refused(events, event) -> str:
    with pytest.raises(TransitionError) as e:
        rules.check_record(life_of(events), event)
    return e.value.message


# ---------------------------------------------------------------- severity

@pytest.mark.parametrize("category, result, amount, urgent, expected", [
    ("arrears", "substantiated", Decimal("380000"), False, "general"),
    ("arrears", "substantiated", Decimal("1000000"), False, "serious"),
    ("arrears", "partly_substantiated", Decimal("2000000"), False, "general"),
    ("wage_arrears", "substantiated", Decimal("50000"), True, "serious"),
    ("wage_arrears", "substantiated", Decimal("50000"), False, "general"),
    ("court_judgment", "substantiated", None, True, "serious"),
    ("approval", "substantiated", None, False, "minor"),
    ("approval", "partly_substantiated", None, False, "minor"),
    ("statistics", "substantiated", None, False, "serious"),
    ("township_service", "substantiated", Decimal("99999999"), True, "general"),  # no escalation rule for this category
])
def test_default_severity_by_category_amount_urgency_and_result(category, result, amount, urgent, expected):
    assert rules.default_severity(CONFIG, category, result, amount, urgent) == expected


def test_a_config_file_with_a_mistake_is_refused_with_what_is_wrong(tmp_path: Path):
    text = rules.CONFIG_PATH.read_text(encoding="utf-8").replace("base: serious}", "base: very_serious}", 1)
    bad = tmp_path / "integrity.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="very_serious"):
        rules.load_config(bad)


# ---------------------------------------------------------------- the record's life

def test_objection_answer_and_correction_in_order():
    events = recorded()
    events.append(RecordEvent("object", at(days=1), "财政局", "department", reason="项目款已于核查前支付"))
    assert life_of(events).stage == "objection"
    assert "已有一项异议" in refused(events, RecordEvent("object", at(days=2), "财政局", "department", reason="再提"))
    assert "只有异议成立后" in refused(events, RecordEvent("correct", at(days=2), "信用办", "supervisor", reason="x",
                                                             payload={"withdraw": True}))
    assert "必须填写理由" in refused(events, RecordEvent("objection_uphold", at(days=2), "信用办", "supervisor"))
    events.append(RecordEvent("objection_uphold", at(days=3), "信用办", "supervisor", reason="付款凭证属实"))
    life = life_of(events)
    assert life.stage == "correction" and life.status_name == "有效（待更正）"
    assert "请说明如何更正" in refused(events, RecordEvent("correct", at(days=4), "信用办", "supervisor", reason="更正"))
    events.append(RecordEvent("correct", at(days=4), "信用办", "supervisor", reason="撤销", payload={"withdraw": True}))
    life = life_of(events)
    assert life.status == "withdrawn" and life.stage is None
    assert "已撤销" in refused(events, RecordEvent("repair_apply", at(days=5), "财政局", "department",
                                                   payload={"rectification": "x", "evidence": "y"}))


def test_roles_decide_who_may_do_what():
    events = recorded()
    assert "无权" in refused(events, RecordEvent("object", at(days=1), "信用办", "supervisor", reason="x"))
    assert "无权" in refused(events, RecordEvent("repair_approve", at(days=1), "财政局", "department"))
    assert "无权" in refused(events, RecordEvent("record", at(days=1), "财政局", "department"))


def test_repair_needs_rectification_and_evidence_and_one_application_at_a_time():
    events = recorded()
    apply = RecordEvent("repair_apply", at(days=1), "财政局", "department", payload={"rectification": "已全额支付尾款"})
    assert refused(events, apply) == "请提供整改证明材料。"
    events.append(replace(apply, payload={"rectification": "已全额支付尾款", "evidence": "银行回单"}))
    assert life_of(events).status_name == "有效（修复审核中）"
    assert "正在审核" in refused(events, apply)
    assert "审核后再提出异议" in refused(events, RecordEvent("object", at(days=2), "财政局", "department", reason="x"))
    events.append(RecordEvent("repair_refuse", at(days=2), "信用办", "supervisor", reason="回单金额与欠款不符"))
    assert life_of(events).status == "active"
    events.append(replace(apply, at=at(days=3), payload={"rectification": "补付差额", "evidence": "两张银行回单"}))
    events.append(RecordEvent("repair_approve", at(days=4), "信用办", "supervisor"))
    life = life_of(events)
    assert life.status == "repaired" and life.repaired_at == at(days=4)
    assert [r.decision for r in life.repairs] == ["refused", "approved"]
    assert "已经修复" in refused(events, replace(apply, at=at(days=5)))


def test_a_record_without_a_catalog_body_waits_to_be_attached():
    events = recorded(body=None)
    assert life_of(events).stage == "attach"
    assert "尚未认定" in refused(events, RecordEvent("object", at(days=1), "x", "department", reason="x"))
    events.append(RecordEvent("attach", at(days=1), "信用办", "supervisor", payload={"body_code": "sasac", "body_name": "国资委"}))
    life = life_of(events)
    assert life.body_code == "sasac" and life.stage is None
    assert "如认定有误请走异议程序" in refused(events, RecordEvent("attach", at(days=2), "信用办", "supervisor",
                                                              payload={"body_code": "finance"}))


# ---------------------------------------------------------------- clocks and publication

def test_objection_clock_is_10_working_days_and_configurable_to_15():
    events = recorded() + [RecordEvent("object", T0, "财政局", "department", reason="有误")]
    life = life_of(events)
    ten = rules.record_clocks(life, CONFIG, CAL)["objection"]
    fifteen = rules.record_clocks(life, replace(CONFIG, objection_days=15), CAL)["objection"]
    # Monday 16 Nov 2026: 10 working days end Monday 30 Nov, 15 end Monday 7 Dec (24:00 Beijing).
    assert ten.due_at.astimezone(BEIJING).date().isoformat() == "2026-11-30"
    assert fifteen.due_at.astimezone(BEIJING).date().isoformat() == "2026-12-07"
    assert not ten.overdue(ten.due_at) and ten.overdue(ten.due_at + timedelta(seconds=1))


def test_an_objection_answered_late_is_marked_late_and_its_correction_has_its_own_clock():
    late = at(days=20)
    events = recorded() + [RecordEvent("object", T0, "财政局", "department", reason="有误"),
                           RecordEvent("objection_uphold", late, "信用办", "supervisor", reason="成立")]
    clocks = rules.record_clocks(life_of(events), CONFIG, CAL)
    assert clocks["objection"].late
    correction = clocks["correction"]
    assert correction.started_at == late and correction.running
    assert correction.due_at == CAL.add_working_days(late, 5)


# Recorded on T0 (2026-11-16); publication_months in integrity.yml: 轻微 0-3, 一般 3-12, 严重 12-36.
@pytest.mark.parametrize("severity, repaired_until, unrepaired_until", [
    ("minor", datetime(2026, 11, 26, 2, tzinfo=timezone.utc), datetime(2027, 2, 16, 2, tzinfo=timezone.utc)),
    ("general", datetime(2027, 2, 16, 2, tzinfo=timezone.utc), datetime(2027, 11, 16, 2, tzinfo=timezone.utc)),
    ("serious", datetime(2027, 11, 16, 2, tzinfo=timezone.utc), datetime(2029, 11, 16, 2, tzinfo=timezone.utc)),
])
def test_publication_period_by_severity_and_repair_shortens_it_to_the_minimum(severity, repaired_until,
                                                                               unrepaired_until):
    life = life_of(recorded(severity))
    assert rules.counts_until(life, CONFIG) == unrepaired_until
    approved = at(days=10)
    repaired = life_of(recorded(severity) + [
        RecordEvent("repair_apply", at(days=5), "财政局", "department", payload={"rectification": "整改", "evidence": "证明"}),
        RecordEvent("repair_approve", approved, "信用办", "supervisor")])
    # repaired: the later of the approval (2026-11-26) and the minimum period
    assert rules.counts_until(repaired, CONFIG) == repaired_until
    assert rules.counts_against(repaired, CONFIG, at(days=9))


def test_a_withdrawn_record_never_counts():
    life = replace(life_of(recorded()), withdrawn=True)
    assert not rules.counts_against(life, CONFIG, T0)


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    jan31 = datetime(2027, 1, 31, 10, tzinfo=BEIJING)
    assert rules.add_months(jan31, 1).date().isoformat() == "2027-02-28"
    assert rules.add_months(jan31, 13).date().isoformat() == "2028-02-29"
    assert rules.add_months(jan31, 0) == jan31


# ---------------------------------------------------------------- score and grade

GOOD = Figures("x", received=10, accept_due=10, accept_on_time=10, reply_due=10, reply_on_time=10,
               satisfaction={"very_satisfied": 10})


def test_a_body_that_keeps_every_promise_scores_100():
    assert rules.integrity_score(GOOD, CONFIG) == 100.0
    assert rules.grade(100.0, CONFIG).grade == "A"


def test_score_formula_as_documented():
    f = Figures("x", received=10, accept_due=10, accept_on_time=8, reply_due=10, reply_on_time=5, reopened=2,
                satisfaction={"satisfied": 2, "unsatisfied": 2}, overdue_open=4, counting={"general": 1, "serious": 1})
    # performance = 100 × (0.2×0.8 + 0.3×0.5 + 0.3×0.4 + 0.2×0.8) = 59; penalty = 5 + 10 + 4×0.5 = 17
    assert rules.integrity_score(f, CONFIG) == 42.0
    assert rules.grade(42.0, CONFIG).name == "失信风险高"


def test_the_formula_follows_the_configured_weights_and_points():
    f = Figures("x", received=10, accept_due=10, accept_on_time=5, reply_due=10, reply_on_time=10, counting={"minor": 1})
    only_reply = replace(CONFIG, weights={"accept": 0, "reply": 1, "satisfaction": 0, "no_reopen": 0},
                         record_points={"minor": 7, "general": 5, "serious": 10})
    # satisfaction not measured: 100 × (0.2×0.5 + 0.3×1 + 0.2×1) / 0.7 = 85.71; less 2 for one 轻微 record
    assert rules.integrity_score(f, CONFIG) == 83.7
    assert rules.integrity_score(f, only_reply) == 93.0


def test_unmeasured_parts_leave_the_average_and_the_rest_are_reweighted():
    only_accept = Figures("x", received=4, accept_due=4, accept_on_time=3)
    # Reply and satisfaction are not measured; reopen is (0 of 4): (0.2×0.75 + 0.2×1) / 0.4
    assert rules.integrity_score(only_accept, CONFIG) == 87.5
    assert rules.integrity_score(Figures("x"), CONFIG) == 100.0


counts = st.integers(min_value=0, max_value=50)


@given(received=counts, a=counts, r=counts, sat=st.lists(st.sampled_from(rules.SATISFACTION_LEVELS), max_size=30),
       overdue=counts, records=st.dictionaries(st.sampled_from(rules.SEVERITIES), counts))
def test_score_stays_between_0_and_100_and_a_further_record_never_raises_it(received, a, r, sat, overdue, records):
    f = Figures("x", received=received, accept_due=received, accept_on_time=min(a, received), reply_due=received,
                reply_on_time=min(r, received), satisfaction={s: sat.count(s) for s in set(sat)},
                overdue_open=overdue, counting=records)
    score = rules.integrity_score(f, CONFIG)
    assert 0 <= score <= 100
    worse = replace(f, counting={**records, "minor": records.get("minor", 0) + 1})
    assert rules.integrity_score(worse, CONFIG) <= score


# ---------------------------------------------------------------- early warning

def test_warning_when_rising_above_the_own_baseline():
    reasons = rules.warning_reasons({"substantiated": 4}, {"substantiated": [1, 2, 1]}, CONFIG)
    assert reasons == ["近30天经核查属实的投诉4件，高于本单位此前3期平均1.3件的1.5倍"]


def test_no_warning_for_a_body_at_its_usual_level_or_below_the_minimum_count():
    assert rules.warning_reasons({"substantiated": 4}, {"substantiated": [4, 3, 4]}, CONFIG) == []
    assert rules.warning_reasons({"substantiated": 2}, {"substantiated": [0, 0, 0]}, CONFIG) == []


def test_warning_above_the_threshold_even_at_the_usual_level():
    reasons = rules.warning_reasons({"overdue": 12}, {"overdue": [12, 12, 12]}, CONFIG)
    assert reasons == ["近30天错过签收或答复时限的工单12件，达到预警阈值10件"]
