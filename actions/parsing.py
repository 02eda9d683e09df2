"""Plain parsers for what citizens type: amounts, phone numbers, ID numbers,
ticket numbers and query codes.

Standard library only, so the unit tests run with nothing but `unittest`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import List, Optional, Tuple

from vocabulary.masking import (  # noqa: F401  (ID helpers are re-exported for the actions)
    ID18,
    LANDLINE,
    MOBILE,
    find_id_numbers,
    id_number_spans,
    mask_id_number,
    mask_ids,
)

# ---------------------------------------------------------------- text basics

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULLWIDTH.update({"－": "-", "—": "-", "–": "-", "＋": "+", "（": "(", "）": ")", "，": ",", "．": ".", "　": " "})
_HALFWIDTH_TABLE = str.maketrans(_FULLWIDTH)


def halfwidth(text: str) -> str:
    """Full-width digits and the separators used around numbers → ASCII."""
    return (text or "").translate(_HALFWIDTH_TABLE)


def is_payload(text: Optional[str]) -> bool:
    """A button press arrives as '/intent' or '/intent{...}', not as words."""
    return bool(text) and text.lstrip().startswith("/")


# ---------------------------------------------------------------- ID and phone numbers

# The patterns, and ID masking, are the ones the back office uses (vocabulary.masking).

def _landline(area_raw: str, rest_raw: str) -> Optional[str]:
    # 010 and 02x are 3-digit area codes with 8-digit numbers; the rest are
    # 4-digit codes with 7- or 8-digit numbers. Local numbers never start with 0/1.
    digits = re.sub(r"\D", "", area_raw) + re.sub(r"\D", "", rest_raw)
    if digits.startswith(("01", "02")):
        area, number, lengths = digits[:3], digits[3:], (8,)
    else:
        area, number, lengths = digits[:4], digits[4:], (7, 8)
    if len(number) not in lengths or number[0] in "01":
        return None
    return f"{area}-{number}"


def find_phone(text: Optional[str]) -> Optional[str]:
    """The first valid mainland mobile or landline number in the text,
    normalised (13812345678 / 0535-6612345); None when there is none."""
    if not text:
        return None
    t = halfwidth(text)
    # An ID number contains runs that look like phone numbers.
    t = ID18.sub(" ", t)
    candidates: List[Tuple[int, str]] = []
    for m in MOBILE.finditer(t):
        candidates.append((m.start(), re.sub(r"\D", "", m.group("number"))))
    for m in LANDLINE.finditer(t):
        landline = _landline(m.group("area"), m.group("local"))
        if landline:
            candidates.append((m.start(), landline))
    if not candidates:
        return None
    return sorted(candidates)[0][1]


def normalize_phone(text: Optional[str]) -> Optional[str]:
    """The phone number when the text is (essentially) just a phone number."""
    if not text:
        return None
    t = halfwidth(text).strip()
    digits = re.sub(r"[\s\-()+]", "", t)
    if not digits.isdigit():
        return None
    return find_phone(t)


def is_valid_phone(text: Optional[str]) -> bool:
    return normalize_phone(text) is not None


def mask_phone(phone: Optional[str]) -> str:
    """13812345678 → 138****5678; 0535-6612345 → 0535-***2345."""
    if not phone:
        return ""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}"
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return phone[:2] + "*" * max(len(phone) - 6, 0) + phone[-4:]


# ---------------------------------------------------------------- amounts

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "億": 100_000_000}
# 多/来/余/左右: "about"; the number said is kept as it is.
_APPROX = "多来余把"
_CURRENCY = ("块钱", "元钱", "元", "块", "圆")

_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS) + _APPROX + "几"
_AMOUNT_RUN = re.compile(
    r"(?:\d[\d,]*(?:\.\d+)?|[" + re.escape("".join(_CN_DIGITS) + "十拾") + r"])"
    r"(?:\d|[.,](?=\d)|[" + re.escape(_NUMERAL_CHARS) + r"])*"
    r"(?:块钱|元钱|元|块|圆)?"
)
# A number followed by one of these counts something other than money.
_NOT_MONEY_AFTER = re.compile(r"^\s*(?:年|月|日|号|个|人|名|位|户|家|天|次|岁|层|栋|米|平|亩|%|％|小时|分钟|周|期|项|份|条|套|间|辆|吨|公里|届|批|级)")


def _tokens(expr: str) -> Optional[List[Tuple[str, float, str]]]:
    """('num', value, raw) / ('unit', 10|100|1000, raw) / ('big', 1e4|1e8, raw)."""
    out: List[Tuple[str, float, str]] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch.isdigit():
            m = re.match(r"\d[\d,]*(?:\.\d+)?", expr[i:])
            raw = m.group(0)
            cleaned = raw.rstrip(",")
            parts = cleaned.split(",")
            # 12,600 is a thousands separator; 12,6 is not a number we understand.
            if len(parts) > 1 and not all(len(p.split(".")[0]) == 3 for p in parts[1:]):
                return None
            out.append(("num", float(cleaned.replace(",", "")), cleaned))
            i += len(raw)
            continue
        if ch in _CN_DIGITS:
            out.append(("num", float(_CN_DIGITS[ch]), ch))
        elif ch in _SMALL_UNITS:
            out.append(("unit", float(_SMALL_UNITS[ch]), ch))
        elif ch in _BIG_UNITS:
            out.append(("big", float(_BIG_UNITS[ch]), ch))
        elif ch in _APPROX or ch == " ":
            pass
        elif ch == "几":
            # 十几万 is "ten-odd" (keep 十); 几十万 has no number we can keep.
            if not out or out[-1][0] != "unit":
                return None
        else:
            return None
        i += 1
    return out


def parse_amount(expr: Optional[str]) -> Optional[float]:
    """One spoken or written amount → yuan.

    30万 → 300000; 三十万元 → 300000; 1.2亿 → 120000000; 12,600元 → 12600;
    八千多 → 8000; 两万三 → 23000; 一百零五万 → 1050000; 4万8 → 48000.
    Returns None when the text is not an amount.
    """
    if not expr:
        return None
    s = halfwidth(expr).strip()
    s = re.sub(r"^(?:大概|大约|约|差不多|将近|接近|一共|总共|共|合计|累计|还有|剩下|是|有)", "", s)
    s = re.sub(r"(?:左右|上下|的样子)$", "", s)
    for suffix in _CURRENCY:
        if s.endswith(suffix):
            s = s[: -len(suffix)]
            break
    s = s.strip().rstrip("多来余").strip()
    if not s:
        return None
    tokens = _tokens(s)
    if not tokens or not any(t[0] == "num" for t in tokens) and tokens[0][0] != "unit":
        return None

    total = 0.0      # completed 亿 groups
    wan = 0.0        # completed 万 group below 亿
    section = 0.0    # below 万
    current: Optional[float] = None
    current_raw = ""
    previous: Optional[Tuple[str, float, str]] = None
    for kind, value, raw in tokens:
        if kind == "num":
            if current is not None and previous is not None and previous[0] == "num" and raw.isdigit() is False:
                # 一零五 style digit strings: read them as digits.
                current = current * 10 + value
                current_raw += raw
            else:
                current, current_raw = value, raw
        elif kind == "unit":
            section += (1.0 if current is None else current) * value
            current, current_raw = None, ""
        else:  # big
            group = section + (current or 0.0)
            if group == 0:
                group = 1.0
            if value == 100_000_000:
                total += (wan + group) * value
                wan = 0.0
            else:
                wan += group * value
            section, current, current_raw = 0.0, None, ""
        previous = (kind, value, raw)

    if current is not None:
        # 两万三 = 23000, 三百五 = 350: a lone trailing digit after a unit
        # means one unit lower.
        before_last = tokens[-2] if len(tokens) >= 2 else None
        single = len(current_raw) == 1 and current < 10
        if single and before_last is not None and before_last[0] in ("unit", "big") and tokens[-1][0] == "num":
            section += current * before_last[1] / 10
        else:
            section += current
    result = total + wan + section
    if result <= 0:
        return None
    return round(result, 2)


def find_amounts(text: Optional[str]) -> List[Tuple[float, int, int]]:
    """Amounts of money in free text: (yuan, start, end).

    Only numbers that carry a money unit (元/块/万/亿, or 千/百 with 多) count,
    so dates, phone numbers and head counts are left alone.
    """
    if not text:
        return []
    t = halfwidth(text)
    found = []
    for m in _AMOUNT_RUN.finditer(t):
        raw = m.group(0)
        if _NOT_MONEY_AFTER.match(t[m.end():]):
            continue
        has_currency = raw.endswith(_CURRENCY)
        has_big = any(u in raw for u in _BIG_UNITS)
        has_small_approx = any(u in raw for u in "千百仟佰") and any(a in raw for a in "多来余")
        if not (has_currency or has_big or has_small_approx):
            continue
        value = parse_amount(raw)
        if value is not None:
            found.append((value, m.start(), m.end()))
    return found


# Words right before an amount that mark it as the sum still owed.
_OWED_CUES = ("剩下", "剩", "还欠", "欠了", "欠我", "欠", "尾款", "还有", "差", "未付", "没付", "没给", "拖欠", "累计", "一共", "共计")


def amount_from_text(text: Optional[str]) -> Optional[float]:
    """The amount a message is about: the whole message when it is just an
    amount (三十五万), otherwise the amount marked as owed, otherwise the first."""
    if not text:
        return None
    whole = parse_amount(text)
    if whole is not None:
        return whole
    found = find_amounts(text)
    if not found:
        return None
    t = halfwidth(text)
    for value, start, _ in found:
        before = t[max(0, start - 4):start]
        if any(cue in before for cue in _OWED_CUES):
            return value
    return found[0][0]


def pick_amount(values: List[str], text: Optional[str]) -> Optional[float]:
    """Choose among several amount entities with the same rule as free text."""
    parsed = [parse_amount(v) for v in values]
    parsed = [p for p in parsed if p is not None]
    if not parsed:
        return amount_from_text(text)
    if len(parsed) == 1:
        return parsed[0]
    owed = amount_from_text(text)
    if owed is not None and owed in parsed:
        return owed
    return parsed[0]


def format_yuan(value: Optional[float]) -> str:
    """350000 → 35万元（350,000元）; 8000 → 8,000元."""
    if value is None:
        return "不详"

    def short(x: float) -> str:
        return f"{x:.4f}".rstrip("0").rstrip(".")

    exact = f"{value:,.2f}".rstrip("0").rstrip(".")
    if value >= 100_000_000:
        return f"{short(value / 100_000_000)}亿元（{exact}元）"
    if value >= 10_000:
        return f"{short(value / 10_000)}万元（{exact}元）"
    return f"{exact}元"


# ---------------------------------------------------------------- head counts (urgency)

_COUNT_WORDS = {"几十": 20, "数十": 20, "好几十": 30, "十几": 11, "上百": 100, "几百": 200, "数百": 200, "好几百": 300, "上千": 1000, "几千": 2000}


def parse_count(expr: str) -> Optional[int]:
    """几十 → 20, 三十多 → 30, 上百 → 100, 200 → 200 (a plain lower estimate)."""
    s = halfwidth(expr).strip().rstrip("多来余号")
    if s in _COUNT_WORDS:
        return _COUNT_WORDS[s]
    value = parse_amount(s)
    return int(value) if value is not None else None


# ---------------------------------------------------------------- tickets

_TICKET = re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s*[-—－_ ]?\s*(\d{4})(?!\d)")
_QUERY_CODE = re.compile(r"(?<!\d)(?<!\d[-—－_ ])(\d{8})(?![-—－_ ]?\d)")


def find_ticket_number(text: Optional[str]) -> Optional[str]:
    """20261122-0007 / 202611220007 / 20261122 0007 → 20261122-0007."""
    if not text:
        return None
    m = _TICKET.search(halfwidth(text))
    if not m:
        return None
    y, mo, d, seq = m.groups()
    try:
        date(int(y), int(mo), int(d))
    except ValueError:
        return None
    return f"{y}{mo}{d}-{seq}"


def find_query_code(text: Optional[str]) -> Optional[str]:
    """An 8-digit query code that is not the date part of a ticket number."""
    if not text:
        return None
    t = _TICKET.sub(" ", halfwidth(text))
    t = ID18.sub(" ", t)
    m = _QUERY_CODE.search(t)
    return m.group(1) if m else None
