"""NLU figures: held-out scores, training time, parse latency. Prints, never judges.

    .venv/bin/python bench/nlu_report.py [--model models/hotline.tar.gz] [--skip-train] [--skip-server]

1. `rasa test nlu` on nlu_data/test with the model: intent macro-F1 and
   weighted F1, entity F1 per entity and extractor, the 10 worst confusion pairs.
2. `rasa train nlu` into a temp dir, timed (the NLU part of the model only).
3. A `rasa run --enable-api` server on a free local port: time until it
   answers, then /model/parse latency p50/p99 over the test texts; the server
   is stopped afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake_store import assistant  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def rasa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(assistant.RASA_BIN), *args], cwd=assistant.ROOT, env=env or assistant.rasa_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def test_texts() -> list[str]:
    """The held-out example texts, annotations removed."""
    import yaml

    texts = []
    for path in sorted(assistant.TEST_DATA.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                if "intent" in item and line.startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line[2:].strip()))
    return texts


def evaluate(model: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="nlu-test-") as out:
        started = time.monotonic()
        proc = rasa("test", "nlu", "--nlu", str(assistant.TEST_DATA), "--model", str(model), "--out", out)
        if proc.returncode:
            print(proc.stderr[-3000:])
            raise SystemExit("rasa test nlu failed")
        print(f"rasa test nlu: {time.monotonic() - started:.1f} s")
        report = json.loads((Path(out) / "intent_report.json").read_text())
        print(f"intent macro-F1      {report['macro avg']['f1-score']:.3f}")
        print(f"intent weighted F1   {report['weighted avg']['f1-score']:.3f}")
        print(f"intent accuracy      {report.get('accuracy', 0):.3f}  (n={report['macro avg']['support']})")

        for extractor_report in sorted(Path(out).glob("*Extractor_report.json")) + sorted(Path(out).glob("DIET*_report.json")):
            extractor = extractor_report.name.removesuffix("_report.json")
            entities = json.loads(extractor_report.read_text())
            rows = [
                (name, row) for name, row in entities.items()
                if isinstance(row, dict) and row.get("support") and name not in ("no_entity",)
                and not name.endswith(" avg")
            ]
            if extractor.startswith("Regex"):
                # it only looks for the fixed formats; the rest would show as 0
                rows = [(name, row) for name, row in rows if row["precision"] or row["recall"]]
            if not rows:
                continue
            print(f"entity F1 ({extractor}):")
            for name, row in sorted(rows):
                print(f"  {name:<14} F1 {row['f1-score']:.3f}  P {row['precision']:.3f}  R {row['recall']:.3f}  n={row['support']}")
            if "micro avg" in entities and not extractor.startswith("Regex"):
                print(f"  {'micro avg':<14} F1 {entities['micro avg']['f1-score']:.3f}")

        pairs: Counter = Counter()
        for intent, row in report.items():
            if isinstance(row, dict):
                for other, count in (row.get("confused_with") or {}).items():
                    pairs[(intent, other)] += count
        print("worst confusion pairs (true → predicted: count):")
        for (true, predicted), count in pairs.most_common(10):
            print(f"  {true} → {predicted}: {count}")


def time_training() -> None:
    with tempfile.TemporaryDirectory(prefix="nlu-train-") as out:
        # an empty training cache, or Rasa restores unchanged components
        env = assistant.rasa_env()
        env["RASA_CACHE_DIRECTORY"] = str(Path(out) / "cache")
        started = time.monotonic()
        # `rasa train nlu` takes one NLU folder: nlu_data/train (bot/data holds
        # rules and stories only)
        nlu = assistant.TRAIN_DATA[0]
        proc = rasa("train", "nlu", "--config", str(assistant.CONFIG), "--nlu", str(nlu),
                    "--out", out, "--fixed-model-name", "bench", env=env)
        elapsed = time.monotonic() - started
        if proc.returncode:
            print(proc.stderr[-3000:])
            raise SystemExit("rasa train nlu failed")
        print(f"training time (rasa train nlu, cores={os.cpu_count()}): {elapsed:.1f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_json(url: str, payload: dict, timeout: float = 30) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def measure_server(model: Path, texts: list[str]) -> None:
    port = free_port()
    command = [str(assistant.RASA_BIN), "run", "--model", str(model), "--enable-api",
               "--port", str(port), "--interface", "127.0.0.1"]
    log = tempfile.TemporaryFile()
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=assistant.ROOT, env=assistant.rasa_env(),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if server.poll() is not None:
                log.seek(0)
                print(log.read()[-3000:].decode(errors="replace"))
                raise SystemExit("rasa run exited before answering")
            try:
                post_json(f"{base}/model/parse", {"text": "你好"}, timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() - started > 600:
                    raise SystemExit("rasa run did not answer within 600 s")
                time.sleep(0.5)
        print(f"server start time (until the first /model/parse answers): {time.monotonic() - started:.1f} s")
        latencies = []
        for text in texts:
            t0 = time.perf_counter()
            post_json(f"{base}/model/parse", {"text": text})
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
        print(f"/model/parse latency over {len(latencies)} test texts: "
              f"p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: train or reuse models/hotline.tar.gz)")
    parser.add_argument("--skip-train", action="store_true", help="don't time a training run")
    parser.add_argument("--skip-server", action="store_true", help="don't measure the HTTP parse latency")
    args = parser.parse_args(argv)
    assistant.require_rasa_env()
    model = args.model or assistant.ensure_model()
    print(f"model: {model.relative_to(assistant.ROOT) if model.is_relative_to(assistant.ROOT) else model}")
    evaluate(model)
    if not args.skip_train:
        time_training()
    if not args.skip_server:
        measure_server(model, test_texts())
    return 0


if __name__ == "__main__":
    sys.exit(main())
