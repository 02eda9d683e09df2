"""Runs the unit tests that need Rasa where they can run: in the Rasa environment."""
from __future__ import annotations

import subprocess

import pytest

from intake_store import assistant


def unit_tests_pass_in_the_rasa_env(module: str) -> None:
    if not assistant.RASA_PYTHON.exists():
        pytest.fail("The Rasa environment is missing: run 'make rasa-env'")
    proc = subprocess.run(
        [str(assistant.RASA_PYTHON), "-m", "unittest", "-v", module],
        cwd=assistant.ROOT, env=assistant.rasa_env(), capture_output=True, text=True, timeout=600,
    )
    report = proc.stderr[-6000:]
    assert proc.returncode == 0, report
    assert "\nOK" in proc.stderr, report


def test_action_unit_tests_pass_in_the_rasa_env():
    unit_tests_pass_in_the_rasa_env("tests.assistant.test_actions_units")


def test_rest_channel_unit_tests_pass_in_the_rasa_env():
    unit_tests_pass_in_the_rasa_env("tests.assistant.test_rest_channel_units")
