"""Phone and ID numbers masked in a transcript shown to anyone but the hotline.

Pure functions. Mobile numbers keep the first 3 and last 4 digits (138****5678),
landlines the area code and last 4, ID numbers the first 6 and last 4
(the region and a check on the person, never the birth date).
"""
from __future__ import annotations

import re

# Full-width digits are common in Chinese input methods; matched like ASCII ones.
_FW = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_SEP = r"[ \-]?"
_ID18 = re.compile(r"(?<![0-9])[1-9](?:" + _SEP + r"[0-9]){16}" + _SEP + r"[0-9xX](?![0-9])")
_ID15 = re.compile(r"(?<![0-9])[1-9][0-9]{14}(?![0-9xX])")
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86" + _SEP + r")?)(1[3-9][0-9](?:" + _SEP + r"[0-9]){8})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(\(?0[0-9]{2,3}\)?)([ \-])?([2-9][0-9]{2,3}" + _SEP + r"[0-9]{4})(?![0-9])")


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
    normal = text.translate(_FW)
    out = list(text)

    def apply(match: re.Match, masked: str) -> None:
        for i, ch in zip(range(match.start(), match.end()), masked):
            if ch == "*":
                out[i] = "*"

    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    for m in list(_ID18.finditer(normal)) + list(_ID15.finditer(normal)):
        if free(m):
            apply(m, _keep(m.group(0), 6, 4))
            taken.append(m.span())
    for m in _MOBILE.finditer(normal):
        if free(m):
            apply(m, m.group(1) + _keep(m.group(2), 3, 4))
            taken.append(m.span())
    for m in _LANDLINE.finditer(normal):
        if free(m):
            area = m.group(1) + (m.group(2) or "")
            apply(m, area + _keep(m.group(3), 0, 4))
            taken.append(m.span())
    return "".join(out)
