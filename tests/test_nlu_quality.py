"""Quality of the Chinese NLU (what a turn is): held-out scores, the common openings, data validation.

What a complaint is about is the category model's (tests/test_category_model.py).

Uses the real trained model in models/ (trained once per session) and the real
rasa env; skipped only when that env is missing.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from intake_store import assistant

pytestmark = pytest.mark.skipif(
    not assistant.RASA_BIN.exists(),
    reason="the rasa env (.venv-rasa) is missing: run 'make rasa-env' (needs Python 3.10)",
)

ROOT = assistant.ROOT


@pytest.fixture(scope="session")
def trained_model() -> Path:
    # Rasa skips the work when config and data did not change.
    return assistant.train(quiet=True)


def test_held_out_intent_macro_f1(trained_model: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [str(assistant.RASA_BIN), "test", "nlu", "--nlu", str(assistant.TEST_DATA),
             "--model", str(trained_model), "--out", out],
            cwd=ROOT, env=assistant.rasa_env(), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        report = json.loads((Path(out) / "intent_report.json").read_text())
        errors_file = Path(out) / "intent_errors.json"
        errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    macro = report["macro avg"]["f1-score"]
    print(f"held-out intent macro-F1 {macro:.3f}, weighted {report['weighted avg']['f1-score']:.3f}, "
          f"complain F1 {report['complain']['f1-score']:.3f}")
    assert macro >= 0.85
    # 我要举报、你们管不管……: the commonest openings start a complaint
    openings = yaml.safe_load((assistant.TEST_DATA / "openings.yml").read_text(encoding="utf-8"))["nlu"][0]["examples"]
    missed = [e["text"] for e in errors if e["text"] in openings]
    total = len([line for line in openings.splitlines() if line.strip()])
    print(f"held-out openings read as a complaint: {total - len(missed)}/{total}; missed: {missed}")
    assert len(missed) <= total // 4, missed


def test_training_data_validates_without_warnings() -> None:
    proc = subprocess.run(
        [str(assistant.RASA_BIN), "data", "validate", "--fail-on-warnings",
         "--config", str(assistant.CONFIG), "--domain", str(assistant.DOMAIN),
         "--data", *[str(p) for p in assistant.TRAIN_DATA if p.exists()]],
        cwd=ROOT, env=assistant.rasa_env(), capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def test_respondent_synonyms_cover_the_catalog() -> None:
    """Every alias of every department maps to that department's full name."""
    catalog = yaml.safe_load((ROOT / "intake_store" / "data" / "departments.yml").read_text())
    data = yaml.safe_load((ROOT / "nlu_data" / "train" / "entities.yml").read_text())
    synonyms = {
        item["synonym"]: {line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")}
        for item in data["nlu"] if "synonym" in item
    }
    places = {
        str(alias) for dept in catalog["departments"] if dept["level"] != "市"
        for alias in dept.get("aliases", []) if not str(alias).endswith(("政府", "办"))
    }
    for dept in catalog["departments"]:
        for alias in map(str, dept.get("aliases", [])):
            if alias.isdigit() or alias in places:
                continue  # a bare number or place name is no respondent by itself
            assert alias in synonyms.get(dept["name"], set()), (dept["code"], alias)
