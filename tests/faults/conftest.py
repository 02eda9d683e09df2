"""Fault tests: the whole system under `hotline run`, processes killed under it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The citizen who answers the assistant lives with the gateway's tests; the
# short fault run is bench/faults.py's own code.
TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS / "gateway"), str(TESTS.parent)]


@pytest.fixture(scope="session")
def model() -> Path:
    from e2e_servers import trained_model

    return trained_model()
