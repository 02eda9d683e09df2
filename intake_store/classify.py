"""`hotline classify`: complaint texts in, category and routing out.

Reads JSON Lines `{"text": ...}` and writes one JSON line per input line, in
order:

    {"category": CODE, "confidence": 0.93, "lead": DEPT_CODE, "lead_name": "…",
     "co": [DEPT_CODE, ...], "co_names": ["…", ...]}

plus what the console shows beside it (`dishonesty`, `ranking`, `respondent`,
`route_notes`). A bad line (not JSON, no "text", empty text) gets
`{"error": "<中文说明>"}` and the next line is processed. The category model
and the body resolution are those the assistant uses (`understanding`).
"""
from __future__ import annotations

import json
import sys
from typing import IO

from .category_model import get_model
from .understanding import understand


def read_text(line: str, number: int) -> tuple[str | None, str | None]:
    """The text of one input line, or the Chinese reason it is unusable."""
    try:
        request = json.loads(line)
    except ValueError:
        return None, f"第 {number} 行不是合法的 JSON，应为 {{\"text\": \"投诉内容\"}}。"
    if not isinstance(request, dict) or "text" not in request:
        return None, f"第 {number} 行缺少 text 字段，应为 {{\"text\": \"投诉内容\"}}。"
    text = request["text"]
    if not isinstance(text, str):
        return None, f"第 {number} 行的 text 不是文字，请填写投诉内容。"
    if not text.strip():
        return None, f"第 {number} 行的 text 为空，请填写投诉内容。"
    return text, None


def _write(out: IO[str], payload: dict) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")
    out.flush()


def main(stdin: IO[str], stdout: IO[str]) -> int:
    model = get_model()
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        text, error = read_text(line, number)
        if error or text is None:
            _write(stdout, {"error": error})
            continue
        _write(stdout, understand(text, model=model).as_dict())
    return 0


if __name__ == "__main__":  # pragma: no cover - `hotline classify` is the entry point
    sys.exit(main(sys.stdin, sys.stdout))
