"""Amounts, places and phone numbers as people say them, read from a
complaint's text: what an operator types while a caller talks.

Plain functions, no I/O. The assistant has its own readers in the Rasa
environment; the back office does not import them (the boundary is HTTP).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_GROUPS = {"万": 10_000, "亿": 100_000_000}
_NUMERAL = "".join(_DIGITS) + "".join(_UNITS) + "".join(_GROUPS)
_AMOUNT = re.compile(
    r"(?:\d+(?:\.\d+)?|[" + _NUMERAL + r"])[\d.多余" + _NUMERAL + r"]*(?:块钱|元|块)?"
)
# A number followed by these counts something other than money (3年, 20户).
_NOT_MONEY = re.compile(r"[年月日号个人名位户家天次岁层栋米平亩%项份套间辆吨]")
# Words just before an amount that mark it as the sum still owed.
_OWED = ("还欠", "欠了", "欠我", "欠", "尾款", "剩下", "拖欠", "未付", "没付", "没给", "至今")


def _plain(text: str) -> str:
    """Full-width digits and signs as ASCII, thousands separators dropped."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)


def parse_amount(said: str) -> Decimal | None:
    """One amount as said or written, in yuan: 52万 → 520000, 12600元 → 12600,
    三万二 → 32000, 1.5亿 → 150000000, 八十六万 → 860000. None if it is none."""
    s = _plain(said).strip()
    s = re.sub(r"(?:块钱|元|块)$", "", s).replace("多", "").replace("余", "")
    if not s:
        return None
    total = Decimal(0)      # finished 亿 and 万 groups
    section = Decimal(0)    # below the current group
    number: Decimal | None = None
    last_unit = 0
    for token in re.findall(r"\d+(?:\.\d+)?|.", s):
        if token[0].isdigit():
            number = Decimal(token)
        elif token in _DIGITS:
            number = Decimal(_DIGITS[token])
        elif token in _UNITS:
            section += (number if number is not None else Decimal(1)) * _UNITS[token]
            number, last_unit = None, _UNITS[token]
        elif token in _GROUPS:
            group = section + (number or 0)
            total = (total + group) * _GROUPS[token] if token == "亿" else total + group * _GROUPS[token]
            section, number, last_unit = Decimal(0), None, _GROUPS[token]
        else:
            return None
    if number is not None:
        # 三万二 is 32000 and 三百五 is 350: a lone digit after a unit is one unit lower.
        section += number * last_unit // 10 if last_unit and number < 10 and s[-1] in _DIGITS else number
    value = total + section
    return value.quantize(Decimal("0.01")) if value > 0 else None


def amounts_in(text: str | None) -> list[tuple[Decimal, int]]:
    """Every amount of money in the text with where it starts. Only numbers
    carrying 元/块 or 万/亿 count, so dates, counts and phone numbers do not."""
    if not text:
        return []
    t = _plain(text)
    found = []
    for m in _AMOUNT.finditer(t):
        raw = m.group(0)
        if not (raw.endswith(("元", "块", "块钱")) or "万" in raw or "亿" in raw):
            continue
        if _NOT_MONEY.match(t[m.end():m.end() + 1]):
            continue
        value = parse_amount(raw)
        if value is not None:
            found.append((value, m.start()))
    return found


def amount_in(text: str | None) -> Decimal | None:
    """The amount a complaint is about: the one marked as owed (还欠五十二万),
    else the last one said (a total is usually followed by what is left)."""
    found = amounts_in(text)
    if not found:
        return None
    t = _plain(text or "")
    for value, start in found:
        if any(t[max(0, start - 4):start].endswith(cue) for cue in _OWED):
            return value
    return found[-1][0]


# ---------------------------------------------------------------- places

_PLACE_SUFFIXES = ("街道", "区", "县", "镇", "乡")
# Words ending like a place that are none: 小区 is a housing estate, 乡镇 a kind.
_NOT_PLACE_ENDINGS = ("小区", "社区", "园区", "景区", "校区", "厂区", "片区", "辖区", "市区", "城镇", "乡镇", "城乡")
_NOT_PLACES = ("山区", "地区", "灾区", "城区", "家乡", "老乡", "下乡", "回乡")
# Where a place name cannot reach back across.
_STOPS = set("，。、；：！？,.;:!? \n（）()“”\"'在于是到从往与及给被对把的了我你他她们住位个这那年月日号里说")
_NAME_MAX = 5
# One character before 县 or 镇 names a place (沛县); before 区 it is a word (城区, 向区政府).
_NAME_MIN = {"区": 2, "街道": 2}


def _name_char(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" and ch not in _STOPS


def _place_at(t: str, end: int, suffix: str) -> str | None:
    """The place whose suffix ends at `end`, reaching back to a stop or an earlier place."""
    start = i = end - len(suffix)
    while i > 0 and start - i < _NAME_MAX and _name_char(t[i - 1]) and t[i - 1] not in "省市区县镇乡" \
            and t[max(0, i - 2):i] != "街道":
        i -= 1
    name = t[i:end]
    if start - i < _NAME_MIN.get(suffix, 1) or name in _NOT_PLACES or name.endswith(_NOT_PLACE_ENDINGS):
        return None
    return name


def place_in(text: str | None) -> str | None:
    """Where it happened as the caller said it: the first 区/县/镇/乡/街道 named,
    with the places right after it (莱山区黄海路街道, 甘泉县道镇)."""
    if not text:
        return None
    t = _plain(text)
    places: list[tuple[int, int, str]] = []
    for m in re.finditer("|".join(_PLACE_SUFFIXES), t):
        name = _place_at(t, m.end(), m.group(0))
        if name:
            places.append((m.end() - len(name), m.end(), name))
    if not places:
        return None
    start, end, name = places[0]
    for s, e, n in places[1:]:
        if s != end:
            break
        name, end = name + n, e
    # A city written just before it belongs to it (烟台市莱山区).
    city = _place_at(t, start, "市") if t[start - 1:start] == "市" else None
    if city:
        name = city + name
    return name


# ---------------------------------------------------------------- phone numbers

def phone_number(said: str | None) -> str | None:
    """A mainland mobile (13812345678) or a landline with its area code
    (0535-6612345), normalised; None when it is neither."""
    if not said:
        return None
    digits = re.sub(r"[\s\-()（）]", "", _plain(said))
    digits = re.sub(r"^(?:\+?86)(?=1\d{10}$)", "", digits)
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    m = re.fullmatch(r"(0[12]\d)([2-9]\d{7})|(0[3-9]\d{2})([2-9]\d{6,7})", digits)
    if m:
        area, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return f"{area}-{number}"
    return None
