"""The deadline jobs as people meet them: a real app on 127.0.0.1 over real
SQLite and PostgreSQL (through the `backoffice` fixture), the FakeClock moved
by hand, sweeps run on demand (the app's own schedule is set far apart)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from jobs_support import SERVICE_TOKEN, Desk

from intake_store.app import create_app
from intake_store.auth import create_token
from intake_store.db import session_scope
from intake_store.settings import Settings


@pytest.fixture
async def desk(backoffice, clock):
    settings = Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN,
                        jobs_interval_seconds=3600, outbox_poll_seconds=3600)
    app = create_app(settings, backoffice=backoffice)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()

    def tokens():
        with session_scope(backoffice.engine) as s:
            return {
                "hrss": create_token(s, "人社局经办人", "department", "hrss"),
                "credit": create_token(s, "信用办督办员", "department", "credit"),
                "operator": create_token(s, "话务员甲", "operator"),
                "service": SERVICE_TOKEN,
            }

    # Database work off the event loop, as the app does its own.
    desk = Desk(backoffice, clock, client, await asyncio.to_thread(tokens))
    yield desk
    await client.close()
