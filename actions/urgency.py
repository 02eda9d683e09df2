"""A plain keyword-and-number rule for urgent complaints.

The dispatcher still decides; this only flags a ticket and says why, so the
flag can be checked against the citizen's own words. Standard library only.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterable, List, Optional, Tuple

from .parsing import halfwidth, parse_count

_WAGES = re.compile(r"工资|工钱|薪水|薪酬|血汗钱|农民工|劳务费|民工")
_FESTIVAL = re.compile(r"春节|过年|年底|年关|年前|腊月|年终|回家过年|过节")

_NUMBER = r"(?:\d+|[一二两三四五六七八九十百千几数上好]+)"
_PEOPLE = re.compile(
    r"(" + _NUMBER + r")\s*(?:多|来|余)?\s*(?:个|名|位|号|户|家)?\s*"
    r"(?:人|工人|农民工|民工|工友|村民|居民|业主|员工|职工|商户|家庭|学生|孩子|老人|群众|住户|师傅)"
)
_WHOLE_GROUP = re.compile(r"全村|全组|整个村|一个村的|全小区|整个小区|整栋楼|全楼|全体(?:职工|员工|村民|业主|工人)|所有(?:工人|村民|业主|住户)")

_SAFETY = re.compile(
    r"随时(?:可能|会|都)?(?:会)?(?:塌|倒|垮|掉|砸)|倒塌|坍塌|塌方|垮塌|塌陷|危房|有人受伤|受伤|伤亡|死亡|出人命|砸伤|摔伤|"
    r"触电|漏电|起火|着火|火灾|爆炸|(?:燃气|煤气|天然气)泄漏|中毒|安全隐患"
)
_HARDSHIP = re.compile(
    r"住院|看病|治病|医药费|医疗费|手术|化疗|透析|救命钱|吃不上饭|揭不开锅|没饭吃|交不起学费|上不起学|"
    r"生活困难|生活费都没|没钱过年|断水|断电|停水|停电|没有暖气|没暖气|停暖|无家可归|没地方住|露宿|低保|残疾"
)

MANY_PEOPLE = 10


def _near_new_year(today: Optional[date]) -> bool:
    # 年底 to 春节: December to mid-February covers every Spring Festival date.
    return today is not None and (today.month in (12, 1) or (today.month == 2 and today.day <= 20))


def people_affected(text: str) -> Tuple[int, str]:
    """The largest head count mentioned and how it was said
    (几十个工人 → 20, '几十个工人'); (0, '') when none."""
    best, said = 0, ""
    for m in _PEOPLE.finditer(halfwidth(text)):
        n = parse_count(m.group(1))
        if n and n > best:
            best, said = n, m.group(0)
    return best, said


def assess_urgency(texts: Iterable[str], category: Optional[str] = None,
                   today: Optional[date] = None) -> Tuple[bool, Optional[str]]:
    """(urgent, reason). The reason lists every rule that matched, in Chinese."""
    joined = " ".join(t for t in texts if t)
    reasons: List[str] = []
    if (category == "wage_arrears" or _WAGES.search(joined)) and (_FESTIVAL.search(joined) or _near_new_year(today)):
        reasons.append("年底或春节前拖欠工资")
    count, said = people_affected(joined)
    if count >= MANY_PEOPLE:
        reasons.append(f"涉及人数多（{said}）")
    elif _WHOLE_GROUP.search(joined):
        reasons.append("涉及整村或整片群众")
    if _SAFETY.search(joined):
        reasons.append("存在安全隐患或有人受伤")
    if _HARDSHIP.search(joined):
        reasons.append("涉及就医或基本生活困难")
    if not reasons:
        return False, None
    return True, "；".join(reasons)[:200]
