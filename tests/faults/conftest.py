"""Fault tests: the whole system under `hotline run`, processes killed under it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The citizen who answers the assistant lives with the gateway's tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))


@pytest.fixture(scope="session")
def model() -> Path:
    from e2e_servers import trained_model

    return trained_model()
