"""Behind the TLS proxy the README recommends, the sign-in limit per address
counts the citizen's address the proxy forwards, not the proxy's own."""
import asyncio

import pytest
from aiohttp.test_utils import TestServer
from console_site import PASSWORD, SERVICE_TOKEN, Site
from sqlalchemy import text

from intake_store.app import create_app
from intake_store.console.accounts import create_account
from intake_store.db import session_scope
from intake_store.settings import Settings


async def _site(backoffice, **settings) -> Site:
    app = create_app(Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, session_cookie_secure=False,
                              jobs_interval_seconds=3600, login_max_failures_per_ip=3, **settings), backoffice=backoffice)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return Site(server, backoffice)


@pytest.fixture
async def accounts(backoffice):
    def make():
        with session_scope(backoffice.engine) as s:
            create_account(s, username="proxyop", display_name="话务员", role="operator", department=None,
                           password=PASSWORD, now=backoffice.now())
    await asyncio.to_thread(make)
    yield
    with backoffice.engine.begin() as c:
        for table in ("login_session", "login_attempt"):
            c.execute(text(f"DELETE FROM {table}"))
        c.execute(text("DELETE FROM account WHERE username = 'proxyop'"))


async def sign_in(site: Site, forwarded_for: str, password: str, username: str = "proxyop"):
    person = site.person(username)
    person.session.headers["X-Forwarded-For"] = forwarded_for
    return await person.login(password=password)


@pytest.mark.parametrize("trusted, other_address_signs_in", [("127.0.0.1", True), ("", False)])
async def test_failures_from_one_address_do_not_lock_out_everyone_behind_the_proxy(
        backoffice, accounts, trusted, other_address_signs_in):
    site = await _site(backoffice, trusted_proxies=trusted)
    try:
        for i in range(3):
            assert (await sign_in(site, "198.51.100.7", "wrong-password", username=f"nobody{i}")).status == 401
        locked = await sign_in(site, "198.51.100.7", PASSWORD)
        assert locked.status == 429 and "登录失败次数过多" in locked.text
        other = await sign_in(site, "198.51.100.8", PASSWORD)
        # Trusted: the other citizen is counted by their own address. Not trusted:
        # the header is anyone's to write, so everything counts as the proxy.
        assert (other.status == 303) is other_address_signs_in
    finally:
        for p in site.people:
            await p.close()
        await site.server.close()
