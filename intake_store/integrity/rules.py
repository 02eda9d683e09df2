"""The integrity rules as plain functions: no I/O.

- `default_severity`: how serious a substantiated complaint is, by default.
- A dishonesty record (政务失信记录) is an append-only list of events;
  `replay_record` folds them into a `RecordLife`, `check_record` says whether
  an action is allowed now (and why not, in Chinese).
- `record_clocks`: the 异议 (objection) answer and 更正 (correction) deadlines.
- `counts_until`: until when a record counts against its body (publication
  period, shortened by an approved 信用修复 but never below its minimum).
- `integrity_score`, `grade`: the documented, configurable scorecard formula.
- `warning_reasons`: the early-warning rule against a body's own baseline.

The numbers come from `intake_store/data/integrity.yml` (`load_config`).
"""
from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from vocabulary.codes import SATISFACTION, SEVERITY, SUBSTANTIATED

from ..clocks import Clock
from ..console.review import MatterKey, text_similarity
from ..lifecycle import TransitionError
from ..workcalendar import BEIJING, WorkCalendar

CONFIG_PATH = Path(__file__).resolve().parent.parent / "data" / "integrity.yml"

SEVERITIES = SEVERITY.codes  # mildest first
SATISFACTION_LEVELS = SATISFACTION.codes


# ---------------------------------------------------------------- configuration

@dataclass(frozen=True)
class SeverityRule:
    base: str
    serious_amount_yuan: Decimal | None = None
    urgent_serious: bool = False


@dataclass(frozen=True)
class Grade:
    grade: str
    name: str
    min: float


@dataclass(frozen=True)
class WarningRule:
    window_days: int = 30
    baseline_windows: int = 3
    rise_ratio: float = 1.5
    min_count: int = 3
    thresholds: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IntegrityConfig:
    severity_default: str
    severity_rules: Mapping[str, SeverityRule]
    publication_months: Mapping[str, tuple[int, int]]  # severity -> (min, max)
    objection_days: int
    correction_days: int
    weights: Mapping[str, float]
    satisfaction_values: Mapping[str, float]
    record_points: Mapping[str, float]
    overdue_points: float
    overdue_cap: float
    grades: tuple[Grade, ...]
    warning: WarningRule
    # category -> why a substantiated complaint of it makes no record
    no_record_categories: Mapping[str, str] = field(default_factory=dict)
    # 重复投诉: an earlier complaint about the same matter within this many days,
    # the same matter being the same body and the same amount, reference or (nearly) the same words
    repeat_window_days: int = 365
    repeat_min_similarity: float = 0.5
    publication_days: int = 7  # working days from the body's confirmation to 公示


WEIGHT_KEYS = ("accept", "reply", "satisfaction", "no_reopen")
WARNING_METRICS = ("substantiated", "overdue")


def load_config(path: Path = CONFIG_PATH) -> IntegrityConfig:
    """Read and check the integrity rules; a mistake in the file fails at start-up."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    problems: list[str] = []

    def severity_ok(value: Any, where: str) -> str:
        if value not in SEVERITIES:
            problems.append(f"{where}: {value!r} is not one of {SEVERITIES}")
        return value

    sev = doc.get("severity") or {}
    default = severity_ok(sev.get("default", "general"), "severity.default")
    rules = {}
    for cat, r in (sev.get("categories") or {}).items():
        amount = r.get("serious_amount_yuan")
        rules[cat] = SeverityRule(
            base=severity_ok(r.get("base", default), f"severity.categories.{cat}.base"),
            serious_amount_yuan=Decimal(str(amount)) if amount is not None else None,
            urgent_serious=bool(r.get("urgent_serious", False)),
        )
    publication = {}
    for s in SEVERITIES:
        p = (doc.get("publication_months") or {}).get(s)
        if not p or not 0 <= int(p["min"]) <= int(p["max"]):
            problems.append(f"publication_months.{s}: needs 0 <= min <= max")
            continue
        publication[s] = (int(p["min"]), int(p["max"]))
    score = doc.get("score") or {}
    weights = {k: float((score.get("weights") or {}).get(k, 0)) for k in WEIGHT_KEYS}
    if sum(weights.values()) <= 0 or min(weights.values()) < 0:
        problems.append("score.weights: weights must be >= 0 and not all 0")
    sat_values = {k: float(v) for k, v in (score.get("satisfaction_values") or {}).items()}
    if set(sat_values) != set(SATISFACTION_LEVELS):
        problems.append(f"score.satisfaction_values: needs exactly {SATISFACTION_LEVELS}")
    points = {k: float(v) for k, v in (score.get("record_points") or {}).items()}
    if set(points) != set(SEVERITIES):
        problems.append(f"score.record_points: needs exactly {SEVERITIES}")
    grades = tuple(sorted((Grade(str(g["grade"]), str(g["name"]), float(g["min"])) for g in score.get("grades") or []),
                          key=lambda g: -g.min))
    if not grades or grades[-1].min > 0:
        problems.append("score.grades: the lowest grade must start at 0")
    w = doc.get("warning") or {}
    warning = WarningRule(
        window_days=int(w.get("window_days", 30)),
        baseline_windows=int(w.get("baseline_windows", 3)),
        rise_ratio=float(w.get("rise_ratio", 1.5)),
        min_count=int(w.get("min_count", 3)),
        thresholds={k: int(v) for k, v in (w.get("thresholds") or {}).items()},
    )
    if warning.window_days < 1 or warning.baseline_windows < 1:
        problems.append("warning: window_days and baseline_windows must be at least 1")
    if set(warning.thresholds) - set(WARNING_METRICS):
        problems.append(f"warning.thresholds: only {WARNING_METRICS}")
    for key in ("objection_days", "correction_days", "publication_days"):
        if int(doc.get(key, 1)) < 1:
            problems.append(f"{key}: must be at least 1 working day")
    records = doc.get("records") or {}
    no_record = {str(k): str(v) for k, v in (records.get("not_for_categories") or {}).items()}
    repeats = doc.get("repeats") or {}
    repeat_window = int(repeats.get("window_days", 365))
    repeat_similarity = float(repeats.get("min_similarity", 0.5))
    if repeat_window < 1 or not 0 < repeat_similarity <= 1:
        problems.append("repeats: window_days must be at least 1, min_similarity in (0, 1]")
    if problems:
        raise ValueError(f"{path} is inconsistent:\n" + "\n".join(problems))
    return IntegrityConfig(
        severity_default=default,
        severity_rules=rules,
        publication_months=publication,
        objection_days=int(doc.get("objection_days", 10)),
        correction_days=int(doc.get("correction_days", 5)),
        weights=weights,
        satisfaction_values=sat_values,
        record_points=points,
        overdue_points=float(score.get("overdue_points", 0)),
        overdue_cap=float(score.get("overdue_cap", 0)),
        grades=grades,
        warning=warning,
        no_record_categories=no_record,
        repeat_window_days=repeat_window,
        repeat_min_similarity=repeat_similarity,
        publication_days=int(doc.get("publication_days", 7)),
    )


@lru_cache(maxsize=1)
def default_config() -> IntegrityConfig:
    return load_config()


# ---------------------------------------------------------------- which complaints make a record, against whom

def makes_record(config: IntegrityConfig, category: str | None, result: str | None) -> bool:
    """A 核查 of 属实 / 部分属实 makes a 政务失信记录, except for the categories
    integrity.yml names (an ordinary matter; an objection, where 属实 means an
    existing record is wrong and is corrected, not a new dishonesty)."""
    return result in SUBSTANTIATED and (category or "") not in config.no_record_categories


# Ticket events in which a person says which catalog body the complaint accuses:
# the operator when dispatching, the department in its 核查.
CONFIRMING = {"dispatch": frozenset({"operator"}), "reroute": frozenset({"operator"}),
              "verify": frozenset({"department"})}


@dataclass(frozen=True)
class Confirmation:
    body_code: str
    actor: str
    role: str
    at: datetime


def confirmed_respondent(events) -> Confirmation | None:
    """The accused body as a person last confirmed it (None: nobody has).

    A record names a body only once someone accountable has said which body it
    is, never from automatic name matching: 002 一(二)4 "严格依法依规采集各级政府部门
    和公务员政务失信记录"."""
    for e in reversed(events):
        code = e.payload.get("respondent_code")
        if code and e.role in CONFIRMING.get(e.action, ()):
            return Confirmation(code, e.actor, e.role, e.at)
    return None


def same_matter(a: MatterKey, b: MatterKey, config: IntegrityConfig) -> bool:
    """重复投诉: the same body (as resolved or as named), and the same amount or
    nearly the same words. Stricter than the console's merge candidates, which
    only suggest: this counts against the body."""
    def squash(x: str | None) -> str:
        return "".join((x or "").split())

    same_body = (a.respondent_code and a.respondent_code == b.respondent_code) or (
        squash(a.respondent) and squash(a.respondent) == squash(b.respondent))
    if not same_body:
        return False
    if a.amount_yuan is not None and b.amount_yuan is not None and Decimal(a.amount_yuan) == Decimal(b.amount_yuan):
        return True
    return text_similarity(a.description, b.description) >= config.repeat_min_similarity


# ---------------------------------------------------------------- severity

def default_severity(config: IntegrityConfig, category: str | None, result: str,
                     amount_yuan: Decimal | None = None, urgent: bool = False) -> str:
    """minor / general / serious (轻微 / 一般 / 严重) for a substantiated complaint (rules in integrity.yml)."""
    rule = config.severity_rules.get(category or "") or SeverityRule(base=config.severity_default)
    level = SEVERITIES.index(rule.base)
    big = rule.serious_amount_yuan is not None and amount_yuan is not None and Decimal(amount_yuan) >= rule.serious_amount_yuan
    if big or (urgent and rule.urgent_serious):
        level = SEVERITIES.index("serious")
    if result == "partly_substantiated":
        level = max(0, level - 1)
    return SEVERITIES[level]


# ---------------------------------------------------------------- the record's life

RECORD_ROLES: dict[str, frozenset[str]] = {
    "record": frozenset({"system"}),
    "reverify": frozenset({"system"}),
    "attach": frozenset({"supervisor"}),
    "object": frozenset({"department"}),
    "objection_uphold": frozenset({"supervisor"}),
    "objection_reject": frozenset({"supervisor"}),
    "correct": frozenset({"supervisor"}),
    "repair_apply": frozenset({"department"}),
    "repair_approve": frozenset({"supervisor"}),
    "repair_refuse": frozenset({"supervisor"}),
    "exempt": frozenset({"supervisor"}),
    "lighten": frozenset({"supervisor"}),
    "measure": frozenset({"supervisor"}),
    "rectify_order": frozenset({"supervisor"}),
    "rectify_report": frozenset({"department"}),
    "rectify_accept": frozenset({"supervisor"}),
    "rectify_reject": frozenset({"supervisor"}),
    "publish": frozenset({"supervisor"}),
}
RECORD_ACTION_NAMES = {
    "record": "记入政务失信记录",
    "reverify": "重办后再次核查",
    "attach": "认定被记录单位",
    "object": "提出异议",
    "objection_uphold": "异议成立",
    "objection_reject": "异议不成立",
    "correct": "更正记录",
    "repair_apply": "申请信用修复",
    "repair_approve": "批准信用修复",
    "repair_refuse": "不批准信用修复",
    "exempt": "容错免责",
    "lighten": "从轻或免于惩戒",
    "measure": "提醒、警示或约谈",
    "rectify_order": "责令限期整改",
    "rectify_report": "报送整改情况",
    "rectify_accept": "整改验收通过",
    "rectify_reject": "整改未通过",
    "publish": "公示",
}
NEEDS_REASON = frozenset({"object", "objection_uphold", "objection_reject", "correct", "repair_refuse", "exempt",
                          "lighten", "measure", "rectify_order", "rectify_reject"})
STATUS_NAMES = {"active": "有效", "withdrawn": "已撤销", "repaired": "已修复", "exempted": "容错免责", "waived": "免于惩戒"}
STAGE_NAMES = {"objection": "异议处理中", "correction": "待更正", "repair": "修复审核中", "attach": "待认定单位",
               "rectify": "整改中"}
# 004 四(三)2: "对存在政务失信隐患的部门及人员，建立提醒、警示、约谈等处置机制".
MEASURES = ("提醒", "警示", "约谈")
# A record that no longer counts and is no longer public.
CLOSED_TEXT = {"withdrawn": "已撤销", "exempted": "已容错免责", "waived": "已免于惩戒"}
CLOSED_STATUSES = frozenset(CLOSED_TEXT)


@dataclass(frozen=True)
class RecordEvent:
    action: str
    at: datetime
    actor: str = "system"
    role: str = "system"
    reason: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objection:
    filed_at: datetime
    reason: str
    evidence: str | None
    actor: str
    decision: str | None = None  # upheld | rejected
    decided_at: datetime | None = None
    answer: str | None = None
    corrected_at: datetime | None = None  # for an upheld one: when the record was corrected


@dataclass(frozen=True)
class Repair:
    applied_at: datetime
    rectification: str
    evidence: str
    actor: str
    decision: str | None = None  # approved | refused
    decided_at: datetime | None = None
    answer: str | None = None


@dataclass(frozen=True)
class Rectification:
    """整改 ordered with a deadline, reported by the body, accepted or not by a supervisor."""

    ordered_at: datetime
    due: date
    order: str
    reported_at: datetime | None = None
    report: str | None = None
    accepted_at: datetime | None = None
    rejections: int = 0


@dataclass(frozen=True)
class Measure:
    kind: str  # 提醒 | 警示 | 约谈
    at: datetime
    reason: str
    actor: str


@dataclass(frozen=True)
class RecordLife:
    """Everything a record's events say about it now."""

    ticket_number: str | None = None
    category: str | None = None
    recorded_at: datetime | None = None
    body_code: str | None = None
    body_name: str | None = None
    verify_result: str | None = None
    findings: str | None = None
    severity: str | None = None
    withdrawn: bool = False
    exempted_at: datetime | None = None  # 容错免责: no record, by a supervisor's decision
    waived_at: datetime | None = None  # 免于惩戒 after self-correction
    body_confirmed_at: datetime | None = None
    published_at: datetime | None = None
    objections: tuple[Objection, ...] = ()
    repairs: tuple[Repair, ...] = ()
    rectifications: tuple[Rectification, ...] = ()
    measures: tuple[Measure, ...] = ()

    @property
    def needs_body(self) -> bool:
        return self.body_code is None

    @property
    def pending_objection(self) -> Objection | None:
        o = self.objections[-1] if self.objections else None
        return o if o and o.decision is None else None

    @property
    def correction_pending(self) -> bool:
        o = self.objections[-1] if self.objections else None
        return bool(o and o.decision == "upheld" and o.corrected_at is None)

    @property
    def pending_repair(self) -> Repair | None:
        r = self.repairs[-1] if self.repairs else None
        return r if r and r.decision is None else None

    @property
    def repaired_at(self) -> datetime | None:
        return next((r.decided_at for r in self.repairs if r.decision == "approved"), None)

    @property
    def pending_rectification(self) -> Rectification | None:
        r = self.rectifications[-1] if self.rectifications else None
        return r if r and r.accepted_at is None else None

    @property
    def rectified_at(self) -> datetime | None:
        r = self.rectifications[-1] if self.rectifications else None
        return r.accepted_at if r else None

    @property
    def status(self) -> str:
        if self.withdrawn:
            return "withdrawn"
        if self.exempted_at:
            return "exempted"
        if self.waived_at:
            return "waived"
        return "repaired" if self.repaired_at else "active"

    @property
    def closed(self) -> bool:
        """Withdrawn, exempted or waived: it no longer counts and nothing more is done on it."""
        return self.status in CLOSED_STATUSES

    @property
    def public(self) -> bool:
        """On the public list: published, and still an unrepaired, standing record.
        A correction that withdraws it, an exemption, a waiver or a repair takes it off."""
        return bool(self.published_at and self.status == "active")

    @property
    def stage(self) -> str | None:
        """What the record waits for, if anything."""
        if self.pending_objection:
            return "objection"
        if self.correction_pending:
            return "correction"
        if self.pending_repair:
            return "repair"
        if self.needs_body and not self.closed:
            return "attach"
        if self.pending_rectification and not self.closed:
            return "rectify"
        return None

    @property
    def status_name(self) -> str:
        return status_name(self.status, self.stage)


def status_name(status: str, stage: str | None) -> str:
    """What people read, e.g. 有效（异议处理中）."""
    name = STATUS_NAMES[status]
    return f"{name}（{STAGE_NAMES[stage]}）" if stage else name


def check_record(life: RecordLife, event: RecordEvent) -> None:
    """Raise TransitionError, with a reason a person can act on, if `event` may not happen now."""
    a, p = event.action, event.payload
    if a not in RECORD_ROLES:
        raise TransitionError(f"未知的操作：{a}", "unknown_action")
    name = RECORD_ACTION_NAMES[a]
    if event.role not in RECORD_ROLES[a]:
        raise TransitionError(f"当前角色无权执行“{name}”。", "forbidden")
    if a == "record":
        if life.recorded_at is not None:
            raise TransitionError("这张工单已有政务失信记录。", "already_recorded")
        if p.get("severity") not in SEVERITIES:
            raise TransitionError(f"失信程度须为{SEVERITY.choices()}之一。", "invalid_severity")
        return
    if life.recorded_at is None:
        raise TransitionError("没有这条政务失信记录。", "invalid_state")
    if a in NEEDS_REASON and not (event.reason or "").strip():
        raise TransitionError(f"{name}必须填写理由。", "reason_required")
    if a != "reverify" and life.closed:
        raise TransitionError(f"这条记录{CLOSED_TEXT[life.status]}，不能再办理。", "invalid_state")
    if a == "attach":
        if not life.needs_body:
            raise TransitionError(f"这条记录已认定为{life.body_name}，如认定有误请走异议程序。", "invalid_state")
        if not p.get("body_code"):
            raise TransitionError("请指定被记录的单位。", "body_required")
    if a == "object":
        if life.needs_body:
            raise TransitionError("记录尚未认定到具体单位，暂不能提出异议。", "invalid_state")
        if life.pending_objection:
            raise TransitionError("已有一项异议正在处理，请等待答复。", "objection_pending")
        if life.correction_pending:
            raise TransitionError("异议已成立，记录正在更正中。", "correction_pending")
        if life.pending_repair:
            raise TransitionError("信用修复申请正在审核，审核后再提出异议。", "repair_pending")
    if a in ("objection_uphold", "objection_reject") and not life.pending_objection:
        raise TransitionError("没有待答复的异议。", "no_pending_objection")
    if a == "correct":
        if not life.correction_pending:
            raise TransitionError("只有异议成立后才能更正记录。", "no_upheld_objection")
        changes = {k for k in ("severity", "findings", "withdraw") if p.get(k) not in (None, "", False)}
        if not changes:
            raise TransitionError("请说明如何更正：修改失信程度、修改核查情况，或撤销记录。", "nothing_to_change")
        if "severity" in changes and p["severity"] not in SEVERITIES:
            raise TransitionError(f"失信程度须为{SEVERITY.choices()}之一。", "invalid_severity")
    if a == "repair_apply":
        if life.needs_body:
            raise TransitionError("记录尚未认定到具体单位，暂不能申请修复。", "invalid_state")
        if life.repaired_at:
            raise TransitionError("这条记录已经修复。", "already_repaired")
        if life.pending_repair:
            raise TransitionError("已有一项修复申请正在审核。", "repair_pending")
        if life.pending_objection or life.correction_pending:
            raise TransitionError("异议处理完毕后再申请信用修复。", "objection_pending")
        if not str(p.get("rectification") or "").strip():
            raise TransitionError("请说明整改情况。", "rectification_required")
        if not str(p.get("evidence") or "").strip():
            raise TransitionError("请提供整改证明材料。", "evidence_required")
    if a in ("repair_approve", "repair_refuse") and not life.pending_repair:
        raise TransitionError("没有待审核的修复申请。", "no_pending_repair")
    if a in ("exempt", "lighten", "publish", "measure", "rectify_order") and life.needs_body:
        raise TransitionError("记录尚未认定到具体单位，请先认定单位。", "invalid_state")
    if a in ("exempt", "lighten") and life.repaired_at:
        raise TransitionError("这条记录已经修复。", "already_repaired")
    if a == "lighten":
        if not str(p.get("self_correction") or "").strip():
            raise TransitionError("请写明被记录单位主动挽回损失、消除不良影响或阻止危害结果的情况。", "self_correction_required")
        if not p.get("waive"):
            if p.get("severity") not in SEVERITIES:
                raise TransitionError("请选择减轻后的失信程度，或选择免于惩戒。", "invalid_severity")
            if SEVERITIES.index(p["severity"]) >= SEVERITIES.index(life.severity):
                raise TransitionError(f"从轻须低于现在的失信程度“{SEVERITY.label(life.severity)}”。", "invalid_severity")
    if a == "measure" and p.get("kind") not in MEASURES:
        raise TransitionError("处置方式须为“提醒”“警示”或“约谈”之一。", "invalid_measure")
    if a == "rectify_order":
        if life.pending_rectification:
            raise TransitionError("已有一项整改正在进行。", "rectification_pending")
        due = p.get("due")
        if not isinstance(due, date) or due <= event.at.astimezone(BEIJING).date():
            raise TransitionError("请填写晚于今天的整改期限。", "invalid_due")
    if a == "rectify_report":
        if not life.pending_rectification:
            raise TransitionError("没有待报送的整改。", "no_pending_rectification")
        if not str(p.get("report") or "").strip():
            raise TransitionError("请填写整改情况。", "report_required")
    if a in ("rectify_accept", "rectify_reject"):
        r = life.pending_rectification
        if not r or r.reported_at is None:
            raise TransitionError("被记录单位尚未报送整改情况。", "no_rectification_report")
    if a == "publish":
        if life.published_at:
            raise TransitionError("这条记录已经公示。", "already_published")
        if life.status != "active":
            raise TransitionError("只有有效且未修复的记录可以公示。", "invalid_state")
        if life.pending_objection or life.correction_pending:
            raise TransitionError("异议处理完毕后再公示。", "objection_pending")


# A well-formed request for each action, to ask `check_record` whether the
# record's state allows the action at all (what a page offers).
_WELL_FORMED: dict[str, dict[str, object]] = {
    "attach": {"body_code": "-"}, "correct": {"withdraw": True}, "measure": {"kind": MEASURES[0]},
    "repair_apply": {"rectification": "-", "evidence": "-"}, "lighten": {"self_correction": "-", "waive": True},
    "rectify_report": {"report": "-"},
}


def offered_actions(life: RecordLife, role: str, at: datetime) -> frozenset[str]:
    """The actions `role` may take on the record now, given well-formed input."""
    offered = set()
    for action, roles in RECORD_ROLES.items():
        if role not in roles or "system" in roles:
            continue
        payload: dict = dict(_WELL_FORMED.get(action, {}))
        if action == "rectify_order":
            payload["due"] = at.astimezone(BEIJING).date() + timedelta(days=1)
        try:
            check_record(life, RecordEvent(action, at, "-", role, reason="-", payload=payload))
        except TransitionError:
            continue
        offered.add(action)
    return frozenset(offered)


def apply_record(life: RecordLife, event: RecordEvent) -> RecordLife:
    """The record after one event. Assumes `check_record` passed (replay trusts stored events)."""
    a, at, p = event.action, event.at, event.payload
    if a == "record":
        return RecordLife(
            ticket_number=p.get("ticket_number"), category=p.get("category"), recorded_at=at,
            body_code=p.get("body_code"), body_name=p.get("body_name"), verify_result=p.get("result"),
            findings=p.get("findings"), severity=p.get("severity"), body_confirmed_at=at if p.get("body_code") else None,
        )
    if a == "reverify":
        # A later verification is kept in the history; when it also finds the
        # complaint substantiated its findings are the current ones. A later
        # 不属实 does not erase the record by itself: the body may object.
        if life.needs_body and p.get("body_code"):
            # The department confirmed the accused body in this 核查.
            life = replace(life, body_code=p["body_code"], body_name=p.get("body_name") or p["body_code"],
                           body_confirmed_at=at)
        if p.get("result") in SUBSTANTIATED:
            return replace(life, verify_result=p["result"], findings=p.get("findings") or life.findings)
        return life
    if a == "attach":
        return replace(life, body_code=p["body_code"], body_name=p.get("body_name") or p["body_code"], body_confirmed_at=at)
    if a == "object":
        objection = Objection(filed_at=at, reason=event.reason or "", evidence=p.get("evidence"), actor=event.actor)
        return replace(life, objections=life.objections + (objection,))
    if a in ("objection_uphold", "objection_reject"):
        decided = replace(life.objections[-1], decision="upheld" if a == "objection_uphold" else "rejected",
                          decided_at=at, answer=event.reason)
        return replace(life, objections=life.objections[:-1] + (decided,))
    if a == "correct":
        corrected = replace(life.objections[-1], corrected_at=at)
        return replace(
            life,
            objections=life.objections[:-1] + (corrected,),
            severity=p.get("severity") or life.severity,
            findings=p.get("findings") or life.findings,
            withdrawn=bool(p.get("withdraw")),
        )
    if a == "repair_apply":
        repair = Repair(applied_at=at, rectification=p["rectification"], evidence=p["evidence"], actor=event.actor)
        return replace(life, repairs=life.repairs + (repair,))
    if a in ("repair_approve", "repair_refuse"):
        repair = replace(life.repairs[-1], decision="approved" if a == "repair_approve" else "refused",
                         decided_at=at, answer=event.reason)
        return replace(life, repairs=life.repairs[:-1] + (repair,))
    if a == "exempt":
        return replace(life, exempted_at=at)
    if a == "lighten":
        return replace(life, waived_at=at) if p.get("waive") else replace(life, severity=p["severity"])
    if a == "measure":
        return replace(life, measures=life.measures + (Measure(p["kind"], at, event.reason or "", event.actor),))
    if a == "rectify_order":
        due = p["due"] if isinstance(p["due"], date) else date.fromisoformat(p["due"])
        return replace(life, rectifications=life.rectifications + (Rectification(at, due, event.reason or ""),))
    if a in ("rectify_report", "rectify_accept", "rectify_reject"):
        rect = life.rectifications[-1]
        if a == "rectify_report":
            rect = replace(rect, reported_at=at, report=p["report"])
        elif a == "rectify_accept":
            rect = replace(rect, accepted_at=at)
        else:  # not good enough: the body reports again before the same deadline
            rect = replace(rect, reported_at=None, report=None, rejections=rect.rejections + 1)
        return replace(life, rectifications=life.rectifications[:-1] + (rect,))
    if a == "publish":
        return replace(life, published_at=at)
    raise TransitionError(f"未知的操作：{a}", "unknown_action")


def replay_record(events: list[RecordEvent]) -> RecordLife:
    life = RecordLife()
    for e in events:
        life = apply_record(life, e)
    return life


# ---------------------------------------------------------------- clocks and publication

def objection_clock(o: Objection, config: IntegrityConfig, cal: WorkCalendar) -> Clock:
    return Clock("objection", "异议答复", o.filed_at, cal.add_working_days(o.filed_at, config.objection_days), o.decided_at)


def correction_clock(o: Objection, config: IntegrityConfig, cal: WorkCalendar) -> Clock:
    return Clock("correction", "更正", o.decided_at, cal.add_working_days(o.decided_at, config.correction_days), o.corrected_at)


def publication_clock(life: RecordLife, config: IntegrityConfig, cal: WorkCalendar) -> Clock | None:
    """公示: from the moment a person confirmed the body, within `publication_days`
    working days (a local choice: by analogy with 双公示's 7 working days, 000 三(五));
    stopped when published, or when the record no longer stands."""
    if life.body_confirmed_at is None:
        return None
    start = life.body_confirmed_at
    done = life.published_at
    if done is None and life.status != "active":
        done = life.exempted_at or life.waived_at or life.repaired_at or start  # nothing to publish any more
    return Clock("publication", "公示", start, cal.add_working_days(start, config.publication_days), done)


def rectification_clock(r: Rectification, cal: WorkCalendar) -> Clock:
    return Clock("rectify", "整改", r.ordered_at, cal.end_of_day(r.due), r.accepted_at)


def record_clocks(life: RecordLife, config: IntegrityConfig, cal: WorkCalendar) -> dict[str, Clock]:
    """The latest objection's answer clock and, once it is upheld, its correction
    clock; the publication clock; the latest 整改's deadline."""
    clocks = {}
    if life.objections:
        o = life.objections[-1]
        clocks["objection"] = objection_clock(o, config, cal)
        if o.decision == "upheld":
            clocks["correction"] = correction_clock(o, config, cal)
    publication = publication_clock(life, config, cal)
    if publication and not life.withdrawn:
        clocks["publication"] = publication
    if life.rectifications and not life.closed:
        clocks["rectify"] = rectification_clock(life.rectifications[-1], cal)
    return clocks


def add_months(dt: datetime, months: int) -> datetime:
    """The same Beijing day and time `months` later (the 31st becomes the month's last day)."""
    local = dt.astimezone(BEIJING)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, _calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def counts_until(life: RecordLife, config: IntegrityConfig) -> datetime | None:
    """Until when the record counts against its body (None: not recorded yet).

    Unrepaired: the longest publication period of its severity. Repaired: the
    shortest period, or the approval if later (repair shortens publication but
    never below the minimum). Withdrawn: never (the end equals the start).
    """
    if life.recorded_at is None:
        return None
    if life.closed:
        return life.recorded_at
    shortest, longest = config.publication_months[life.severity]
    end = add_months(life.recorded_at, longest)
    if life.repaired_at:
        end = min(end, max(life.repaired_at, add_months(life.recorded_at, shortest)))
    return end


def counts_against(life: RecordLife, config: IntegrityConfig, at: datetime) -> bool:
    end = counts_until(life, config)
    return bool(life.body_code and end and life.recorded_at <= at < end)


# ---------------------------------------------------------------- scorecards

@dataclass(frozen=True)
class Figures:
    """What the SQL aggregation counts for one body and period."""

    body_code: str
    received: int = 0  # tickets led by the body, received in the period
    accept_due: int = 0  # of those, 签收 clocks that have come due or stopped
    accept_on_time: int = 0
    reply_due: int = 0
    reply_on_time: int = 0
    satisfaction: Mapping[str, int] = field(default_factory=dict)  # level -> count
    reopened: int = 0
    overdue_open: int = 0  # open tickets led by the body past a deadline now
    complaints: int = 0  # tickets naming the body as respondent, received in the period
    substantiated: int = 0  # of those, verified 属实 / 部分属实
    repeats: int = 0  # of those, complaints about a matter already complained about (重复投诉)
    records: int = 0  # dishonesty records made in the period
    repairs: int = 0  # repairs approved in the period
    rectify_due: int = 0  # 整改 whose deadline falls in the period
    rectified: int = 0  # of those, accepted (整改率 = rectified / rectify_due; 004 四(三)3 "确保政府失信整改率达100%")
    counting: Mapping[str, int] = field(default_factory=dict)  # severity -> records counting at the period's end

    @property
    def rated(self) -> int:
        return sum(self.satisfaction.values())


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def rates(f: Figures, config: IntegrityConfig) -> dict[str, float | None]:
    """The rates a scorecard shows; None where there is nothing to measure."""
    sat = None
    if f.rated:
        sat = sum(config.satisfaction_values[k] * n for k, n in f.satisfaction.items()) / f.rated
    return {
        "accept_on_time_rate": _ratio(f.accept_on_time, f.accept_due),
        "reply_on_time_rate": _ratio(f.reply_on_time, f.reply_due),
        "satisfaction_index": sat,
        "satisfied_rate": _ratio(f.satisfaction.get("very_satisfied", 0) + f.satisfaction.get("satisfied", 0), f.rated),
        "reopen_rate": _ratio(f.reopened, f.received),
        "substantiated_rate": _ratio(f.substantiated, f.complaints),
        "repeat_rate": _ratio(f.repeats, f.complaints),
        "rectification_rate": _ratio(f.rectified, f.rectify_due),
    }


def integrity_score(f: Figures, config: IntegrityConfig) -> float:
    """综合诚信分 0-100 (formula documented in integrity.yml, `score`)."""
    r = rates(f, config)
    parts = {
        "accept": r["accept_on_time_rate"],
        "reply": r["reply_on_time_rate"],
        "satisfaction": r["satisfaction_index"],
        "no_reopen": None if r["reopen_rate"] is None else 1 - r["reopen_rate"],
    }
    measured = {k: v for k, v in parts.items() if v is not None and config.weights[k] > 0}
    total_weight = sum(config.weights[k] for k in measured)
    performance = 100 * sum(config.weights[k] * v for k, v in measured.items()) / total_weight if total_weight else 100.0
    penalty = sum(config.record_points[s] * n for s, n in f.counting.items())
    penalty += min(config.overdue_cap, config.overdue_points * f.overdue_open)
    return round(max(0.0, performance - penalty), 1)


def grade(score: float, config: IntegrityConfig) -> Grade:
    return next(g for g in config.grades if score >= g.min)


# ---------------------------------------------------------------- early warning

METRIC_NAMES = {"substantiated": "经核查属实的投诉", "overdue": "错过签收或答复时限的工单"}


def warning_reasons(current: Mapping[str, int], baseline: Mapping[str, list[int]], config: IntegrityConfig) -> list[str]:
    """Why a body is flagged (empty: not flagged).

    `current`: this window's count per metric; `baseline`: the counts of the
    windows before it, which make the body's own baseline (their mean).
    """
    rule = config.warning
    reasons = []
    for metric in WARNING_METRICS:
        now = current.get(metric, 0)
        past = baseline.get(metric) or []
        mean = sum(past) / len(past) if past else 0.0
        name = METRIC_NAMES[metric]
        threshold = rule.thresholds.get(metric)
        if threshold is not None and now >= threshold:
            reasons.append(f"近{rule.window_days}天{name}{now}件，达到预警阈值{threshold}件")
        elif now >= rule.min_count and now > mean * rule.rise_ratio:
            reasons.append(f"近{rule.window_days}天{name}{now}件，高于本单位此前{len(past)}期平均{mean:.1f}件的{rule.rise_ratio:g}倍")
    return reasons
