"""`hotline classify`: complaint texts in, category and routing out.

Reads JSON Lines `{"text": ...}` and writes one JSON line per input line, in
order:

    {"category": CODE, "confidence": 0.93, "lead": DEPT_CODE, "lead_name": "…",
     "co": [DEPT_CODE, ...], "co_names": ["…", ...]}

A bad line (not JSON, no "text", empty text) gets `{"error": "<中文说明>"}` and
the next line is processed. The trained model runs in the rasa env: one
`intake_store.nlu_worker` process is started and fed line by line.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from typing import IO, Any

from . import assistant

COMPLAINT_PREFIX = "complain_"
OTHER = "other"


class WorkerFailed(RuntimeError):
    pass


class NluWorker:
    """The rasa-env process that parses texts; one request, one answer line."""

    def __init__(self) -> None:
        model = assistant.ensure_model()
        # Rasa and TensorFlow log a lot; keep it aside and show it only on failure.
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._proc = subprocess.Popen(
            assistant.python_command("-m", "intake_store.nlu_worker", str(model)),
            cwd=assistant.ROOT,
            env=assistant.rasa_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )

    def parse(self, text: str) -> dict[str, Any]:
        assert self._proc.stdin and self._proc.stdout
        try:
            self._proc.stdin.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerFailed(self._failure()) from None
        line = self._proc.stdout.readline()
        if not line:
            raise WorkerFailed(self._failure())
        return json.loads(line)

    def _failure(self) -> str:
        self._proc.wait(timeout=30)
        self._log.seek(0)
        tail = self._log.read()[-2000:]
        return f"NLU 进程意外退出（退出码 {self._proc.returncode}）：\n{tail}"

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


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


def category_of(intent: str | None) -> str:
    from .catalog import default_catalog

    if intent and intent.startswith(COMPLAINT_PREFIX):
        code = intent[len(COMPLAINT_PREFIX):]
        if code in default_catalog().categories:
            return code
    # greetings, status queries, nlu_fallback … are no complaint category
    return OTHER


def first_entity(parsed: dict[str, Any], name: str) -> str | None:
    for entity in parsed.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def classify_one(parsed: dict[str, Any]) -> dict[str, Any]:
    from .routing import route

    category = category_of(parsed.get("intent"))
    routed = route(
        category,
        respondent=first_entity(parsed, "respondent"),
        place=first_entity(parsed, "place"),
        text=parsed.get("text"),
    )
    return {
        "category": category,
        "confidence": round(float(parsed.get("confidence") or 0.0), 4),
        "lead": routed.lead,
        "lead_name": routed.lead_name,
        "co": list(routed.co),
        "co_names": list(routed.co_names),
    }


def _write(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")
    out.flush()


def main(stdin: IO[str], stdout: IO[str]) -> int:
    try:
        worker = NluWorker()
    except (assistant.AssistantUnavailable, subprocess.CalledProcessError) as exc:
        print(f"无法分类：{exc}", file=sys.stderr)
        return 2
    try:
        for number, line in enumerate(stdin, start=1):
            text, error = read_text(line, number)
            if error:
                _write(stdout, {"error": error})
                continue
            parsed = worker.parse(text)
            if "error" in parsed:
                _write(stdout, {"error": f"第 {number} 行：{parsed['error']}"})
                continue
            _write(stdout, classify_one(parsed))
    except WorkerFailed as exc:
        print(f"分类中断：{exc}", file=sys.stderr)
        return 1
    finally:
        worker.close()
    return 0


if __name__ == "__main__":  # pragma: no cover - `hotline classify` is the entry point
    sys.exit(main(sys.stdin, sys.stdout))
