"""The complaint categories (DOMAIN.md): code, official name, the short name
a citizen reads, and whether a sum of money is part of such a complaint.

The list itself is data, in categories.json next to this file; whom a
category is routed to is the back office's (intake_store/data/categories.yml).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, NamedTuple, Optional, Tuple

OTHER = "other"  # an ordinary 12345 matter, not 政务失信


class Category(NamedTuple):
    code: str
    name: str
    short_name: str
    asks_amount: bool


def _load() -> Tuple[Category, ...]:
    rows = json.loads((Path(__file__).with_name("categories.json")).read_text(encoding="utf-8"))
    return tuple(Category(r["code"], r["name"], r["short_name"], bool(r["asks_amount"])) for r in rows)


CATEGORIES: Tuple[Category, ...] = _load()
BY_CODE: Dict[str, Category] = {c.code: c for c in CATEGORIES}


def asks_amount(code: Optional[str]) -> bool:
    """Whether the complaint form asks for the sum of money (arrears, contracts, judgments …)."""
    category = BY_CODE.get(code or "")
    return bool(category and category.asks_amount)
