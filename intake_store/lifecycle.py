"""Ticket life as a state machine over append-only events.

`replay(events)` folds a ticket's events into its current `Life`; `check(life,
event)` says whether an action is allowed now and, if not, why (in Chinese, for
the department or operator who tried). No I/O: the store loads events, calls
these, and saves the new event.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from vocabulary.codes import SATISFACTION, UNSATISFIED, VERIFICATION
from vocabulary.dates import chinese_date

# 状态 (state codes are English; the names people see are Chinese)
STATE_NAMES = {
    "submitted": "已受理",
    "dispatched": "已派单",
    "returned": "已退单",
    "accepted": "已签收",
    "verified": "已核查",
    "replied": "已答复",
    "reopened": "重办中",
    "supervising": "转督办",
    "closed": "已办结",
    "rejected": "不予受理",
    "merged": "已合并",
}
TERMINAL = frozenset({"closed", "rejected", "merged"})
OPEN_STATES = tuple(s for s in STATE_NAMES if s not in TERMINAL)

# Who may do what, from which states. The API checks roles against this table too.
RULES: dict[str, tuple[frozenset[str], frozenset[str | None]]] = {
    # action: (roles, states it may start from)
    "submit": (frozenset({"service", "partner", "operator"}), frozenset({None})),
    "dispatch": (frozenset({"operator", "system"}), frozenset({"submitted", "returned"})),
    "reroute": (
        frozenset({"operator"}),
        frozenset({"submitted", "dispatched", "returned", "accepted", "verified", "reopened"}),
    ),
    "return": (frozenset({"department"}), frozenset({"dispatched"})),
    "accept": (frozenset({"department"}), frozenset({"dispatched", "reopened"})),
    "verify": (frozenset({"department"}), frozenset({"accepted"})),
    "reply": (frozenset({"department"}), frozenset({"verified"})),
    "follow_up": (frozenset({"service", "operator"}), frozenset({"replied"})),
    "reopen": (frozenset({"operator", "supervisor"}), frozenset({"closed", "supervising"})),
    "extension_request": (frozenset({"department"}), frozenset({"accepted", "verified", "reopened"})),
    "extension_approve": (frozenset({"operator"}), frozenset({"accepted", "verified", "reopened"})),
    "extension_refuse": (frozenset({"operator"}), frozenset({"accepted", "verified", "reopened"})),
    "pause": (frozenset({"department", "operator"}), frozenset({"dispatched", "accepted", "verified", "reopened"})),
    "resume": (frozenset({"operator", "service"}), frozenset({"dispatched", "accepted", "verified", "reopened"})),
    "reject": (frozenset({"operator"}), frozenset({"submitted", "returned"})),
    "merge": (frozenset({"operator"}), frozenset({"submitted", "dispatched", "returned"})),
    "close": (frozenset({"operator", "supervisor", "system"}), frozenset({"replied", "supervising"})),
    "amend": (frozenset({"operator"}), frozenset(OPEN_STATES)),
    "supervise": (frozenset({"supervisor", "system"}), frozenset(OPEN_STATES)),
}
ACTIONS = tuple(RULES)
NEEDS_REASON = frozenset({"reroute", "return", "reject", "reopen", "extension_request", "extension_refuse", "pause"})

ACTION_NAMES = {
    "submit": "受理",
    "dispatch": "派单",
    "reroute": "改派",
    "return": "退单",
    "accept": "签收",
    "verify": "核查",
    "reply": "答复",
    "follow_up": "回访",
    "reopen": "重办",
    "extension_request": "申请延期",
    "extension_approve": "批准延期",
    "extension_refuse": "不批准延期",
    "pause": "待补充材料（暂停计时）",
    "resume": "材料已补充（恢复计时）",
    "reject": "不予受理",
    "merge": "合并",
    "close": "办结",
    "amend": "修改工单信息",
    "supervise": "督办",
}


@dataclass(frozen=True)
class Event:
    action: str
    at: datetime
    actor: str = "system"
    role: str = "system"
    reason: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Extension:
    requested_at: datetime
    new_due: date
    reason: str
    decision: str | None = None  # approved | refused
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Life:
    """Everything the events say about a ticket now."""

    state: str | None = None
    category: str | None = None
    urgent: bool = False
    lead: str | None = None
    co: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    dispatched_at: datetime | None = None  # start of the current round (dispatch, reroute or reopen)
    forwarded_at: datetime | None = None  # the first dispatch: when the hotline passed the complaint on
    returned_at: datetime | None = None
    accepted_at: datetime | None = None
    verified_at: datetime | None = None
    verify_result: str | None = None
    replied_at: datetime | None = None
    reply_text: str | None = None
    followed_up_at: datetime | None = None
    satisfaction: str | None = None
    unsatisfied_count: int = 0
    reopen_count: int = 0
    ended_at: datetime | None = None
    extensions: tuple[Extension, ...] = ()
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    merged_into: str | None = None
    supervise_count: int = 0

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state or "", "")

    @property
    def is_open(self) -> bool:
        return self.state is not None and self.state not in TERMINAL

    @property
    def pending_extension(self) -> Extension | None:
        if self.extensions and self.extensions[-1].decision is None:
            return self.extensions[-1]
        return None

    @property
    def approved_extensions(self) -> tuple[Extension, ...]:
        return tuple(e for e in self.extensions if e.decision == "approved")

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None


class TransitionError(ValueError):
    """An action that the ticket's life does not allow now."""

    def __init__(self, message: str, code: str = "transition_refused"):
        super().__init__(message)
        self.message = message
        self.code = code


def check(life: Life, event: Event, *, max_extensions: int = 1, return_deadline: datetime | None = None,
          latest_new_due: date | None = None) -> None:
    """Raise TransitionError, with a reason a person can act on, if `event` may not happen now."""
    if event.action not in RULES:
        raise TransitionError(f"未知的操作：{event.action}", "unknown_action")
    roles, states = RULES[event.action]
    name = ACTION_NAMES[event.action]
    if event.role not in roles:
        raise TransitionError(f"当前角色无权执行“{name}”。", "forbidden")
    if life.state not in states:
        current = life.state_name or "未受理"
        raise TransitionError(f"工单当前状态为“{current}”，不能{name}。", "invalid_state")
    if event.action in NEEDS_REASON and not (event.reason or "").strip():
        raise TransitionError(f"{name}必须填写理由。", "reason_required")
    p = event.payload
    if event.action == "return" and return_deadline and event.at > return_deadline:
        raise TransitionError("退单时限（派单后1个工作日内、签收前）已过，不能退单；如确非本单位职责，请联系派单员改派。", "return_window_closed")
    if event.action == "verify":
        if p.get("result") not in VERIFICATION:
            raise TransitionError(f"核查结果须为{VERIFICATION.choices()}之一。", "invalid_result")
        if not str(p.get("findings") or "").strip():
            raise TransitionError("请填写核查情况。", "findings_required")
    if event.action == "reply" and not str(p.get("text") or "").strip():
        raise TransitionError("答复内容不能为空。", "text_required")
    if event.action == "follow_up" and p.get("satisfaction") not in SATISFACTION:
        raise TransitionError(f"满意度须为{SATISFACTION.choices()}之一。", "invalid_satisfaction")
    if event.action == "extension_request":
        if life.pending_extension:
            raise TransitionError("已有一项延期申请待审批。", "extension_pending")
        if len(life.approved_extensions) >= max_extensions:
            raise TransitionError(f"延期最多批准{max_extensions}次，已用完。", "extension_limit")
        new_due = p.get("new_due")
        if not isinstance(new_due, date) or new_due <= event.at.date():
            raise TransitionError("请填写晚于今天的新办理期限。", "invalid_new_due")
        if latest_new_due and new_due > latest_new_due:
            raise TransitionError(f"这类投诉的办理期限最长到{chinese_date(latest_new_due)}，"
                                  "延期不能超过这一天。", "invalid_extension_beyond_limit")
    if event.action in ("extension_approve", "extension_refuse") and not life.pending_extension:
        raise TransitionError("没有待审批的延期申请。", "no_pending_extension")
    if event.action == "pause" and life.paused:
        raise TransitionError("工单已在等待补充材料。", "already_paused")
    if event.action == "resume" and not life.paused:
        raise TransitionError("工单没有暂停计时。", "not_paused")
    if event.action in ("dispatch", "reroute") and not p.get("lead"):
        raise TransitionError("请指定主办单位。", "lead_required")
    if event.action == "merge" and not p.get("into"):
        raise TransitionError("请指定要合并到的工单号。", "merge_target_required")


def apply(life: Life, event: Event) -> Life:
    """The life after one event. Assumes `check` passed (replay trusts stored events)."""
    a, at, p = event.action, event.at, event.payload
    if a == "submit":
        return replace(life, state="submitted", submitted_at=at, category=p.get("category"), urgent=bool(p.get("urgent")))
    if a in ("dispatch", "reroute"):
        return replace(
            life,
            state="dispatched",
            lead=p["lead"],
            co=tuple(p.get("co") or ()),
            dispatched_at=at,
            forwarded_at=life.forwarded_at or at,
            accepted_at=None,
            verified_at=None,
            verify_result=None,
            returned_at=None,
            extensions=(),
            pauses=(),
            category=p.get("category", life.category),
        )
    if a == "return":
        return replace(life, state="returned", returned_at=at)
    if a == "accept":
        return replace(life, state="accepted", accepted_at=at)
    if a == "verify":
        return replace(life, state="verified", verified_at=at, verify_result=p["result"])
    if a == "reply":
        return replace(life, state="replied", replied_at=at, reply_text=p["text"])
    if a == "follow_up":
        sat = p["satisfaction"]
        life = replace(life, followed_up_at=at, satisfaction=sat)
        if sat != UNSATISFIED:
            return replace(life, state="closed", ended_at=at)
        if life.unsatisfied_count == 0:
            return _reopen(replace(life, unsatisfied_count=1), at)
        # A second 不满意 goes to a supervisor.
        return replace(life, state="supervising", unsatisfied_count=life.unsatisfied_count + 1)
    if a == "reopen":
        return _reopen(life, at)
    if a == "extension_request":
        ext = Extension(requested_at=at, new_due=p["new_due"], reason=event.reason or "")
        return replace(life, extensions=life.extensions + (ext,))
    if a in ("extension_approve", "extension_refuse"):
        decided = replace(life.extensions[-1], decision="approved" if a == "extension_approve" else "refused", decided_at=at)
        return replace(life, extensions=life.extensions[:-1] + (decided,))
    if a == "pause":
        return replace(life, pauses=life.pauses + ((at, None),))
    if a == "resume":
        start, _ = life.pauses[-1]
        return replace(life, pauses=life.pauses[:-1] + ((start, at),))
    if a == "reject":
        return replace(life, state="rejected", ended_at=at)
    if a == "merge":
        return replace(life, state="merged", ended_at=at, merged_into=p["into"])
    if a == "close":
        return replace(life, state="closed", ended_at=at)
    if a == "amend":
        return replace(
            life,
            category=p.get("category", life.category),
            urgent=bool(p.get("urgent", life.urgent)),
        )
    if a == "supervise":
        return replace(life, supervise_count=life.supervise_count + 1)
    raise TransitionError(f"未知的操作：{a}", "unknown_action")


def _reopen(life: Life, at: datetime) -> Life:
    """重办: back to the same lead body with a new clock."""
    return replace(
        life,
        state="reopened",
        reopen_count=life.reopen_count + 1,
        dispatched_at=at,
        accepted_at=None,
        verified_at=None,
        verify_result=None,
        replied_at=None,
        reply_text=None,
        followed_up_at=None,
        ended_at=None,
        extensions=(),
        pauses=(),
    )


def replay(events: list[Event]) -> Life:
    life = Life()
    for e in events:
        life = apply(life, e)
    return life
