"""The integrity rules as the five documents (and DOMAIN.md) write them, each
test named after the rule and quoting the line it follows; on SQLite and
PostgreSQL through the real operations."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from integrity_work import OPERATOR, SUPERVISOR, act, department, file, lead_of, work
from sqlalchemy import select

from intake_store.catalog import default_catalog
from intake_store.db import session_scope
from intake_store.integrity import rules, scorecards, store
from intake_store.lifecycle import TransitionError
from intake_store.models import Notification

CONFIG = rules.default_config()
CAT = default_catalog()
DATA = Path(__file__).resolve().parents[2] / "intake_store" / "data"
LOCAL = "# local choice, not from the documents"


def records(bo, **filters):
    with session_scope(bo.engine) as s:
        _, rows = store.list_records(s, store.RecordFilters(**filters), SUPERVISOR, bo.now())
        return [store.record_summary(bo, r, bo.now()) for r in rows]


def told(bo, body: str) -> list[str]:
    with session_scope(bo.engine) as s:
        return list(s.execute(select(Notification.body).where(Notification.recipient == body)).scalars())


# ---------------------------------------------------------------- who supervises

def test_supervisors_are_the_credit_office_except_for_official_misconduct():
    # 002 三(一): "市信用办会同有关部门负责对本分工方案落实工作的统筹协调、跟踪了解、督查指导";
    # 004 四(三)2: "对存在政务失信隐患的部门及人员，建立提醒、警示、约谈等处置机制。（责任单位：市纪委监委负责）".
    for c in CAT.categories.values():
        if c.code == "other":
            continue  # an ordinary matter: the hotline office (a local choice, marked in categories.yml)
        if c.code == "official_misconduct" or c.lead == "credit":
            expected = "discipline"  # misconduct, or the credit office itself leads: the body above it
        else:
            expected = "credit"
        assert c.supervisor == expected, c.code


# The bodies whose supervisor is the 纪委监委: the credit office itself (it cannot
# supervise itself) and the 组织部, which answers for public servants' conduct.
ABOVE_THE_CREDIT_OFFICE = {"credit", "organization"}


def test_each_department_is_supervised_by_the_credit_office_except_for_misconduct():
    # DOMAIN.md, 回避: "When the respondent is the lead body, the lead becomes the supervisor of
    # that category (纪委监委 for misconduct, 信用办 otherwise)." A 中院 that ignores a judgment,
    # an 应急局 or a 统计局 is not official misconduct: its red cards go to the 信用办.
    # (A body may also be supervised by the office it belongs to, e.g. the 交易中心 by the 财政局.)
    assert {d.code for d in CAT.departments.values() if d.supervisor == "discipline"} == ABOVE_THE_CREDIT_OFFICE
    assert {CAT.departments[c].supervisor for c in ("court", "emergency", "statistics")} == {"credit"}


# ---------------------------------------------------------------- which complaints make a record

@pytest.mark.parametrize("category", ["other", "credit_objection"])
def test_no_record_for_an_ordinary_matter_or_an_objection_found_true(bo, category):
    # 003 二(十): "经核实有误的信息，应及时更正或撤销" — an objection found true corrects the
    # existing record; it is not a new dishonesty. An ordinary 12345 matter is none either.
    work(bo, result="substantiated", category=category)
    assert records(bo) == []
    work(bo, result="partly_substantiated", category="arrears")
    assert len(records(bo)) == 1


# ---------------------------------------------------------------- a body only once a person confirmed it

def test_a_record_names_a_body_only_once_a_person_confirmed_it_and_waits_for_supervisors_until_then(bo):
    # 002 一(二)4: "严格依法依规采集各级政府部门和公务员政务失信记录" — not by automatic name matching.
    # 城西区人民政府 is in no catalog (name matching once found 民政 in 人民政府 and said 民政局).
    number = work(bo, respondent="城西区人民政府", confirm=False)
    [r] = records(bo)
    assert (r["body_code"], r["body_name"], r["needs_body"]) == (None, "城西区人民政府", True)
    assert r["status_name"] == "有效（待认定单位）" and r["counts_now"] is False
    assert [x["ticket_number"] for x in records(bo, stage="attach")] == [number]  # visible to supervisors
    assert told(bo, "civil_affairs") == []  # nobody accused 民政局


def test_an_automatically_resolved_body_still_waits_for_a_person_to_confirm_it(bo):
    # The name matches 市财政局 in the catalog, but nobody has confirmed it: no record against it yet.
    work(bo, confirm=False)
    [r] = records(bo)
    assert (r["body_code"], r["body_name"], r["stage"]) == (None, "市财政局", "attach")
    with session_scope(bo.engine) as s:
        first = store.record_events(s, store.get_record(s, r["id"], SUPERVISOR))[0]
    assert first.payload["suggested_body_code"] == "finance"  # offered to the supervisor, not recorded
    assert told(bo, "finance") == []
    with session_scope(bo.engine) as s:
        first = store.record_events(s, store.get_record(s, r["id"], SUPERVISOR))[0]
    assert first.payload["confirmed_by"] is None


def test_the_verifying_department_confirms_the_accused_body_in_its_verification(bo):
    work(bo)  # the department confirms 财政局 in its 核查
    [r] = records(bo)
    assert (r["body_code"], r["needs_body"]) == ("finance", False)
    with session_scope(bo.engine) as s:
        first = store.record_events(s, store.get_record(s, r["id"], SUPERVISOR))[0]
    assert first.payload["confirmed_by"] == "industry经办人"
    assert "已记入政务失信记录" in told(bo, "finance")[0]


def test_the_operator_confirms_the_accused_body_at_dispatch(bo):
    number = file(bo, category_confidence=0.3)  # below the auto-dispatch threshold: an operator dispatches
    with pytest.raises(TransitionError, match="回避"):
        act(bo, number, "dispatch", OPERATOR, respondent_code="industry")  # the suggested lead is 工信局
    with pytest.raises(TransitionError, match="未知的单位代码"):
        act(bo, number, "dispatch", OPERATOR, respondent_code="nowhere")
    act(bo, number, "dispatch", OPERATOR, respondent_code="finance")
    lead = department(lead_of(bo, number))
    act(bo, number, "accept", lead)
    act(bo, number, "verify", lead, result="substantiated", findings="确有拖欠。")
    [r] = records(bo)
    assert (r["body_code"], r["body_name"]) == ("finance", "烟台市财政局")


def test_a_later_verification_that_confirms_the_body_attaches_a_waiting_record(bo):
    number = work(bo, confirm=False, satisfaction="unsatisfied")  # 不满意: 重办
    assert records(bo)[0]["needs_body"] is True
    lead = department(lead_of(bo, number))
    act(bo, number, "accept", lead)
    act(bo, number, "verify", lead, result="substantiated", findings="确认系财政局拖欠。", respondent_code="finance")
    [r] = records(bo)
    assert (r["body_code"], r["status_name"]) == ("finance", "有效")
    assert len(told(bo, "finance")) == 1


def test_only_the_operator_at_dispatch_or_the_department_in_its_verification_may_confirm(bo):
    number = file(bo)
    lead = department(lead_of(bo, number))
    with pytest.raises(TransitionError, match="只能由派单员在派单时、或承办单位在核查时确认"):
        act(bo, number, "accept", lead, respondent_code="finance")


# ---------------------------------------------------------------- repeated complaints

def test_repeat_complaints_are_repeated_complaints_about_the_same_matter_not_reopened_tickets(bo, clock):
    # 000 二(三): "完善政府(管委)失信投诉举报机制" — a matter complained about again is
    # counted against the body, whether the earlier ticket is open or closed.
    start = clock()
    work(bo, result="substantiated", satisfaction="satisfied")  # closed
    clock.advance(days=40)
    again = file(bo)  # the same matter (same body, same amount, same words)
    other = file(bo, description="市财政局的政府采购项目验收后迟迟不退还履约保证金。", amount_yuan=None,
                 category="procurement")
    merged = file(bo, description="财政局的信息化项目尾款一直拖着没给", amount_yuan=None)
    act(bo, merged, "merge", OPERATOR, into=other, reason="同一事项")  # an operator found it the same matter
    now = bo.now()
    with session_scope(bo.engine) as s:
        card = {c["body_code"]: c for c in scorecards.scorecards(s, bo.catalog, CONFIG, start, now + timedelta(days=1), now)}["finance"]
    assert (card["complaints"], card["repeats"], card["reopened"]) == (4, 2, 0)
    assert card["repeat_rate"] == 0.5
    assert again != other


# ---------------------------------------------------------------- defaults no document sets

LOCAL_CHOICES = {
    "clocks.yml": ["accept:", "verify:", "reply:", "follow_up:", "max_extensions:", "auto_dispatch_min_confidence:"],
    "integrity.yml": ["severity:", "publication_months:", "score:", "warning:", "window_days: 365", "min_similarity:"],
}


def _marked(lines: list[str], i: int) -> bool:
    """The line, or the comment block right above it, says it is a local choice."""
    if LOCAL in lines[i]:
        return True
    j = i - 1
    while j >= 0 and lines[j].lstrip().startswith("#"):
        if LOCAL in lines[j]:
            return True
        j -= 1
    return False


@pytest.mark.parametrize("name", sorted(LOCAL_CHOICES))
def test_every_default_no_document_sets_is_marked_as_a_local_choice(name):
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    for key in LOCAL_CHOICES[name]:
        found = [i for i, line in enumerate(lines) if re.match(rf"\s*{re.escape(key)}", line)]
        assert found, f"{name}: {key} not found"
        assert all(_marked(lines, i) for i in found), f"{name}: {key} is not marked as a local choice"
