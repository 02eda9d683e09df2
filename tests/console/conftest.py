"""The console and portal as people use them: a real app on 127.0.0.1 with real
accounts, on SQLite and PostgreSQL (through the `backoffice` fixture)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select, text

from console_site import PASSWORD, PEOPLE, SERVICE_TOKEN, Site
from intake_store.console.accounts import Account, create_account
from intake_store.db import session_scope
from intake_store.settings import Settings
from intake_store.web import create_app


@pytest.fixture
async def site(backoffice):
    settings = Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, session_cookie_secure=False,
                        jobs_interval_seconds=3600)
    app = create_app(settings, backoffice=backoffice)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()

    def accounts():
        # Once per database: hashing is slow on purpose, and the accounts do not change.
        with session_scope(backoffice.engine) as s:
            if s.execute(select(Account.id).where(Account.username == "op1")).first():
                return
            for username, (name, role, dept) in PEOPLE.items():
                create_account(s, username=username, display_name=name, role=role, department=dept,
                               password=PASSWORD, now=backoffice.now())

    # Database work off the event loop, as the app does: the app's own tasks
    # (the outbox sender) need the loop to finish their transactions.
    await asyncio.to_thread(accounts)
    site = Site(server, backoffice)
    yield site
    for p in site.people:
        await p.close()
    await server.close()
    with backoffice.engine.begin() as c:
        for table in ("login_session", "login_attempt"):
            c.execute(text(f"DELETE FROM {table}"))


