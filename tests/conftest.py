"""Shared fixtures: real SQLite and real PostgreSQL, an injectable clock, the back office.

Every store and API test runs twice, once per database (`db_url` is parametrised).
PostgreSQL is started if it is down; if it cannot be reached the PostgreSQL
half fails under CI and is skipped, with the reason, on a developer machine.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import create_engine, text

from intake_store.app import DEADLINE_CHECKS, EVENT_LISTENERS
from intake_store.catalog import default_catalog
from intake_store.db import make_engine, migrate, session_scope
from intake_store.tickets.backoffice import Backoffice
from intake_store.tickets.seeding import load_defaults
from intake_store.workcalendar import default_calendar

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _pg_reachable() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


def ensure_postgres() -> str | None:
    """None when PostgreSQL answers (starting it if needed), else why not."""
    if _pg_reachable():
        return None
    try:
        versions = sorted(os.listdir("/etc/postgresql"))
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False, capture_output=True, timeout=60,
        )
    except (OSError, IndexError, subprocess.SubprocessError) as e:
        return f"PostgreSQL is not running on 127.0.0.1:5432 and could not be started ({e})"
    if _pg_reachable():
        return None
    return "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster could not start it"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> str:
    reason = ensure_postgres()
    if reason:
        _unavailable(reason)
    return PG_ADMIN_URL


def new_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty PostgreSQL database: its URL, and how to drop it (with the
    tracker database `hotline run` creates beside it for Rasa)."""
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as c:
            for db in (name, f"{name}_rasa"):
                c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture
def pg_database(pg_server):
    """A new, empty PostgreSQL database for one test (not migrated), dropped afterwards."""
    url, drop = new_pg_database(pg_server)
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """A new, empty database of each kind for one test (not migrated): for
    tests that bring it to an older revision first."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    """A migrated, empty database of each kind, per test module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.db'}"
        migrate(url)
        yield url
        return
    admin = request.getfixturevalue("pg_server")
    url, drop = new_pg_database(admin)
    migrate(url)
    yield url
    drop()


@dataclass
class FakeClock:
    """Time the tests move by hand; no test sleeps to wait for a deadline."""

    current: datetime

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kw) -> datetime:
        self.current += timedelta(**kw)
        return self.current

    def set(self, dt: datetime) -> None:
        self.current = dt


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning in Beijing (02:00 UTC = 10:00 北京时间).
    return FakeClock(datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc))


CLEAN_TABLES = ["assignment", "complainant", "ticket_event", "notification", "message", "ticket", "conversation",
                "api_token", "ticket_sequence"]


@pytest.fixture
def backoffice(db_url, clock):
    engine = make_engine(db_url)
    catalog = default_catalog()
    with session_scope(engine) as s:
        load_defaults(s, catalog)
    bo = Backoffice(engine=engine, catalog=catalog, calendar=default_calendar(), secret="test-secret", now=clock,
                    listeners=EVENT_LISTENERS, checks=DEADLINE_CHECKS)
    yield bo
    with engine.begin() as c:
        for table in CLEAN_TABLES:
            c.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
