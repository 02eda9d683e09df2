"""Scorecards and ticket lists as CSV and XLSX.

Only the columns listed here are exported: none of them can carry the
complainant's identity (name, phone, chat id, or the free-text description
in which people often name themselves).
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ..workcalendar import BEIJING

# (key, 表头, kind): kind decides how a value is written.
SCORECARD_COLUMNS = (
    ("rank", "排名", "int"),
    ("body_name", "单位", "text"),
    ("level", "层级", "text"),
    ("score", "综合诚信分", "number"),
    ("grade", "评级", "text"),
    ("grade_name", "评级说明", "text"),
    ("received", "收到工单", "int"),
    ("accept_on_time_rate", "按时签收率", "rate"),
    ("reply_on_time_rate", "按时答复率", "rate"),
    ("satisfied_rate", "满意率（非常满意+满意）", "rate"),
    ("satisfaction_index", "满意度指数", "rate"),
    ("rated", "回访评价数", "int"),
    ("reopen_rate", "重办率", "rate"),
    ("overdue_open", "超期未办结工单", "int"),
    ("complaints", "被投诉工单", "int"),
    ("substantiated", "核查属实（含部分属实）", "int"),
    ("repeats", "重复投诉（同一事项再次投诉）", "int"),
    ("records", "新增失信记录", "int"),
    ("repairs", "信用修复", "int"),
    ("rectification_rate", "整改率", "rate"),
    ("counting_records", "计入评价的失信记录", "int"),
)
TICKET_COLUMNS = (
    ("number", "工单号", "text"),
    ("state_name", "状态", "text"),
    ("category_name", "类别", "text"),
    ("respondent", "被投诉单位", "text"),
    ("lead_name", "主办单位", "text"),
    ("urgent", "紧急", "bool"),
    ("created_at", "受理时间", "time"),
    ("next_due_clock_name", "下一时限", "text"),
    ("next_due_at", "到期时间", "time"),
    ("overdue", "已超期", "bool"),
)
CLOCK_NAMES = {"accept": "签收", "verify": "核查", "reply": "答复", "follow_up": "回访"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ticket_rows(summaries: Iterable[dict]) -> Iterable[dict]:
    for s in summaries:
        yield {**s, "next_due_clock_name": CLOCK_NAMES.get(s.get("next_due_clock") or "", "")}


def _safe_text(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value.startswith(FORMULA_START) else value


def _time_text(value: Any) -> str:
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _cell_text(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "bool":
        return "是" if value else "否"
    if kind == "time":
        return _time_text(value)
    return _safe_text(str(value))


def to_csv(columns, rows: Iterable[dict]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens the Chinese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([title for _, title, _ in columns])
    for row in rows:
        writer.writerow([_cell_text(row.get(key), kind) for key, _, kind in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(columns, rows: Iterable[dict], title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append([t for _, t, _ in columns])
    for row in rows:
        cells = []
        for key, _, kind in columns:
            value = row.get(key)
            if value is None or value == "":
                cells.append(None)
            elif kind == "rate":
                cell = WriteOnlyCell(ws, value=round(float(value), 4))
                cell.number_format = "0.0%"
                cells.append(cell)
            elif kind in ("int", "number"):
                cells.append(value)
            else:
                cells.append(_cell_text(value, kind))
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


def render(fmt: str, columns, rows: Iterable[dict], title: str) -> tuple[bytes, str]:
    content_type, writer = FORMATS[fmt]
    data = writer(columns, rows, title) if fmt == "xlsx" else writer(columns, rows)
    return data, content_type
