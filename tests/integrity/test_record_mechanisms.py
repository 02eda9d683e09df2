"""What the documents ask be done with a 政务失信记录 beyond objection and repair:
公示 with its clock, 容错免责, 从轻或免于惩戒 after self-correction, 提醒/警示/约谈
and 整改 with a deadline (整改率), export for 逐级归集 and 通报上级主管部门; each an
append-only record event, on SQLite and PostgreSQL."""
from datetime import date, timedelta

import pytest
from integrity_work import SUPERVISOR, department, work
from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.integrity import rules, scorecards, store
from intake_store.lifecycle import TransitionError
from intake_store.models import Notification

CONFIG = rules.default_config()
FINANCE = department("finance")


def record_act(bo, record_id, action, viewer, reason=None, **payload):
    with session_scope(bo.engine) as s:
        record, _ = store.record_act(bo, s, record_id, action, viewer, CONFIG, reason=reason, payload=payload)
        return store.record_view(bo, s, record, CONFIG)


def view(bo, record_id):
    with session_scope(bo.engine) as s:
        return store.record_view(bo, s, store.get_record(s, record_id, SUPERVISOR), CONFIG)


def public(bo) -> list[dict]:
    with session_scope(bo.engine) as s:
        return store.public_records(bo, s)[1]


def new_record(bo, **kw) -> int:
    work(bo, **kw)
    with session_scope(bo.engine) as s:
        _, rows = store.list_records(s, store.RecordFilters(), SUPERVISOR, bo.now())
        return rows[0].id


def told(bo, recipient) -> list[str]:
    with session_scope(bo.engine) as s:
        return list(s.execute(select(Notification.body).where(Notification.recipient == recipient)
                              .order_by(Notification.id)).scalars())


def test_confirmed_records_are_published_redacted_within_their_clock_and_taken_down_on_repair(bo, clock):
    # 000 三(二): "依法依规逐步公开各级政府(管委)和公务员政务失信记录"; 002 二(三)1: "需对外公示的应严格按规范隐藏部分信息".
    rid = new_record(bo)
    clock_view = view(bo, rid)["clocks"]["publication"]
    assert clock_view["due_text"] == "2026年11月25日（星期三）24:00前" and clock_view["done_at"] is None
    assert public(bo) == []
    published = record_act(bo, rid, "publish", SUPERVISOR)
    assert published["public"] is True and published["clocks"]["publication"]["late"] is False
    [row] = public(bo)
    assert (row["body_name"], row["severity"], row["recorded_on"]) == ("烟台市财政局", "general", "2026年11月16日")
    assert set(row) == {"id", "body_name", "category_name", "severity", "recorded_on", "published_on"}
    with pytest.raises(TransitionError, match="已经公示"):
        record_act(bo, rid, "publish", SUPERVISOR)
    clock.advance(days=10)
    record_act(bo, rid, "repair_apply", FINANCE, rectification="尾款已全额支付", evidence="银行回单")
    record_act(bo, rid, "repair_approve", SUPERVISOR)
    assert public(bo) == []  # a repaired record leaves the public list, and stays in history
    assert view(bo, rid)["status_name"] == "已修复"


def test_a_record_waiting_for_its_body_cannot_be_published_and_a_withdrawn_one_leaves_the_list(bo):
    waiting = new_record(bo, confirm=False)
    assert "publication" not in view(bo, waiting)["clocks"]
    with pytest.raises(TransitionError, match="请先认定单位"):
        record_act(bo, waiting, "publish", SUPERVISOR)
    rid = new_record(bo, respondent="市商务局")
    record_act(bo, rid, "publish", SUPERVISOR)
    record_act(bo, rid, "object", department("commerce"), reason="非本单位项目")
    record_act(bo, rid, "objection_uphold", SUPERVISOR, reason="项目属国资委")
    record_act(bo, rid, "correct", SUPERVISOR, reason="认定单位错误，撤销", withdraw=True)
    assert public(bo) == []


def test_tolerance_exemption_means_no_record_by_a_supervisors_decision_with_reasons(bo):
    # 004 四(二)1: "对符合免责和容错的，不列入政务失信记录".
    rid = new_record(bo)
    with pytest.raises(TransitionError, match="无权"):
        record_act(bo, rid, "exempt", FINANCE, reason="我们是出于公心")
    with pytest.raises(TransitionError, match="必须填写理由"):
        record_act(bo, rid, "exempt", SUPERVISOR)
    exempt = record_act(bo, rid, "exempt", SUPERVISOR, reason="先行先试中因不可抗力延误付款，符合容错情形")
    assert (exempt["status_name"], exempt["counts_now"], exempt["public"]) == ("容错免责", False, False)
    with pytest.raises(TransitionError, match="已容错免责"):
        record_act(bo, rid, "object", FINANCE, reason="x")
    assert "容错免责" in told(bo, "finance")[-1]


def test_lighter_or_no_punishment_after_self_correction_by_a_recorded_decision(bo):
    # 000 三(四): "主动挽回损失、消除不良影响或者有效阻止危害结果发生的，可从轻或免于实施失信惩戒措施".
    rid = new_record(bo)
    with pytest.raises(TransitionError, match="主动挽回损失"):
        record_act(bo, rid, "lighten", SUPERVISOR, reason="从轻", severity="minor")
    with pytest.raises(TransitionError, match="须低于现在的失信程度"):
        record_act(bo, rid, "lighten", SUPERVISOR, reason="从轻", severity="general", self_correction="已付清")
    lighter = record_act(bo, rid, "lighten", SUPERVISOR, reason="核查后一周内付清", severity="minor",
                         self_correction="核查后一周内主动付清全部尾款")
    assert lighter["severity"] == "minor" and lighter["status_name"] == "有效"
    waived = record_act(bo, rid, "lighten", SUPERVISOR, reason="已挽回全部损失", waive=True,
                        self_correction="另行赔偿逾期利息")
    assert (waived["status_name"], waived["counts_now"]) == ("免于惩戒", False)
    assert [e["action"] for e in waived["events"]] == ["record", "lighten", "lighten"]


def test_reminders_warnings_interviews_and_rectification_with_a_deadline_count_as_the_rectification_rate(bo, clock):
    # 004 四(三)2: "建立提醒、警示、约谈等处置机制"; 000 三(三): "书面说明并限期加以整改";
    # 004 四(三)3: "确保政府失信整改率达100%".
    start = clock()
    done, late = new_record(bo), new_record(bo, respondent="市财政局采购科", amount_yuan="120000")
    record_act(bo, done, "measure", SUPERVISOR, reason="请于本周内说明拖欠原因", kind="约谈")
    with pytest.raises(TransitionError, match="提醒"):
        record_act(bo, done, "measure", SUPERVISOR, reason="x", kind="批评")
    ordered = record_act(bo, done, "rectify_order", SUPERVISOR, reason="付清尾款并报送凭证", due=date(2026, 11, 30))
    assert ordered["status_name"] == "有效（整改中）"
    assert ordered["rectifications"][0]["clock"]["due_text"] == "2026年11月30日（星期一）24:00前"
    assert "2026年11月30日前完成整改" in told(bo, "finance")[-1]
    with pytest.raises(TransitionError, match="尚未报送"):
        record_act(bo, done, "rectify_accept", SUPERVISOR)
    record_act(bo, done, "rectify_report", FINANCE, report="已付清尾款，附银行回单")
    rejected = record_act(bo, done, "rectify_reject", SUPERVISOR, reason="回单看不清")
    assert rejected["rectifications"][0]["rejections"] == 1 and rejected["stage"] == "rectify"
    record_act(bo, done, "rectify_report", FINANCE, report="重新上传清晰的银行回单")
    accepted = record_act(bo, done, "rectify_accept", SUPERVISOR)
    assert accepted["stage"] is None and accepted["measures"][0]["kind"] == "约谈"
    record_act(bo, late, "rectify_order", SUPERVISOR, reason="付清", due=date(2026, 11, 27))
    clock.advance(days=14)  # 30 November: the second deadline has passed unrectified
    assert view(bo, late)["overdue"] is True
    now = bo.now()
    with session_scope(bo.engine) as s:
        card = {c["body_code"]: c for c in scorecards.scorecards(
            s, bo.catalog, CONFIG, start, now + timedelta(days=1), now)}["finance"]
    assert (card["rectify_due"], card["rectified"], card["rectification_rate"]) == (2, 1, 0.5)


def test_records_export_in_the_exchange_format_and_the_bodys_superior_is_notified(bo):
    # 001 3: "机关事业单位失信信息，通报上级主管部门"; 002 一(二)2: "按照规范格式逐级推送省公共信用信息平台".
    rid = new_record(bo)
    new_record(bo, confirm=False, respondent="城西区人民政府")  # no body confirmed: not exported
    [notice] = told(bo, "credit")  # 财政局's superior
    assert notice.startswith("【通报】烟台市财政局因工单") and f"记录{rid}" in notice
    with session_scope(bo.engine) as s:
        doc = store.exchange_document(bo, s)
    assert doc["format"] == "hotline-integrity-record/2" and doc["issuer"] == "烟台市"
    [row] = doc["records"]
    assert row["record_id"] == rid and row["body"] == {"code": "finance", "name": "烟台市财政局", "level": "市",
                                                       "superior": "credit"}
    assert row["status_name"] == "有效" and row["findings"] == "经核查，情况属实。"
    assert "王女士" not in str(doc) and "13805351234" not in str(doc)


def test_supervisors_work_lists_hold_what_each_record_waits_for(bo, clock):
    # The pages' lists (/console/records): 待认定单位, 待公示, 异议, 修复, 整改超期.
    waiting = new_record(bo, confirm=False)
    to_publish = new_record(bo)
    objected = new_record(bo, description="财政局另一笔设备款12万元没付。", amount_yuan=120000)
    record_act(bo, objected, "object", FINANCE, reason="已列入预算")
    late = new_record(bo, description="财政局的监理费5万元没付。", amount_yuan=50000)
    record_act(bo, late, "publish", SUPERVISOR)
    record_act(bo, late, "rectify_order", SUPERVISOR, reason="限期付清", due=date(2026, 11, 20))
    clock.advance(days=5)  # Saturday 21 November: the 整改 deadline has passed
    repairing = new_record(bo, description="财政局的咨询费3万元没付。", amount_yuan=30000)
    record_act(bo, repairing, "publish", SUPERVISOR)
    record_act(bo, repairing, "repair_apply", FINANCE, rectification="已付清", evidence="付款回单")

    def queue(name):
        with session_scope(bo.engine) as s:
            return [r.id for r in store.list_records(s, store.RecordFilters(queue=name), SUPERVISOR, bo.now())[1]]

    assert queue("attach") == [waiting]
    assert queue("publish") == [to_publish]
    assert queue("objection") == [objected]
    assert queue("repair") == [repairing]
    assert queue("rectify_overdue") == [late]
    assert sorted(queue("all")) == sorted([waiting, to_publish, objected, late, repairing])
