"""A citizen who files one complaint with the real assistant, answering
whatever it asks (the assistant asks only for what is still missing).

`next_step(bot_messages)` looks at the assistant's latest messages and
returns what the citizen does: type a text or press a button. The same
citizen walks the web page (Playwright), Telegram and the Rasa-killed test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GREETING = "你好"
COMPLAINT = "芝罘区向阳街道办欠我们公司工程款三十万，拖了两年了"
PHONE = "13812345678"
TICKET = re.compile(r"工单号[:：]\s*(\d{8}-\d{4})")

# (what the assistant asks, what the citizen answers); the first match wins.
ANSWERS = [
    ("事情经过", COMPLAINT),
    ("哪个单位", "芝罘区向阳街道办事处"),
    ("答应了什么", "说好工程验收后三个月内付清工程款"),
    ("什么时候", "2023年10月验收的"),
    ("金额", "三十万"),
    ("哪个区县", "芝罘区向阳街道"),
    ("证据", "有合同和验收单"),
    ("联系电话", f"我电话{PHONE}"),
]
BUTTONS = ["确认提交", "不同意", "重新提交", "继续投诉"]


@dataclass(frozen=True)
class Step:
    kind: str  # "text" | "button"
    value: str


class Lost(AssertionError):
    """The assistant said something this citizen has no answer for."""


def ticket_number(texts: list[str]) -> str | None:
    for text in texts:
        m = TICKET.search(text)
        if m:
            return m.group(1)
    return None


def next_step(messages: list[tuple[str, list[str]]]) -> Step:
    """`messages`: the assistant's latest (text, button titles), oldest first."""
    text, buttons = messages[-1]
    for title in BUTTONS:
        if title in buttons:
            return Step("button", title)
    for question, answer in ANSWERS:
        if question in text:
            return Step("text", answer)
    raise Lost(f"no answer for: {text!r} {buttons}")
