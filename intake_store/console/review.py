"""Pure functions behind the pages: no I/O, so they are tested on their own.

- which transcript message each extracted field came from;
- how likely two tickets are the same matter (merge candidates);
- which actions a viewer may take on a ticket now (read from `lifecycle.RULES`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..lifecycle import RULES, Life
from ..tickets.viewer import Viewer

# The fields the assistant extracts, in the order an operator reads them.
FIELD_LABELS = {
    "description": "投诉内容",
    "category": "投诉类别",
    "respondent": "被投诉单位",
    "promise": "承诺内容／拖欠事项",
    "promise_date": "承诺时间",
    "amount_yuan": "金额（元）",
    "reference": "合同、判决或项目编号",
    "place": "发生地",
    "evidence": "证据材料",
    "urgency_reason": "紧急原因",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "anonymous": "匿名",
    "consent_disclose": "同意向承办单位公开身份",
}


@dataclass(frozen=True)
class TranscriptMessage:
    id: int
    external_id: str | None
    direction: str  # in | out
    text: str


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def link_sources(field_sources: dict, messages: list[TranscriptMessage]) -> dict[str, int | None]:
    """field -> id of the transcript message it came from (None when not found).

    By the assistant's message id when it gave one; otherwise by the text:
    exactly, then as a part of a citizen's message, then with masked digits
    (the stored text may be a fragment or a masked copy of what was typed)."""
    by_external = {m.external_id: m.id for m in messages if m.external_id}
    inbound = [m for m in messages if m.direction == "in"]
    links: dict[str, int | None] = {}
    for field_name, source in (field_sources or {}).items():
        if not isinstance(source, dict):
            continue
        found = by_external.get(source.get("message_id") or "")
        text = _squash(source.get("text") or "")
        if found is None and text:
            found = next((m.id for m in inbound if _squash(m.text) == text), None)
        if found is None and text:
            found = next((m.id for m in inbound if text in _squash(m.text) or (_squash(m.text) and _squash(m.text) in text)), None)
        if found is None and "*" in text:
            # The assistant masks ID numbers in what it stores: a run of * stands for them.
            pattern = re.compile(".+?".join(re.escape(part) for part in re.split(r"\*+", text)))
            found = next((m.id for m in inbound if pattern.search(_squash(m.text))), None)
        links[field_name] = found
    return links


# ---------------------------------------------------------------- duplicates

@dataclass(frozen=True)
class MatterKey:
    """What makes two complaints the same matter."""

    respondent_code: str | None
    respondent: str | None
    amount_yuan: Decimal | None
    description: str


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\W_]+", "", text or "")
    return {chars[i:i + 2] for i in range(len(chars) - 1)} or ({chars} if chars else set())


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient over character pairs: works for Chinese without word segmentation."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


DUPLICATE_THRESHOLD = 0.4


def duplicate_score(a: MatterKey, b: MatterKey) -> tuple[float, list[str]]:
    """(0..1, the reasons in Chinese). Same respondent 0.35, same amount 0.25,
    text similarity up to 0.4: identical text alone, or the same respondent
    and amount, reach the threshold; the same respondent alone does not."""
    score, reasons = 0.0, []
    same_code = a.respondent_code and a.respondent_code == b.respondent_code
    same_name = _squash(a.respondent or "") and _squash(a.respondent or "") == _squash(b.respondent or "")
    if same_code or same_name:
        score += 0.35
        reasons.append("同一被投诉单位")
    if a.amount_yuan is not None and b.amount_yuan is not None and Decimal(a.amount_yuan) == Decimal(b.amount_yuan):
        score += 0.25
        reasons.append(f"金额相同（{Decimal(a.amount_yuan):,.2f} 元）")
    sim = text_similarity(a.description, b.description)
    score += 0.4 * sim
    if sim >= 0.2:
        reasons.append(f"内容相似度 {sim:.0%}")
    return round(score, 3), reasons


# ---------------------------------------------------------------- what a viewer may do

def allowed_actions(life: Life, viewer: Viewer) -> set[str]:
    """The actions `lifecycle.check` would let this viewer try now (role and
    state); the finer checks (reasons, limits, windows) stay in the core and
    come back as errors on the form."""
    allowed = {a for a, (roles, states) in RULES.items() if viewer.role in roles and life.state in states}
    if viewer.role == "department" and life.lead != viewer.department:
        return set()  # assisting bodies read; only the lead body acts
    if life.pending_extension is None:
        allowed -= {"extension_approve", "extension_refuse"}
    else:
        allowed.discard("extension_request")
    allowed.discard("resume" if not life.paused else "pause")
    return allowed


# ---------------------------------------------------------------- history

PAYLOAD_LABELS = {
    "category": "类别",
    "respondent": "被投诉单位",
    "place": "发生地",
    "urgent": "紧急",
    "urgency_reason": "紧急原因",
}


def describe_event(catalog, event: dict) -> list[tuple[str, str]]:
    """The details of one history entry as (label, text) pairs, in Chinese."""
    p, a = event.get("payload") or {}, event["action"]

    def dept(code):
        return catalog.departments[code].name if code in catalog.departments else str(code)

    def value(key, v):
        if v is None or v == "":
            return "（空）"
        if key == "category":
            return catalog.categories[v].name if v in catalog.categories else str(v)
        if isinstance(v, bool):
            return "是" if v else "否"
        return str(v)

    out: list[tuple[str, str]] = []
    if a in ("dispatch", "reroute"):
        out.append(("主办", dept(p.get("lead"))))
        if p.get("co"):
            out.append(("协办", "、".join(dept(c) for c in p["co"])))
    elif a == "submit":
        out.append(("类别", value("category", p.get("category"))))
        if p.get("suggested_lead"):
            out.append(("建议主办", dept(p["suggested_lead"])))
    elif a == "verify":
        out += [("核查结果", str(p.get("result", ""))), ("核查情况", str(p.get("findings", "")))]
    elif a == "reply":
        out.append(("答复内容", str(p.get("text", ""))))
    elif a in ("extension_request", "extension_approve") and p.get("new_due"):
        d = date.fromisoformat(str(p["new_due"])[:10])
        out.append(("新的办理期限", f"{d.year}年{d.month}月{d.day}日"))
    elif a == "follow_up":
        out.append(("满意度", str(p.get("satisfaction", ""))))
    elif a == "merge":
        out.append(("合并到", str(p.get("into", ""))))
    elif a == "supervise" and p.get("card"):
        out.append(("督办", {"yellow": "黄牌", "red": "红牌"}.get(p["card"], str(p["card"]))))
    elif a == "amend":
        before = p.get("before") or {}
        for key, label in PAYLOAD_LABELS.items():
            if key in p:
                out.append((label, f"{value(key, before.get(key))} → {value(key, p[key])}"))
    return out
