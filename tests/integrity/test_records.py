"""Dishonesty records in the store, on SQLite and PostgreSQL: made by a
substantiated 核查 in the same transaction, objected to, corrected and repaired
through append-only events, with their clocks on the working-day calendar."""
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
from integrity_work import SUPERVISOR, act, department, file, lead_of, work
from sqlalchemy import delete, func, select

from intake_store.db import session_scope
from intake_store.integrity import rules, store
from intake_store.integrity.models import IntegrityRecord, RecordEventRow, TicketFact
from intake_store.lifecycle import TransitionError
from intake_store.models import Notification
from intake_store.tickets import commands
from intake_store.tickets.lookup import NotFound

CONFIG = rules.default_config()
FINANCE = department("finance")


def records(bo, **filters):
    with session_scope(bo.engine) as s:
        total, rows = store.list_records(s, store.RecordFilters(**filters), SUPERVISOR, bo.now())
        return [store.record_summary(bo, r, bo.now()) for r in rows]


def view(bo, record_id, config=CONFIG):
    with session_scope(bo.engine) as s:
        return store.record_view(bo, s, store.get_record(s, record_id, SUPERVISOR), config)


def record_act(bo, record_id, action, viewer, config=CONFIG, reason=None, **payload):
    with session_scope(bo.engine) as s:
        record, _ = store.record_act(bo, s, record_id, action, viewer, config, reason=reason, payload=payload)
        return store.record_view(bo, s, record, config)


def only_record(bo) -> dict:
    rows = records(bo)
    assert len(rows) == 1
    return rows[0]


def test_substantiated_verification_records_the_respondent_not_the_lead(bo):
    number = work(bo, result="属实")
    assert lead_of(bo, number) == "industry"
    r = only_record(bo)
    assert (r["body_code"], r["body_name"]) == ("finance", "烟台市财政局")
    assert (r["ticket_number"], r["severity"], r["status_name"]) == (number, "一般", "有效")
    assert r["counts_now"] is True
    detail = view(bo, r["id"])
    assert detail["findings"] == "经核查，情况属实。" and detail["verify_result"] == "属实"
    assert [e["action"] for e in detail["events"]] == ["record"]
    with session_scope(bo.engine) as s:
        told = s.execute(select(Notification).where(Notification.recipient == "finance")).scalars().one()
    assert told.channel == "portal" and "已记入政务失信记录" in told.body and "10个工作日内答复" in told.body


def test_partly_substantiated_is_recorded_one_level_lower_and_not_substantiated_is_not_recorded(bo):
    work(bo, result="不属实")
    assert records(bo) == []
    work(bo, result="部分属实", amount_yuan="2000000")
    assert only_record(bo)["severity"] == "一般"


def test_an_unknown_respondent_is_kept_as_named_and_waits_for_a_supervisor(bo):
    work(bo, respondent="开发区管委会招商科")
    r = only_record(bo)
    assert (r["body_code"], r["body_name"], r["needs_body"]) == (None, "开发区管委会招商科", True)
    assert r["status_name"] == "有效（待认定单位）" and r["counts_now"] is False
    assert [x["id"] for x in records(bo, stage="attach")] == [r["id"]]
    with pytest.raises(TransitionError, match="未知的单位代码"):
        record_act(bo, r["id"], "attach", SUPERVISOR, body_code="nowhere")
    with session_scope(bo.engine) as s:
        assert s.execute(select(func.count()).select_from(Notification)
                         .where(Notification.recipient_kind == "department")).scalar_one() == 0
    attached = record_act(bo, r["id"], "attach", SUPERVISOR, body_code="commerce")
    assert (attached["body_code"], attached["body_name"], attached["counts_now"]) == ("commerce", "烟台市商务局", True)
    with session_scope(bo.engine) as s:
        told = s.execute(select(Notification).where(Notification.recipient == "commerce")).scalars().one()
    assert told.body.startswith("烟台市商务局：工单") and "经核查属实，已记入政务失信记录" in told.body


def test_a_verification_rolls_back_with_its_record_when_anything_fails(bo):
    number = file(bo)
    lead = department(lead_of(bo, number))
    act(bo, number, "accept", lead)
    with pytest.raises(RuntimeError):
        with session_scope(bo.engine) as s:
            commands.act(bo, s, number, "verify", lead, payload={"result": "属实", "findings": "属实"})
            raise RuntimeError("the request failed after the event")
    assert records(bo) == []


def test_a_reopened_ticket_verified_again_adds_to_the_same_record(bo):
    number = work(bo, result="属实", satisfaction="不满意")  # 不满意: 重办
    lead = department(lead_of(bo, number))
    act(bo, number, "accept", lead)
    act(bo, number, "verify", lead, result="部分属实", findings="已支付一半尾款。")
    r = only_record(bo)
    detail = view(bo, r["id"])
    assert [e["action"] for e in detail["events"]] == ["record", "reverify"]
    assert detail["findings"] == "已支付一半尾款。"


def test_department_objects_and_an_answer_given_late_shows_as_overdue_then_late(bo, clock):
    work(bo)
    rid = only_record(bo)["id"]
    with pytest.raises(NotFound):
        record_act(bo, rid, "object", department("industry"), reason="不是我们")  # only the body recorded
    record_act(bo, rid, "object", FINANCE, reason="尾款已于核查前支付", evidence="银行回单")
    objection = view(bo, rid)["clocks"]["objection"]
    assert objection["due_text"] == "2026年11月30日（星期一）24:00前" and not objection["overdue"]
    clock.set(clock() + timedelta(days=15))  # Tuesday 1 December: past the 10 working days
    overdue = view(bo, rid)
    assert overdue["clocks"]["objection"]["overdue"] is True and overdue["overdue"] is True
    assert [x["id"] for x in records(bo, overdue=True)] == [rid]
    answered = record_act(bo, rid, "objection_reject", SUPERVISOR, reason="回单日期晚于核查")
    assert answered["clocks"]["objection"]["late"] is True
    assert answered["objections"][0]["decision_name"] == "异议不成立"
    # What is still overdue is the 公示 of the record (7 working days from its confirmation).
    assert answered["next_due_clock"] == "publication" and answered["overdue"] is True
    record_act(bo, rid, "publish", SUPERVISOR)
    assert records(bo, overdue=True) == []


def test_objection_clock_follows_the_configured_15_working_days(bo, clock):
    work(bo)
    rid = only_record(bo)["id"]
    jilin = replace(CONFIG, objection_days=15)
    record_act(bo, rid, "object", FINANCE, jilin, reason="有误")
    assert view(bo, rid, jilin)["clocks"]["objection"]["due_text"] == "2026年12月7日（星期一）24:00前"


def test_upheld_objection_is_corrected_within_its_own_clock(bo, clock):
    work(bo, amount_yuan="5000000")
    rid = only_record(bo)["id"]
    assert only_record(bo)["severity"] == "严重"
    record_act(bo, rid, "object", FINANCE, reason="金额含已支付部分")
    clock.advance(days=1)
    upheld = record_act(bo, rid, "objection_uphold", SUPERVISOR, reason="实际欠款80万元")
    assert upheld["status_name"] == "有效（待更正）"
    assert upheld["clocks"]["correction"]["due_text"] == "2026年11月24日（星期二）24:00前"
    with pytest.raises(TransitionError, match="无权"):
        record_act(bo, rid, "correct", FINANCE, reason="自己改", severity="轻微")
    corrected = record_act(bo, rid, "correct", SUPERVISOR, reason="按实际欠款更正", severity="一般")
    assert corrected["severity"] == "一般" and corrected["status_name"] == "有效"
    assert corrected["clocks"]["correction"]["late"] is False
    assert [e["action"] for e in corrected["events"]] == ["record", "object", "objection_uphold", "correct"]
    with session_scope(bo.engine) as s:
        bodies = s.execute(select(Notification.body).where(Notification.recipient == "finance")
                           .order_by(Notification.id)).scalars().all()
    assert "异议经核查成立" in bodies[1] and "失信程度改为“一般”" in bodies[2]


def test_a_withdrawn_record_stays_in_history_and_stops_counting(bo):
    work(bo)
    rid = only_record(bo)["id"]
    record_act(bo, rid, "object", FINANCE, reason="非本单位项目")
    record_act(bo, rid, "objection_uphold", SUPERVISOR, reason="项目属国资委")
    withdrawn = record_act(bo, rid, "correct", SUPERVISOR, reason="认定单位错误，撤销", withdraw=True)
    assert withdrawn["status_name"] == "已撤销" and withdrawn["counts_now"] is False
    assert records(bo, status="withdrawn")[0]["id"] == rid


def test_repair_stops_counting_after_its_publication_period(bo, clock):
    work(bo)  # 一般: publication 3-12 months
    rid = only_record(bo)["id"]
    start = clock()
    clock.advance(days=20)
    record_act(bo, rid, "repair_apply", FINANCE, rectification="尾款38万元已全额支付", evidence="银行回单、对账单")
    assert only_record(bo)["status_name"] == "有效（修复审核中）"
    repaired = record_act(bo, rid, "repair_approve", SUPERVISOR, reason="整改到位")
    assert repaired["status_name"] == "已修复"
    assert repaired["counts_until"] == rules.add_months(start, 3).isoformat()
    assert repaired["counts_now"] is True  # within the shortest period of 3 months
    clock.set(rules.add_months(start, 3) - timedelta(minutes=1))
    assert only_record(bo)["counts_now"] is True
    clock.set(rules.add_months(start, 3))
    assert only_record(bo)["counts_now"] is False
    assert records(bo, status="repaired")[0]["id"] == rid  # still in history, marked repaired


def test_an_unrepaired_record_counts_for_its_whole_publication_period(bo, clock):
    work(bo)
    start = clock()
    clock.set(rules.add_months(start, 12) - timedelta(minutes=1))
    assert only_record(bo)["counts_now"] is True
    clock.set(rules.add_months(start, 12))
    assert only_record(bo)["counts_now"] is False


def test_record_events_are_append_only_and_the_state_is_their_replay(bo):
    work(bo)
    rid = only_record(bo)["id"]
    record_act(bo, rid, "repair_apply", FINANCE, rectification="已支付", evidence="回单")
    record_act(bo, rid, "repair_refuse", SUPERVISOR, reason="回单不清晰")
    with session_scope(bo.engine) as s:
        rows = s.execute(select(RecordEventRow).where(RecordEventRow.record_id == rid)
                         .order_by(RecordEventRow.seq)).scalars().all()
        assert [r.seq for r in rows] == [1, 2, 3]
        record = s.get(IntegrityRecord, rid)
        life = rules.replay_record(store.record_events(s, record))
        assert (record.status, record.stage, record.severity) == (life.status, life.stage, life.severity)
    with pytest.raises(TransitionError, match="不批准信用修复必须填写理由"):
        record_act(bo, rid, "repair_refuse", SUPERVISOR)
    assert view(bo, rid)["repairs"][0]["decision_name"] == "未批准"


def test_a_department_sees_only_the_records_about_itself(bo):
    work(bo)
    work(bo, respondent="市商务局")
    commerce = records(bo, body="commerce")[0]["id"]
    with session_scope(bo.engine) as s:
        total, rows = store.list_records(s, store.RecordFilters(), FINANCE, bo.now())
        assert total == 1 and rows[0].body_code == "finance"
        with pytest.raises(NotFound):
            store.get_record(s, commerce, FINANCE)
        assert s.execute(select(func.count()).select_from(IntegrityRecord)).scalar_one() == 2


def test_backfill_rebuilds_missing_scorecard_rows_from_the_events(bo, db_url):
    work(bo, satisfaction="满意")
    file(bo)
    with session_scope(bo.engine) as s:
        before = {f.ticket_id: f.model_dump() for f in s.execute(select(TicketFact)).scalars()}
        s.execute(delete(TicketFact))  # as for tickets filed before the feature was installed
    done = subprocess.run([sys.executable, "-m", "intake_store.cli", "integrity-backfill"], capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": db_url, "HOTLINE_SECRET": "test"})
    assert done.returncode == 0 and done.stdout.strip() == "已为 2 张工单补建诚信评价数据。"
    with session_scope(bo.engine) as s:
        after = {f.ticket_id: f.model_dump() for f in s.execute(select(TicketFact)).scalars()}
        assert store.backfill_facts(bo, s) == 0
    assert after == before
