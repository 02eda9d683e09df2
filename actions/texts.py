"""What the citizen reads: category names, field labels, the read-back.

Kept apart from the action code so wording changes do not touch logic.
Standard library only.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from vocabulary.categories import CATEGORIES

from .parsing import format_yuan, mask_phone

# Short names for the citizen; the back office answers with the official ones.
CATEGORY_NAMES = {c.code: c.short_name for c in CATEGORIES}

FIELD_LABELS = {
    "description": "事情经过",
    "respondent": "被投诉单位",
    "promise": "承诺或拖欠内容",
    "promise_date": "承诺或拖欠时间",
    "amount": "涉及金额",
    "place": "发生地点",
    "evidence": "证据材料",
    "reference": "合同/判决/项目编号",
    "phone": "联系电话",
    "contact_name": "联系人",
    "anonymous": "匿名",
    "consent_disclose": "告知承办单位",
}

# Buttons become inline keyboards on Telegram and buttons on the web page.


def service_hours() -> str:
    """When operators answer; a deployment sets its own hours."""
    return os.environ.get("HOTLINE_SERVICE_HOURS", "工作日 8:30-12:00、13:30-17:30")


def category_name(code: Optional[str]) -> str:
    return CATEGORY_NAMES.get(code or "other", CATEGORY_NAMES["other"])


def amount_text(value: Any) -> str:
    if isinstance(value, (int, float)):
        return format_yuan(float(value))
    return "不详"


def _shorten(text: Optional[str], limit: int = 120) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_lines(slots: Dict[str, Any], amount_needed: bool) -> List[str]:
    """The complaint as the citizen will check it, one field a line."""
    lines = [f"投诉类别：{category_name(slots.get('category'))}"]
    if slots.get("description"):
        lines.append(f"事情经过：{_shorten(slots['description'])}")
    for key in ("respondent", "promise", "promise_date"):
        # a promise read from the story itself would only repeat it
        if slots.get(key) and not (key == "promise" and slots[key] == slots.get("description")):
            lines.append(f"{FIELD_LABELS[key]}：{_shorten(slots[key])}")
    if amount_needed or slots.get("amount") is not None:
        lines.append(f"涉及金额：{amount_text(slots.get('amount'))}")
    for key in ("place", "evidence", "reference"):
        if slots.get(key):
            lines.append(f"{FIELD_LABELS[key]}：{_shorten(slots[key])}")
    if slots.get("anonymous"):
        lines.append("联系方式：匿名（无法电话回访）")
    elif slots.get("phone") == "":
        lines.append("联系电话：未留（无法电话回访）")
    else:
        contact = mask_phone(slots.get("phone"))
        if slots.get("contact_name"):
            contact = f"{slots['contact_name']} {contact}".strip()
        disclose = "同意告知承办单位" if slots.get("consent_disclose") else "只有热线能看到，不告知承办单位"
        lines.append(f"联系电话：{contact}（{disclose}）")
    if slots.get("urgent") and slots.get("urgency_reason"):
        lines.append(f"紧急情况：{slots['urgency_reason']}（会优先处理）")
    return lines


def compact_summary(slots: Dict[str, Any], limit: int = 400) -> str:
    """A one-line summary for an operator (handoff reason); no phone number."""
    parts = [category_name(slots.get("category"))]
    for key in ("respondent", "promise", "promise_date", "place"):
        if slots.get(key):
            parts.append(f"{FIELD_LABELS[key]}：{slots[key]}")
    if slots.get("amount") is not None:
        parts.append(f"金额：{amount_text(slots.get('amount'))}")
    if slots.get("description"):
        parts.append(f"经过：{slots['description']}")
    return _shorten("；".join(parts), limit)
