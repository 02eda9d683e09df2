"""Reading complaint fields out of free Chinese text: plain keyword rules.

The NLU gives entities (respondent, amount, date, place, phone); these rules
fill what entities cannot: what was promised, which evidence exists, a
contract or judgment number, the contact's name, and which field a citizen
wants to correct. Standard library only.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from .parsing import halfwidth

_CLAUSE_SPLIT = re.compile(r"[，,。！!？?；;\n]+")

PROMISE_CUES = (
    "承诺", "答应", "说好", "约定", "保证", "合同", "协议", "应该", "应当", "欠", "拖", "未付", "没付", "不付",
    "没给", "不给", "不还", "没还", "不退", "没退", "兑现", "到位", "补贴", "奖励", "结算", "尾款", "工资",
    "工程款", "货款", "判决", "赔偿", "补偿", "不执行", "超时", "逾期", "没办", "不办", "没落实", "不落实",
)

# 欠条 is evidence, not a debt.
_PROMISE = re.compile("|".join(re.escape(c) if c != "欠" else "欠(?!条)" for c in PROMISE_CUES))

EVIDENCE_WORDS = (
    "合同", "协议", "结算单", "结算书", "验收单", "验收报告", "审计报告", "发票", "收据", "欠条", "借条",
    "对账单", "判决书", "裁定书", "调解书", "执行书", "聊天记录", "微信记录", "短信", "录音", "录像", "视频",
    "照片", "截图", "会议纪要", "承诺书", "中标通知书", "成交通知书", "工资表", "考勤表", "工资条",
    "欠薪条", "公文", "批复", "红头文件", "通知书", "回执", "受理单", "盖章",
)
_NO_EVIDENCE = re.compile(r"没有?(?:任何)?(?:证据|凭证|材料|书面)|无(?:证据|凭证)|口头(?:答应|承诺|说|约定)")

_UNKNOWN = re.compile(r"^(?:我)?(?:也)?(?:不知道|不清楚|不太清楚|记不清|记不得|不记得|忘了|说不准|说不清|不确定|没印象)")
_NEGATIVE = re.compile(r"^(?:没有|没|无|木有|都没有|啥也没有|什么都没有|没有证据|没证据|暂时没有|没有的)")
_ORG = re.compile(r"局|委|办|府|院|所|站|队|处|公司|中心|集团|街道|镇|乡|村|社区|管委会|学校|医院|单位|部|厅|会|馆|署|室|企业")
_PLACE = re.compile(r"区|县|市|镇|乡|街道|村|路|街|社区|小区|园区|开发区|新区")
_TIME = re.compile(r"\d|[一二三四五六七八九十两]+(?:月|年|号|日)|年|月|号|日|前|后|初|底|末|春节|过年|今年|去年|前年|上个|那会|当时|以来|开始|期间|季度|周|星期|天")

_COUNTY_PREFIX = re.compile(r"^([\u4e00-\u9fa5]{2,3}?(?:区|县))")
_TOWN = re.compile(r"((?:(?![市区县省])[\u4e00-\u9fa5]){2,3}?(?:街道|镇|乡))(?=办事处|办|政府|人民政府|党委|$)")

_REFERENCE = (
    re.compile(r"[（(]\d{4}[）)][\u4e00-\u9fa5]{1,3}\d{1,4}[\u4e00-\u9fa5]{1,4}\d+号"),
    re.compile(r"(?:合同|协议|项目|标段|招标|采购|批复|文件)(?:编号|号|文号)[:：是为]?\s*([A-Za-z0-9\u4e00-\u9fa5\-_/〔〕\[\]（）()]{3,40}?号?)(?=[，,。；;\s]|$)"),
    re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,6}[-_]\d{2,4}[-_]\d{1,6}(?![A-Za-z0-9])"),
)

_NAME_PATTERNS = (
    re.compile(r"(?:我叫|我的名字是|名字是|姓名[:：]?|联系人[:：]?\s*|本人)([\u4e00-\u9fa5]{2,4}?)(?=[，,。；;\s]|电话|手机|号码|身份证|$)"),
    re.compile(r"(?:我|本人)?姓([\u4e00-\u9fa5])(?=[，,。；;\s]|电话|手机|$)"),
    re.compile(r"(?:联系人[:：]?\s*|我是)?([\u4e00-\u9fa5](?:先生|女士|经理|会计|老师|师傅))"),
)

# The openings that announce a complaint without telling it (我要举报、
# 有个事想问问、你们管不管).
_GENERIC = re.compile(r"你好|您好|请问|我要|我想|想要|要|投诉|举报|反映|一下|一个|个|问题|情况|事情|事|的|了|吗|呢|啊|吧"
                      r"|想问问|问问|你们|管不管|管吗|这里|这个|[，,。！!？?\s]")


def clauses(text: str) -> List[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(text or "") if c.strip()]


def is_meaningful(text: str) -> bool:
    """More than 'I want to complain': something a department could act on."""
    return len(_GENERIC.sub("", text or "")) >= 4


def promise_from(text: str, limit: int = 300) -> Optional[str]:
    """The clauses of a long message that say what was promised or is owed."""
    if len(text or "") < 12:
        return None
    picked = [c for c in clauses(text) if _PROMISE.search(c)]
    if not picked:
        return None
    joined = "，".join(picked)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


def evidence_from(text: str) -> Optional[str]:
    """Kinds of evidence the citizen mentions; '无' when they say there is none."""
    if not text:
        return None
    if _NO_EVIDENCE.search(text):
        return "无"
    found: List[str] = []
    for word in EVIDENCE_WORDS:
        if word in text and not any(word in f for f in found):
            found.append(word)
    return "、".join(found) if found else None


def is_unknown(text: str) -> bool:
    return bool(_UNKNOWN.search((text or "").strip()))


def is_negative(text: str) -> bool:
    return bool(_NEGATIVE.search((text or "").strip()))


def looks_like_org(text: str) -> bool:
    return bool(_ORG.search(text or ""))


def looks_like_place(text: str) -> bool:
    return bool(_PLACE.search(text or ""))


def looks_like_time(text: str) -> bool:
    return bool(_TIME.search(text or ""))


def place_from_respondent(raw: str) -> Optional[str]:
    """福山区住建局 → 福山区; 留格庄镇政府 → 留格庄镇 (only when it is written)."""
    raw = (raw or "").strip()
    m = _COUNTY_PREFIX.search(raw)
    if m:
        return m.group(1)
    m = _TOWN.search(raw)
    return m.group(1) if m else None


def find_reference(text: str) -> Optional[str]:
    """A contract, judgment or project number as written."""
    t = halfwidth(text or "")
    for pattern in _REFERENCE:
        m = pattern.search(t)
        if m:
            return (m.group(1) if m.groups() else m.group(0)).strip()[:200]
    return None


def find_contact_name(text: str) -> Optional[str]:
    for pattern in _NAME_PATTERNS:
        m = pattern.search(text or "")
        if m:
            name = m.group(1)
            if name and not any(w in name for w in ("公司", "单位", "政府", "投诉", "匿名")):
                return name[:100]
    return None


_PREFIXES = ("被投诉的单位是", "被投诉单位是", "被投诉的是", "投诉的是", "单位是", "地点是", "地方是", "时间是",
             "大概是", "大约是", "应该是", "就是", "是在", "就在", "大概", "大约", "是", "在")
_SUFFIXES = ("那边", "这边", "的事", "的", "吧", "啊", "呢", "了")


def clean_answer(text: str) -> str:
    """'是住建局的。' → '住建局': the filler around a short answer."""
    t = (text or "").strip().strip("。.!！~～ ")
    if len(t) > 20:
        return t
    for p in _PREFIXES:
        if t.startswith(p) and len(t) > len(p) + 1:
            t = t[len(p):]
            break
    for s in _SUFFIXES:
        if t.endswith(s) and len(t) > len(s) + 1:
            t = t[: -len(s)]
            break
    return t.strip()


# Which field a correction is about. Order matters: 承诺时间 is a time, not the
# promise; 联系电话 is the phone.
FIELD_KEYWORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("phone", ("电话", "手机", "号码", "联系方式")),
    ("promise_date", ("时间", "日期", "什么时候", "年份", "月份")),
    ("respondent", ("单位", "部门", "被投诉")),
    ("amount", ("金额", "钱数", "多少钱", "数额", "欠款数")),
    ("place", ("地点", "地址", "地方", "区县", "街道", "位置")),
    ("evidence", ("证据", "材料", "凭证")),
    ("promise", ("承诺", "内容", "答应")),
    ("anonymous", ("匿名", "实名")),
    ("consent_disclose", ("公开", "告知", "告诉单位", "告诉承办")),
    ("description", ("经过", "情况", "描述", "事情")),
)


def field_named(text: str) -> Optional[str]:
    for slot, words in FIELD_KEYWORDS:
        if any(w in (text or "") for w in words):
            return slot
    return None


_MARKERS = ("应该是", "应为", "应是", "改成", "改为", "换成", "更正为", "更正成", "正确的是", "是")


def corrected_value(text: str) -> Optional[str]:
    """'承诺内容说错了，是答应年底前付清' → '答应年底前付清' (what follows the
    last 是/改成/应该是)."""
    text = text or ""
    end = max((text.rfind(m) + len(m) for m in _MARKERS if m in text), default=-1)
    if end < 0:
        return None
    value = text[end:].strip().lstrip(":：").strip().rstrip("。！!.~～ ")
    return value if len(value) >= 2 and value not in ("对的", "的吗", "不是") else None
