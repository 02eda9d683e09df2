"""What the back office says to citizens and departments about a ticket, in
one place: the citizen's timeline, the messages queued for them, the answers
to a 回访, and the errors a person can cause. The deadline jobs' reminders and
督办 notices are in `jobs/messages.py`; the lifecycle's refusals in
`lifecycle.RULES`."""
from __future__ import annotations

from datetime import date

from vocabulary.codes import SATISFACTION
from vocabulary.dates import chinese_date

# ---------------------------------------------------------------- errors

TICKET_NOT_FOUND = "没有找到这张工单。"
# One answer for a wrong number and a wrong code, so neither can be guessed apart.
WRONG_NUMBER_OR_CODE = "工单号或查询码不正确，请核对后再试。"
NO_FOLLOWUP_OPEN = "这张工单目前没有待评价的答复。"
NOTHING_TO_CHANGE = "没有要修改的内容。"
ONLY_THE_LEAD = "只有主办单位可以办理这一步；协办单位请与主办单位联系。"
MERGE_INTO_ITSELF = "不能把工单合并到它自己。"
MERGE_TARGET_INVALID = "要合并到的工单不存在或已结束。"


def unknown_category(code: str) -> str:
    return f"未知的投诉类别：{code}"


def unknown_department(code: str) -> str:
    return f"未知的单位代码：{code}"


def unknown_state(code: str) -> str:
    return f"未知的状态：{code}"


def reroute_before_amending(problem: str) -> str:
    return f"{problem}请先改派，再修改被投诉单位。"


def not_true_or_false(param: str) -> str:
    return f"参数 {param} 只能是 true 或 false。"


def not_an_integer(param: str) -> str:
    return f"参数 {param} 必须是整数。"


def out_of_range(param: str, lo: int, hi: int) -> str:
    return f"参数 {param} 必须在 {lo} 到 {hi} 之间。"


# ---------------------------------------------------------------- reasons recorded on events

AUTO_DISPATCH = "分类置信度达标，自动派单"
HANDOFF_ASKED = "群众要求转人工"
# The reason a ticket is closed with when the 回访 window ends without a rating.
UNRATED = "未评价"


# ---------------------------------------------------------------- the citizen's timeline

# action -> what the citizen reads; {lead} falls back to SOME_DEPARTMENT.
TIMELINE = {
    "submit": "您的投诉已受理",
    "dispatch": "已转交{lead}办理",
    "reroute": "已改由{lead}办理",
    "accept": "承办单位已签收",
    "verify": "承办单位已完成核查",
    "reply": "承办单位已答复",
    "follow_up": "已回访，您的评价：{satisfaction}",
    "reopen": "已重新交办（重办）",
    "extension_approve": "办理期限已延长至{new_due}，原因：{request_reason}",
    "pause": "等待您补充材料，期间暂停计时",
    "resume": "材料已补充，恢复计时",
    "reject": "不予受理，原因：{reason}",
    "merge": "与工单{into}合并办理",
    "close": "已办结",
    "supervise": "工单已被督办",
}
SOME_DEPARTMENT = "承办单位"


# ---------------------------------------------------------------- the answer to a 回访, by the state it leads to

FOLLOWUP_DONE = {
    "closed": "感谢您的评价，工单已办结。",
    "reopened": "已收到您的不满意评价，工单已退回承办单位重新办理（重办），我们会继续跟进。",
    "supervising": "已收到您的不满意评价，工单已转督办部门处理，我们会继续跟进。",
}


# ---------------------------------------------------------------- messages queued for the citizen

def replied(number: str, reply: str) -> str:
    return (f"您的工单 {number} 已有答复：\n{reply}\n\n"
            f"请对办理结果评价：{'、'.join(SATISFACTION.labels.values())}（直接回复其中一项即可）。")


def extended(number: str, new_due: date, reason: str) -> str:
    return f"您的工单 {number} 办理期限已延长至 {chinese_date(new_due)}，原因：{reason}。"


def rejected(number: str, reason: str | None) -> str:
    return f"您的工单 {number} 经审核不予受理，原因：{reason}。如有疑问可回复“转人工”。"


def merged(number: str, into: str | None) -> str:
    return f"您的工单 {number} 与同一事项的工单 {into} 合并办理，请用新工单号查询进度。"


def reopened(number: str) -> str:
    return f"您的工单 {number} 已重新交办（重办），承办单位将重新办理并答复。"


def supervising(number: str) -> str:
    return f"您的工单 {number} 已转督办部门跟进。"


def paused(number: str, what: str | None) -> str:
    return f"您的工单 {number} 需要您补充材料：{what}。补充后办理时限继续计算。"


def closed_unrated(number: str) -> str:
    return (f"您的工单 {number} 在回访期限内没有收到您的评价，已按“{UNRATED}”办结。"
            "您仍可凭工单号和查询码查询办理情况。")
