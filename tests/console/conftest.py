"""The console and portal as people use them: a real app on 127.0.0.1 with real
accounts, on SQLite and PostgreSQL (through the `backoffice` fixture)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestServer
from console_site import PASSWORD, PEOPLE, SERVICE_TOKEN, Site
from sqlalchemy import select, text

from intake_store.app import create_app
from intake_store.console.accounts import Account, create_account
from intake_store.db import session_scope
from intake_store.settings import Settings


@pytest.fixture
async def site(backoffice):
    site = await start_site(backoffice)
    yield site
    await stop_site(site)


@pytest.fixture
async def gateway_site(backoffice):
    """The whole app as `hotline serve` runs it: back office and chat gateway."""
    from bot.gateway import setup as gateway_setup

    site = await start_site(backoffice, extra_setup=[gateway_setup])
    yield site
    await stop_site(site)


async def start_site(backoffice, extra_setup=None) -> Site:
    """The app on 127.0.0.1 with the accounts of PEOPLE (`extra_setup`: e.g. the chat gateway)."""
    settings = Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, session_cookie_secure=False,
                        jobs_interval_seconds=3600, rasa_url="http://127.0.0.1:9", actions_url="")
    app = create_app(settings, backoffice=backoffice, extra_setup=extra_setup)
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
    return Site(server, backoffice)


async def stop_site(site: Site) -> None:
    for p in site.people:
        await p.close()
    await site.server.close()
    with site.backoffice.engine.begin() as c:
        for table in ("login_session", "login_attempt"):
            c.execute(text(f"DELETE FROM {table}"))
