"""What the console and portal tests share: people at browsers (each with their
own cookie jar and the login form), and complaints filed as the assistant would."""
from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass, field

import aiohttp
from aiohttp.test_utils import TestServer

from intake_store.db import session_scope
from intake_store.schemas import TicketIn
from intake_store.tickets.commands import create_ticket
from intake_store.tickets.viewer import Viewer

PASSWORD = "长城-Great-Wall-2026"
SERVICE_TOKEN = "service-token-for-console-tests"

# username -> (display name, role, department)
PEOPLE = {
    "op1": ("话务员张敏", "operator", None),
    "sup1": ("督办员刘强", "supervisor", None),
    "admin": ("系统管理员", "admin", None),
    "laishan1": ("莱山区政府王芳", "department", "laishan"),
    "minzheng1": ("民政局赵磊", "department", "civil_affairs"),
    "huanbao1": ("环保局陈静", "department", "environment"),
}

COMPLAINT = {
    "channel": "web",
    "sender_id": "citizen-1",
    "conversation_id": "web:citizen-1",
    "description": "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。",
    "category": "township_service",
    "category_confidence": 0.91,
    "respondent": "初家街道办",
    "promise": "加装电梯补贴每户两万元",
    "promise_date": "去年6月",
    "amount_yuan": 20000,
    "place": "莱山区初家街道",
    "contact_name": "李先生",
    "contact_phone": "13905355678",
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: dict
    text: str
    url: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


async def _page(r: aiohttp.ClientResponse) -> Page:
    return Page(r.status, r.headers, await r.text(), str(r.url))


@dataclass
class Person:
    """Someone at a browser: their own cookies, signs in with the login form."""

    base: str
    username: str | None
    session: aiohttp.ClientSession = field(init=False)
    csrf: str = ""

    def __post_init__(self):
        self.session = aiohttp.ClientSession(base_url=self.base, cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def login(self, password: str = PASSWORD, username: str | None = None) -> Page:
        page = await self.get("/login")
        token = CSRF_RE.search(page.text).group(1)
        r = await self.session.post("/login", allow_redirects=False, data={
            "username": username or self.username, "password": password, "csrf_token": token})
        self.csrf = ""  # the session's own token comes with the next page
        return await _page(r)

    async def get(self, path: str, **kw) -> Page:
        r = await _page(await self.session.get(path, allow_redirects=kw.pop("allow_redirects", False), **kw))
        found = CSRF_RE.search(r.text)
        if found:
            self.csrf = found.group(1)
        return r

    async def post(self, path: str, data: dict | list | None = None, *, csrf: bool = True, **kw) -> Page:
        if not self.csrf and csrf:
            await self.get("/console/" if not self.username or PEOPLE[self.username][1] != "department" else "/portal/")
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            items.append(("csrf_token", self.csrf))
        return await _page(await self.session.post(path, data=items, allow_redirects=kw.pop("allow_redirects", False), **kw))

    async def close(self):
        await self.session.close()


def visible_text(page: str) -> str:
    """The page as a person reads it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


class Site:
    def __init__(self, server: TestServer, backoffice):
        self.server, self.backoffice = server, backoffice
        self.base = str(server.make_url(""))
        self.people: list[Person] = []
        self.tickets = 0

    def person(self, username: str | None = None) -> Person:
        p = Person(self.base, username)
        self.people.append(p)
        return p

    async def signed_in(self, username: str) -> Person:
        p = self.person(username)
        r = await p.login()
        assert r.status == 303, r.text
        return p

    async def db(self, fn):
        """Run `fn(session)` in one transaction, off the event loop (as the app does)."""
        def work():
            with session_scope(self.backoffice.engine) as s:
                return fn(s)

        return await asyncio.to_thread(work)

    async def file(self, **changes) -> str:
        """A complaint filed by the assistant (as the Rasa actions would)."""
        self.tickets += 1
        data = TicketIn.model_validate({**COMPLAINT, "idempotency_key": f"console-test-{self.tickets:05d}", **changes})
        service = Viewer(role="service", actor="service")
        return await self.db(lambda s: create_ticket(self.backoffice, s, data, service)[0].number)
