"""Names the responses are filled with: category names and field labels.

Every sentence the citizen reads is a response in bot/domain.yml. What stays
here are not sentences but names of things, put into those sentences as
values ({label}, the category in the read-back): a response cannot be a
value of another response, and the category names are data the back office
shares. Standard library only.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from vocabulary.categories import CATEGORIES

from .parsing import format_yuan

# Short names for the citizen; the back office answers with the official ones.
CATEGORY_NAMES = {c.code: c.short_name for c in CATEGORIES}

FIELD_LABELS = {
    "category": "投诉类别",
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


def service_hours() -> str:
    """When operators answer; a deployment sets its own hours."""
    return os.environ.get("HOTLINE_SERVICE_HOURS", "工作日 8:30-12:00、13:30-17:30")


def category_name(code: Optional[str]) -> str:
    return CATEGORY_NAMES.get(code or "other", CATEGORY_NAMES["other"])


def amount_text(value: Any) -> str:
    if isinstance(value, (int, float)):
        return format_yuan(float(value))
    return "不详"  # a value of the amount field, as 不清楚 is of the others


def shorten(text: Optional[str], limit: int = 120) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
