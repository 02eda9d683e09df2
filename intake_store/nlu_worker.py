"""NLU worker behind `hotline classify`; runs in the rasa env.

    python -m intake_store.nlu_worker MODEL.tar.gz

Loads the NLU part of a trained Rasa model once, then reads JSON Lines
`{"text": ...}` on stdin and answers each with one line
`{"intent": NAME, "confidence": FLOAT, "entities": [...]}` (or
`{"error": "..."}`), flushed per line. Standalone on purpose: it imports rasa
and the standard library only, nothing of the app environment.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, TextIO

FALLBACK_INTENT = "nlu_fallback"


def _claim_stdout() -> TextIO:
    """Keep stdout for the protocol alone.

    TensorFlow, jieba and rasa print to stdout now and then; the real stdout
    is kept on a private descriptor and fd 1 becomes stderr for everyone else.
    """
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


class NluModel:
    """The NLU subgraph of a trained model (policies are not loaded)."""

    def __init__(self, model_path: str) -> None:
        from rasa.engine.graph import ExecutionContext
        from rasa.engine.runner.dask import DaskGraphRunner
        from rasa.engine.storage.local_model_storage import LocalModelStorage

        self._storage_dir = tempfile.TemporaryDirectory(prefix="hotline-nlu-")
        storage, metadata = LocalModelStorage.from_model_archive(
            storage_path=Path(self._storage_dir.name), model_archive_path=Path(model_path)
        )
        self._target = metadata.nlu_target
        schema = metadata.predict_schema.minimal_graph_schema([self._target])
        self._runner = DaskGraphRunner.create(
            graph_schema=schema,
            model_storage=storage,
            execution_context=ExecutionContext(
                graph_schema=schema, model_id=metadata.model_id
            ),
        )

    def parse(self, text: str) -> Dict[str, Any]:
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY

        # A leading "/" would make Rasa read the text as an intent command.
        message = UserMessage(text.lstrip("/") or text)
        results = self._runner.run(
            inputs={
                PLACEHOLDER_MESSAGE: [message],
                PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("classify", []),
            },
            targets=[self._target],
        )
        parsed = results[self._target][0]
        intent = parsed.get(INTENT) or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        if name == FALLBACK_INTENT:
            # The back office wants the best real guess, with its low confidence.
            for ranked in parsed.get(INTENT_RANKING_KEY) or []:
                if ranked.get("name") != FALLBACK_INTENT:
                    name, confidence = ranked["name"], float(ranked["confidence"])
                    break
        return {
            "intent": name,
            "confidence": round(confidence, 4),
            "entities": _entities(parsed.get(ENTITIES) or []),
        }

    def close(self) -> None:
        self._storage_dir.cleanup()


def _entities(raw: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for entity in raw:
        item = {
            "entity": entity.get("entity"),
            "value": entity.get("value"),
            "start": entity.get("start"),
            "end": entity.get("end"),
            "extractor": entity.get("extractor"),
        }
        if entity.get("confidence_entity") is not None:
            item["confidence"] = round(float(entity["confidence_entity"]), 4)
        out.append(item)
    return out


def serve(model: NluModel, lines: TextIO, out: TextIO) -> None:
    for line in lines:
        try:
            request = json.loads(line)
            text = request["text"] if isinstance(request, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise ValueError
        except (ValueError, KeyError):
            answer: Dict[str, Any] = {"error": "这一行不是含有非空 text 字段的 JSON 对象。"}
        else:
            try:
                answer = model.parse(text)
            except Exception as exc:  # one bad text must not end the stream
                logging.getLogger(__name__).exception("parse failed")
                answer = {"error": f"这一行解析失败：{type(exc).__name__}"}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()


def main(argv: List[str]) -> int:
    protocol = _claim_stdout()
    if len(argv) != 2:
        print("用法：python -m intake_store.nlu_worker 模型文件.tar.gz", file=sys.stderr)
        return 2
    if not os.path.exists(argv[1]):
        print(f"找不到模型文件：{argv[1]}，请先训练（hotline train）。", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    model = NluModel(argv[1])
    try:
        serve(model, sys.stdin, protocol)
    finally:
        model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
