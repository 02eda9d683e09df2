"""Dates as people read them in Chinese."""
from __future__ import annotations

from datetime import date


def chinese_date(day: date | None) -> str:
    """2025-01-05 → 2025年1月5日 (a datetime gives its date); None → ""."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"
