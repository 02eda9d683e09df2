"""Ticket life: allowed paths, refusals with reasons, and state derived from events alone."""
from datetime import date, datetime, timedelta, timezone

import pytest

from intake_store.lifecycle import Event, Life, TransitionError, apply, check, replay

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)


def ev(action, minutes=0, role=None, reason=None, **payload):
    roles = {
        "submit": "service", "dispatch": "operator", "reroute": "operator", "return": "department",
        "accept": "department", "verify": "department", "reply": "department", "follow_up": "service",
        "reopen": "operator", "extension_request": "department", "extension_approve": "operator",
        "extension_refuse": "operator", "pause": "department", "resume": "operator", "reject": "operator",
        "merge": "operator", "close": "operator", "amend": "operator", "supervise": "system",
    }
    return Event(action, T0 + timedelta(minutes=minutes), "tester", role or roles[action], reason, payload)


def run(*events) -> Life:
    """Check then apply each event, as the store does."""
    life = Life()
    for e in events:
        check(life, e)
        life = apply(life, e)
    return life


HAPPY = [
    ev("submit", 0, category="arrears"),
    ev("dispatch", 1, lead="industry", co=["finance"]),
    ev("accept", 2),
    ev("verify", 3, result="substantiated", findings="确有拖欠"),
    ev("reply", 4, text="已督促支付"),
]


def test_happy_path_to_closed():
    life = run(*HAPPY, ev("follow_up", 5, satisfaction="satisfied"))
    assert life.state == "closed"
    assert life.state_name == "已办结"
    assert life.verify_result == "substantiated"
    assert life.lead == "industry" and life.co == ("finance",)


def test_replay_of_stored_events_gives_the_same_life():
    events = [*HAPPY, ev("follow_up", 5, satisfaction="neutral")]
    assert replay(events) == run(*events)


def test_first_unsatisfied_reopens_second_goes_to_supervisor():
    life = run(*HAPPY, ev("follow_up", 5, satisfaction="unsatisfied"))
    assert life.state == "reopened" and life.reopen_count == 1
    assert life.dispatched_at == T0 + timedelta(minutes=5)  # a new clock
    life = run(
        *HAPPY, ev("follow_up", 5, satisfaction="unsatisfied"),
        ev("accept", 6), ev("verify", 7, result="partly_substantiated", findings="部分已付"), ev("reply", 8, text="再次答复"),
        ev("follow_up", 9, satisfaction="unsatisfied"),
    )
    assert life.state == "supervising"
    closed = run(*HAPPY, ev("follow_up", 5, satisfaction="unsatisfied"), ev("accept", 6),
                 ev("verify", 7, result="unsubstantiated", findings="x"), ev("reply", 8, text="y"),
                 ev("follow_up", 9, satisfaction="unsatisfied"), ev("close", 10, role="supervisor"))
    assert closed.state == "closed"


@pytest.mark.parametrize(
    "prefix,bad,message",
    [
        ([ev("submit")], ev("accept"), "不能签收"),
        (HAPPY[:2], ev("reply", 5, text="x"), "不能答复"),
        (HAPPY[:3], ev("return", 5, reason="不归我们管"), "不能退单"),
        (HAPPY[:3], ev("verify", 5, result="差不多", findings="x"), "属实"),
        (HAPPY[:3], ev("verify", 5, result="substantiated", findings=" "), "核查情况"),
        (HAPPY[:2], ev("return", 5), "理由"),
        (HAPPY[:2], ev("accept", 5, role="operator"), "无权"),
        ([ev("submit")], ev("reject", 1), "理由"),
        (HAPPY, ev("follow_up", 5, satisfaction="还行吧"), "满意度"),
        ([*HAPPY, ev("follow_up", 5, satisfaction="satisfied")], ev("accept", 6), "已办结"),
    ],
)
def test_illegal_transitions_are_refused_with_a_reason(prefix, bad, message):
    life = run(*prefix)
    with pytest.raises(TransitionError) as err:
        check(life, bad)
    assert message in err.value.message


def test_return_only_within_its_window():
    life = run(*HAPPY[:2])
    deadline = T0 + timedelta(days=1)
    check(life, ev("return", 60, reason="非本单位职责"), return_deadline=deadline)
    with pytest.raises(TransitionError, match="退单时限"):
        check(life, ev("return", 60 * 48, reason="非本单位职责"), return_deadline=deadline)


def test_extension_asked_once_and_approved_at_most_max():
    life = run(*HAPPY[:3], ev("extension_request", 5, reason="需协调", new_due=date(2026, 12, 30)))
    assert life.pending_extension.new_due == date(2026, 12, 30)
    with pytest.raises(TransitionError, match="待审批"):
        check(life, ev("extension_request", 6, reason="再延", new_due=date(2027, 1, 30)))
    life = run(*HAPPY[:3], ev("extension_request", 5, reason="需协调", new_due=date(2026, 12, 30)), ev("extension_approve", 6))
    assert [e.decision for e in life.extensions] == ["approved"]
    with pytest.raises(TransitionError, match="最多批准1次"):
        check(life, ev("extension_request", 7, reason="再延", new_due=date(2027, 1, 30)))
    refused = run(*HAPPY[:3], ev("extension_request", 5, reason="需协调", new_due=date(2026, 12, 30)),
                  ev("extension_refuse", 6, reason="理由不充分"))
    assert refused.extensions[-1].decision == "refused"
    with pytest.raises(TransitionError, match="晚于今天"):
        check(run(*HAPPY[:3]), ev("extension_request", 5, reason="x", new_due=date(2026, 11, 1)))


def test_pause_and_resume_while_waiting_for_the_complainant():
    life = run(*HAPPY[:3], ev("pause", 10, reason="请补充合同"))
    assert life.paused
    life = run(*HAPPY[:3], ev("pause", 10, reason="请补充合同"), ev("resume", 20))
    assert not life.paused and len(life.pauses) == 1


def test_reject_and_merge_end_the_ticket():
    assert run(ev("submit"), ev("reject", 1, reason="不属于受理范围")).state == "rejected"
    merged = run(ev("submit"), ev("merge", 1, into="20261116-0001"))
    assert merged.state == "merged" and merged.merged_into == "20261116-0001"


def test_reroute_starts_a_new_round():
    life = run(*HAPPY[:3], ev("reroute", 5, reason="职责调整", lead="finance", co=[]))
    assert life.state == "dispatched" and life.lead == "finance" and life.accepted_at is None
