"""The register of 信用承诺 and 政府合同 (001 13, 003 二(四), 004 五(二)) and the count of
bodies as 失信被执行人 (004 五(五) "零增长"), through the real operations and the
deadline sweep, on SQLite and PostgreSQL."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from integrity_work import OPERATOR, SUPERVISOR, file, work
from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.integrity import debtors
from intake_store.integrity import promises as P
from intake_store.jobs.runner import sweep
from intake_store.lifecycle import TransitionError
from intake_store.models import Notification
from intake_store.tickets.lookup import NotFound


def db(bo, fn):
    with session_scope(bo.engine) as s:
        return fn(s)


def told(bo, recipient) -> list[str]:
    return db(bo, lambda s: list(s.execute(select(Notification.body).where(
        Notification.recipient == recipient, Notification.kind == "promise_overdue")).scalars()))


PAYMENT = dict(kind="contract", body_code="finance", promisee="烟台某信息技术有限公司", content="信息化项目尾款",
               amount_yuan=Decimal("380000"), due_on=date(2026, 11, 30), reference="YTCG-2024-118")


def test_a_promise_past_due_without_fulfilment_is_flagged_to_the_supervisor_once_before_anyone_complains(bo, clock):
    # 001 13: "建立政府合同履约跟踪机制"; 004 五(二): "全面推行政务信用承诺".
    pid = db(bo, lambda s: P.register(bo, s, P.NewPromise(**PAYMENT), OPERATOR).id)
    kept = db(bo, lambda s: P.register(bo, s, P.NewPromise(**{**PAYMENT, "content": "设备款"}), OPERATOR).id)
    db(bo, lambda s: P.fulfil(bo, s, kept, "11月20日已付清", SUPERVISOR))
    clock.set(clock() + timedelta(days=14))  # Monday 30 Nov: the due day itself is not late yet
    assert sweep(bo).actions.get("promise_overdue") is None and told(bo, "credit") == []
    clock.advance(days=1)
    assert sweep(bo).actions["promise_overdue"] == 1
    [message] = told(bo, "credit")  # 财政局's supervising body, the 信用办
    assert message.startswith("【承诺逾期】烟台市财政局对烟台某信息技术有限公司的政府合同“信息化项目尾款”，金额380,000.00元")
    assert "履行期限2026年11月30日已过" in message
    clock.advance(days=3)
    assert sweep(bo).actions.get("promise_overdue") is None and len(told(bo, "credit")) == 1  # once
    view = db(bo, lambda s: P.view(bo, s, P.get_promise(s, pid)))
    assert [e["action"] for e in view["events"]] == ["register", "flag"] and view["overdue"]


def test_a_promise_registered_from_a_ticket_is_linked_both_ways_and_its_events_only_grow(bo):
    number = file(bo, promise="信息化项目尾款38万元", reference="YTCG-2024-118")
    other = file(bo, description="财政局的尾款还是没有付。")
    pid = db(bo, lambda s: P.register(bo, s, P.NewPromise(**PAYMENT, ticket_number=number), OPERATOR).id)
    db(bo, lambda s: P.link(bo, s, pid, other, SUPERVISOR))
    with pytest.raises(TransitionError, match="已关联"):
        db(bo, lambda s: P.link(bo, s, pid, other, SUPERVISOR))
    with pytest.raises(NotFound):
        db(bo, lambda s: P.link(bo, s, pid, "20990101-0001", SUPERVISOR))
    assert db(bo, lambda s: P.promises_of_ticket(s, other)) == [pid]
    view = db(bo, lambda s: P.view(bo, s, P.get_promise(s, pid)))
    assert view["tickets"] == sorted([number, other])
    assert [e["action"] for e in view["events"]] == ["register", "link", "link"]
    db(bo, lambda s: P.fulfil(bo, s, pid, "已付清", SUPERVISOR))
    with pytest.raises(TransitionError, match="已记录为履行"):
        db(bo, lambda s: P.fulfil(bo, s, pid, "再付一次", SUPERVISOR))
    with pytest.raises(TransitionError, match="未知的单位代码"):
        db(bo, lambda s: P.register(bo, s, P.NewPromise(**{**PAYMENT, "body_code": "nowhere"}), OPERATOR))


def test_judgment_debtors_are_counted_per_body_and_quarter_with_the_trend(bo, clock):
    # 004 五(五): "政府机构失信被执行人实现零增长". Complaints verified against a body,
    # plus listings from the court's list, this quarter against the last.
    t0 = clock()
    clock.set(t0 - timedelta(days=60))  # the previous quarter (September)
    work(bo, category="court_judgment", respondent="莱山区人民政府", result="substantiated")
    clock.set(t0)
    work(bo, category="court_judgment", respondent="莱山区人民政府", result="substantiated")
    work(bo, category="court_judgment", respondent="莱山区人民政府", result="partly_substantiated")
    work(bo, category="court_judgment", respondent="莱山区人民政府", result="unsubstantiated")
    work(bo, category="court_judgment", respondent="市财政局", result="substantiated", confirm=False)  # nobody confirmed the body
    db(bo, lambda s: debtors.record_listing(s, bo.catalog, "sasac", date(2026, 11, 2), "(2026)鲁06执123号", None,
                                             SUPERVISOR, bo.now()))
    with pytest.raises(TransitionError, match="只有督办人员"):
        db(bo, lambda s: debtors.record_listing(s, bo.catalog, "sasac", date(2026, 11, 2), "x", None, OPERATOR,
                                                 bo.now()))
    found = db(bo, lambda s: debtors.by_body(s, bo.catalog, bo.now()))
    assert (found["period"], found["previous_period"]) == ("2026年第4季度", "2026年第3季度")
    rows = {r["body_code"]: r for r in found["items"]}
    assert set(rows) == {"laishan", "sasac"}
    assert (rows["laishan"]["complaints"], rows["laishan"]["previous"], rows["laishan"]["trend"]) == (2, 1, "增加1")
    assert (rows["sasac"]["listings"], rows["sasac"]["trend"]) == (1, "增加1")
    assert (found["total"], found["previous"]) == (3, 1)
