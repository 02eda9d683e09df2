"""The dialogue test stories (tests/stories) against the trained model."""
from __future__ import annotations

import json
import subprocess

import pytest

from intake_store import assistant

pytestmark = pytest.mark.rasa


def test_all_test_stories_pass(rasa_model, tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [str(assistant.RASA_BIN), "test", "core", "--stories", str(assistant.ROOT / "tests" / "stories"),
         "--model", str(rasa_model), "--out", str(out), "--fail-on-prediction-errors"],
        cwd=assistant.ROOT, env=assistant.rasa_env(), capture_output=True, text=True, timeout=900,
    )
    failed = out / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, details
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    assert report["accuracy"] == 1.0, details
