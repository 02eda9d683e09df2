"""Closed sets of codes with their Chinese labels.

Storage, the rules and the API use the codes. People see the labels, and
citizens (or older clients) may send a label where a code is expected:
`code_of` takes either.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple


class Codes:
    """An ordered set of codes, each with one Chinese label."""

    def __init__(self, what: str, labels: Dict[str, str]):
        self.what = what  # the Chinese name of the set, for error messages
        self.labels = dict(labels)
        self.codes: Tuple[str, ...] = tuple(labels)
        self._by_label = {label: code for code, label in labels.items()}

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    def __iter__(self):
        return iter(self.codes)

    def label(self, code: Optional[str]) -> str:
        """The Chinese label of a code; an unknown value is shown as it is."""
        if code is None:
            return ""
        return self.labels.get(code, code)

    def code_of(self, value: object) -> Optional[str]:
        """The code for a code or a Chinese label (surrounding spaces ignored); None when it is neither."""
        if not isinstance(value, str):
            return None
        value = value.strip()
        if value in self.labels:
            return value
        return self._by_label.get(value)

    def choices(self) -> str:
        """“label1”“label2”…, for messages that list what is allowed."""
        return "".join(f"“{label}”" for label in self.labels.values())


# 回访: the citizen's rating of the reply (the assistant's intents are rate_<code>).
SATISFACTION = Codes("满意度", {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "neutral": "一般",
    "unsatisfied": "不满意",
})
UNSATISFIED = "unsatisfied"

# 核查结果: what the department found.
VERIFICATION = Codes("核查结果", {
    "substantiated": "属实",
    "partly_substantiated": "部分属实",
    "unsubstantiated": "不属实",
})
SUBSTANTIATED = ("substantiated", "partly_substantiated")

# 失信程度 of a 政务失信记录, mildest first.
SEVERITY = Codes("失信程度", {
    "minor": "轻微",
    "general": "一般",
    "serious": "严重",
})

# Where a complaint came from.
CHANNELS = Codes("渠道", {
    "web": "网页聊天",
    "telegram": "Telegram",
    "wechat": "微信公众号",
    "rest": "接口提交",
    "phone": "电话",
    "open311": "Open311",
})
# The channels a citizen chats on: the hotline can write back there.
CHAT_CHANNELS = ("web", "telegram", "wechat")
