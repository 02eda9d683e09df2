"""NLU figures: the category model on real complaints, the dialogue NLU on its
held-out split, training time, parse latency. Prints, never judges.

    .venv/bin/python -m bench nlu_report [--category-only] [--model models/hotline.tar.gz] [--skip-train] [--skip-server]

0. The category model (`intake_store.category_model`) on the development part
   of the real cases (never trained on): category within the acceptable set,
   exact macro-F1, 政务失信-vs-other F1, routing (lead or assisting body one a
   careful 派单员 would involve), the ten worst confusions, exact F1 per
   category, calibration (ECE and a reliability table), against a baseline
   trained on the chat-style examples alone in the same run; the synthetic
   held-out complaints; and `hotline classify` on 100 texts from cold.
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

from intake_store import assistant, category_model, evaluation, realcases
from intake_store.catalog import default_catalog
from intake_store.understanding import understand

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


def _scores(name: str, model: category_model.CategoryModel, cases: list[realcases.RealCase]) -> list:
    preds = model.predict_many([c.text for c in cases])
    truth, guess = [c.category for c in cases], [p.category for p in preds]
    print(f"{name}:")
    print(f"  category within the acceptable set  {evaluation.acceptable_accuracy(cases, preds):.3f}")
    print(f"  exact category, macro-F1            {evaluation.macro_f1(truth, guess):.3f}")
    print(f"  政务失信 vs other, F1                {evaluation.dishonesty_f1(truth, guess):.3f}")
    return preds


def category_report() -> None:
    cases = realcases.load()
    train, dev = realcases.part(cases, realcases.TRAIN), realcases.part(cases, realcases.DEV)
    sources = {realcases.source_key(c.source) for c in cases}
    others = sum(c.category == category_model.OTHER for c in dev)
    print(f"real cases: {len(cases)} from {len(sources)} sources; training part {len(train)}, "
          f"development part {len(dev)} ({others / len(dev):.0%} ordinary matters)")
    started = time.monotonic()
    model = category_model.ensure_trained()
    print(f"category model ready in {time.monotonic() - started:.1f} s (temperature {model.temperature:.3f})")

    baseline = category_model.CategoryModel.train(category_model.chat_examples())
    _scores("baseline: chat-style examples only, development part", baseline, dev)
    preds = _scores("category model, development part (never trained on)", model, dev)

    catalog = default_catalog()
    local_codes = {d.code for d in catalog.departments.values() if d.level != "市"}
    routes = [understand(c.text, catalog=catalog, model=model).route for c in dev]
    hits = sum(evaluation.route_hits(c, r, local_codes) for c, r in zip(dev, routes))
    leads = sum(r.lead in c.departments for c, r in zip(dev, routes))
    print(f"  lead or assisting body one a 派单员 would pick  {hits / len(dev):.3f}  (lead alone {leads / len(dev):.3f})")
    print("  worst confusions (true → predicted, outside the acceptable set):")
    for truth, guess, count in evaluation.worst_confusions(dev, preds):
        print(f"    {truth} → {guess}: {count}")
    truth = [c.category for c in dev]
    support = Counter(truth)
    print("  exact F1 per category (weakest first):")
    for code, f1 in sorted(evaluation.f1_scores(truth, [p.category for p in preds]).items(), key=lambda kv: kv[1]):
        print(f"    {code:<20} {f1:.2f}  n={support[code]}")

    correct = [p.category == c.category for c, p in zip(dev, preds)]
    table = evaluation.reliability(correct, [p.confidence for p in preds])
    print(f"  calibration: expected calibration error {evaluation.expected_calibration_error(table):.3f}")
    print("    confidence      n   mean conf  accuracy")
    for b in table:
        if b.count:
            print(f"    {b.low:.1f}–{b.high:.1f}   {b.count:5d}   {b.confidence:9.3f}  {b.accuracy:8.3f}")
    threshold = catalog.auto_dispatch_min_confidence
    sure = [ok for ok, p in zip(correct, preds) if p.confidence >= threshold]
    if sure:
        print(f"  auto-dispatch at ≥{threshold}: {len(sure) / len(dev):.0%} of cases, {sum(sure) / len(sure):.3f} right")

    held_out = category_model.chat_examples(assistant.TEST_DATA)
    held = model.predict_many([e.text for e in held_out])
    right = sum(p.category == e.category for e, p in zip(held_out, held))
    print(f"synthetic held-out complaints ({len(held_out)}): exact category {right / len(held_out):.3f}, "
          f"macro-F1 {evaluation.macro_f1([e.category for e in held_out], [p.category for p in held]):.3f}")

    texts = [c.text for c in dev][:100]
    texts += [e.text for e in held_out][: 100 - len(texts)]
    lines = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "intake_store.cli", "classify"], input=lines, text=True,
                          capture_output=True, cwd=assistant.ROOT)
    answered = sum(1 for line in proc.stdout.splitlines() if '"category"' in line)
    print(f"hotline classify, {len(texts)} texts from cold: {time.monotonic() - started:.1f} s ({answered} answered)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: train or reuse models/hotline.tar.gz)")
    parser.add_argument("--skip-train", action="store_true", help="don't time a training run")
    parser.add_argument("--skip-server", action="store_true", help="don't measure the HTTP parse latency")
    parser.add_argument("--category-only", action="store_true", help="only the category model figures")
    args = parser.parse_args(argv)
    category_report()
    if args.category_only:
        return 0
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
