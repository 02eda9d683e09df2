"""Fixtures for the integrity tests: the back office of tests/conftest.py, with
the dishonesty records emptied after each test (tickets are emptied there)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

RECORD_TABLES = ["record_event", "integrity_record", "ticket_fact", "promise_ticket", "promise_event", "promise",
                 "judgment_debtor_listing"]


@pytest.fixture
def bo(backoffice):
    yield backoffice
    with backoffice.engine.begin() as c:
        for table in RECORD_TABLES:
            c.execute(text(f"DELETE FROM {table}"))
