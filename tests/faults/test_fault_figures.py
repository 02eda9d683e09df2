"""The short form of `bench/faults.py`: a few citizens at once on two replicas
while an app service is killed and PostgreSQL is restarted under them; nothing
is lost, nothing is stored or filed twice, every form is finished."""
from __future__ import annotations

import io

import pytest

from bench.faults import run

pytestmark = [pytest.mark.rasa, pytest.mark.postgres]


def test_an_app_replica_killed_and_postgresql_restarted_lose_nothing(model, pg_server, monkeypatch):
    monkeypatch.setenv("ASSISTANT_TEST_MODEL", str(model))
    report = io.StringIO()
    figures = run(4, ["app", "postgres"], out=report)
    print(report.getvalue())
    for f in figures:
        assert (f.sent, f.stored, f.answered) == (f.sent, f.sent, f.sent), f.row()
        assert (f.created, f.duplicated) == (f.expected, 0), f.row()
        assert f.resumed == f.in_progress, f.row()
