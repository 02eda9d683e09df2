"""Personal data masked in what is stored or read outside the hotline.

One set of patterns for ID and phone numbers, used by the assistant (which
stores no whole ID number) and by the back office. Pure functions:

- `mask_ids`: ID numbers only, as the assistant stores a citizen's words;
  `find_id_numbers`, `id_number_spans`, `mask_id_number` go with it.
- `mask_personal`: phone and ID numbers. Mobile numbers keep the first 3 and
  last 4 digits (138****5678), landlines the area code and last 4, ID numbers
  the first 6 and last 4 (the region and a check on the person, never the
  birth date). Supervisors read free text this way, and web visitors their
  own transcript.
- `mask_identity`: also people's names (the complainant's, and a name
  introduced as one: 我叫…, 联系人…, 王先生), car plates and the house-level
  part of an address (楼、单元、室). Departments and partners read a
  complainant's own words this way unless the complainant agreed to disclose.
  A name nobody introduces cannot be told from other words; the hotline's
  operators see such text as typed and can amend it.

The patterns work on half-width digits (`halfwidth_digits`).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

# Full-width digits are common in Chinese input methods; matched like ASCII ones.
_FW = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_SEP = r"[ \-]?"  # people copy numbers in groups
# 18-digit resident ID and the old 15-digit form.
ID18 = re.compile(r"(?<![0-9])[1-9](?:" + _SEP + r"[0-9]){16}" + _SEP + r"[0-9xX](?![0-9])")
ID15 = re.compile(r"(?<![0-9])[1-9][0-9]{14}(?![0-9xX])")
MOBILE = re.compile(r"(?<![0-9])(?P<prefix>(?:\+?86" + _SEP + r")?)(?P<number>1[3-9][0-9](?:" + _SEP + r"[0-9]){8})(?![0-9])")
# Local numbers have 7 or 8 digits and never start with 0 or 1.
LANDLINE = re.compile(
    r"(?<![0-9])(?P<area>\(?0[0-9]{2,3}\)?)(?P<sep>[ \-])?(?P<local>[2-9][0-9]{2,3}" + _SEP + r"[0-9]{4})(?![0-9])")


def halfwidth_digits(text: str) -> str:
    """Full-width digits (and ｘ) as ASCII; everything else as typed, same length."""
    return text.translate(_FW)


def _id_matches(normal: str) -> List[re.Match]:
    return list(ID18.finditer(normal)) + list(ID15.finditer(normal))


def mask_id_number(number: str) -> str:
    """370602199001011234 → 370602********1234 (first 6, last 4 kept; separators dropped)."""
    digits = re.sub(r"[ \-]", "", halfwidth_digits(number))
    if len(digits) <= 10:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def find_id_numbers(text: Optional[str]) -> List[str]:
    """ID numbers in the text, masked (the unmasked form is never returned)."""
    return [mask_id_number(m.group(0)) for m in _id_matches(halfwidth_digits(text or ""))]


def id_number_spans(text: Optional[str]) -> List[Tuple[int, int]]:
    """Where ID numbers are in the text (offsets into the text as typed)."""
    return [m.span() for m in _id_matches(halfwidth_digits(text or ""))]


def mask_ids(text: Optional[str]) -> Optional[str]:
    """The text with every ID number masked (in half-width digits); use on anything that is stored."""
    if text is None:
        return None
    t = ID18.sub(lambda m: mask_id_number(m.group(0)), halfwidth_digits(text))
    return ID15.sub(lambda m: mask_id_number(m.group(0)), t)


def _keep(raw: str, head: int, tail: int) -> str:
    """Star every digit of `raw` except the first `head` and last `tail`."""
    positions = [i for i, ch in enumerate(raw) if ch.isdigit() or ch in "xX"]
    hidden = set(positions[head:len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(raw))


def mask_personal(text: str) -> str:
    """The text with ID, mobile and landline numbers masked; everything else as typed."""
    if not text:
        return text
    # Work on a copy with half-width digits, and put masks back into the original
    # positions, so full-width input stays full-width where nothing is hidden.
    normal = halfwidth_digits(text)
    out = list(text)

    def apply(match: re.Match, masked: str) -> None:
        for i, ch in zip(range(match.start(), match.end()), masked):
            if ch == "*":
                out[i] = "*"

    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    for m in _id_matches(normal):
        if free(m):
            apply(m, _keep(m.group(0), 6, 4))
            taken.append(m.span())
    for m in MOBILE.finditer(normal):
        if free(m):
            apply(m, m.group("prefix") + _keep(m.group("number"), 3, 4))
            taken.append(m.span())
    for m in LANDLINE.finditer(normal):
        if free(m):
            area = m.group("area") + (m.group("sep") or "")
            apply(m, area + _keep(m.group("local"), 0, 4))
            taken.append(m.span())
    return "".join(out)


# Common surnames (single and compound): a name is a surname and one or two characters.
_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝]"
)
_CJK = "[\u4e00-\u9fa5]"
_AFTER_NAME = r"(?=$|[，。,.;；：:\s、！!？?）)」”\]]|电话|手机|联系|号码|身份|住|家住|今年|男|女|\d)"
_INTRODUCED = re.compile(
    r"(我叫|我是|本人叫|本人是|本人|名叫|叫做|姓名[:：]?\s*|联系人[:：]?\s*|申请人[:：]?\s*|投诉人[:：]?\s*|"
    r"举报人[:：]?\s*|反映人[:：]?\s*|法定代表人[:：]?\s*|负责人[:：]?\s*)"
    r"(" + _SURNAMES + ")(" + _CJK + "{1,2}?)" + _AFTER_NAME)
_ADDRESSED = re.compile(r"(" + _SURNAMES + ")(先生|女士|小姐|师傅|阿姨|大姐|大哥)")
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])([A-HJ-NP-Z])([·•\s-]?)([A-HJ-NP-Z0-9]{5,6})(?![A-Za-z0-9])")
_HOUSE = re.compile(r"([0-9０-９]+|[一二三四五六七八九十]+)(号楼|栋|幢|单元|室|号院|户)")


def introduced_names(texts) -> set[str]:
    """Names introduced as a person's (我叫王建国) anywhere in `texts`: once
    introduced, a name is masked wherever else it appears (街道答应王建国家…)."""
    found = set()
    for text in texts:
        for m in _INTRODUCED.finditer(text or ""):
            found.add(m.group(2) + m.group(3))
    return found


def mask_identity(text: str | None, names: tuple[str, ...] | list[str] = ()) -> str | None:
    """The text with the identity of the people in it masked (see the module's note);
    `names`: names known to be the complainant's, masked wherever they appear."""
    if not text:
        return text
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, "*" * len(name))
    text = mask_personal(text)
    text = _PLATE.sub(lambda m: m.group(1) + m.group(2) + m.group(3) + "*" * len(m.group(4)), text)
    text = _HOUSE.sub(lambda m: "*" + m.group(2), text)
    text = _INTRODUCED.sub(lambda m: m.group(1) + "*" * (len(m.group(2)) + len(m.group(3))), text)
    return _ADDRESSED.sub(lambda m: "*" + m.group(2), text)
