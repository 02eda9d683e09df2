"""Every page and every API endpoint of the app, as no one and as the wrong
department: each must refuse, and nothing of the ticket may leak.

The routes are read from the app's router, so a page or endpoint added later
is covered without touching this test; only what is public by design is
skipped (sign-in, static files, API endpoints declared without roles).
"""
import re

from aiohttp import web
from console_site import SERVICE_TOKEN
from sqlalchemy import func, select

from intake_store.app import create_app
from intake_store.auth import create_token
from intake_store.console.accounts import Account
from intake_store.console.pages import NAV_LINKS, NavLink, add_pages
from intake_store.models import Conversation, TicketEvent
from intake_store.openapi import ENDPOINTS
from intake_store.settings import Settings

PUBLIC_PAGES = {("GET", "/login"), ("POST", "/login")}
REFUSED = (401, 403, 404)
# Enough for every form and body, so a missing check would let the action through.
FORM = {"reason": "试探", "text": "试探答复", "result": "属实", "findings": "试探", "new_due": "2026-12-30",
        "lead": "environment", "message": "试探", "description": "试探", "password": "Another-passw0rd",
        "active": "0", "username": "intruder", "display_name": "x", "role": "admin", "category": "other"}


def public_api(app: web.Application) -> set[tuple[str, str]]:
    return {(ep.method, ep.path) for ep in app[ENDPOINTS] if not ep.roles}


def every_route(app: web.Application):
    """(method, concrete path template) for each route, HEAD and static files aside."""
    seen = set()
    for route in app.router.routes():
        resource = route.resource
        if route.method == "HEAD" or isinstance(resource, web.StaticResource):
            continue
        key = (route.method, resource.canonical)
        if key in seen or key in PUBLIC_PAGES or key in public_api(app):
            continue
        seen.add(key)
        yield key


def concrete(path: str, values: dict) -> str:
    return re.sub(r"{(\w+)(?::[^}]*)?}", lambda m: values.get(m.group(1), "1"), path)


async def test_every_page_and_endpoint_refuses_no_one_and_the_wrong_department(site, backoffice):
    number = await site.file()  # routed to 莱山区人民政府 (lead) and 民政局 (assisting)
    other = await site.file(idempotency_key="access-other-0001", description="另一件投诉：工程款拖欠。")

    def setup(s):
        account_id = s.execute(select(Account.id).where(Account.username == "laishan1")).scalar_one()
        token = create_token(s, "环保局接口", "department", "environment")
        return account_id, token

    account_id, env_token = await site.db(setup)
    await site.db(lambda s: s.add(s.get(Conversation, "web:citizen-1") or Conversation(
        id="web:citizen-1", channel="web", sender_id="citizen-1", started_at=backoffice.now(),
        last_message_at=backoffice.now())))
    values = {"number": number, "conversation_id": "web:citizen-1", "account_id": str(account_id)}
    secret = "加装电梯补贴每户两万"

    def event_count(s):
        return s.execute(select(func.count()).select_from(TicketEvent)).scalar_one()

    before = await site.db(event_count)
    nobody = site.person()
    await nobody.get("/login")
    wrong = await site.signed_in("huanbao1")  # 生态环境局: the ticket is not routed to it
    await wrong.get("/portal/")
    checked = []
    for method, template in every_route(site.server.app):
        path = concrete(template, values)
        checked.append(path)
        is_api = path.startswith("/api/") or not any(path.startswith(p) for p in ("/console", "/portal", "/logout"))

        # No one: no cookie, no token.
        if method == "GET":
            r = await nobody.get(path)
        else:
            r = await nobody.post(path, FORM, csrf=False)
        signed_out = r.status == 303 and r.location.startswith("/login")
        assert r.status in REFUSED or signed_out, (method, path, r.status)
        assert secret not in r.text and number not in r.text, (method, path)

        if path == "/logout":
            continue  # signing oneself out is every account's right
        # The wrong department: a valid session (with its CSRF token) or a valid API token.
        if is_api:
            headers = {"Authorization": f"Bearer {env_token}"}
            resp = await wrong.session.request(method, path, json={} if method == "POST" else None, headers=headers)
            status, body, location = resp.status, await resp.text(), ""
        else:
            r = await (wrong.get(path) if method == "GET" else wrong.post(path, {**FORM, "into": other}))
            status, body, location = r.status, r.text, r.location
        if status not in REFUSED:
            # Lists answer, scoped to the department (and /portal leads to its own inbox):
            # nothing of the ticket may appear.
            assert method == "GET" and (status == 200 or (status == 303 and location == "/portal/")), (method, path, status)
            assert number not in body and secret not in body, (method, path)

    assert await site.db(event_count) == before  # nothing was done to any ticket
    # The pages themselves were among what was tried (the router was really walked).
    assert f"/portal/tickets/{number}" in checked and f"/console/tickets/{number}/reroute" in checked
    assert f"/api/tickets/{number}/accept" in checked


async def test_wrong_roles_are_refused_between_console_and_portal(site):
    number = await site.file()
    department = await site.signed_in("laishan1")
    for path in ("/console/", f"/console/tickets/{number}", "/console/accounts", "/console/conversations/web:citizen-1"):
        r = await department.get(path)
        assert r.status == 403 and "无权" in r.text, path
    operator = await site.signed_in("op1")
    for path in ("/portal/", f"/portal/tickets/{number}", "/console/accounts"):
        r = await operator.get(path)
        assert r.status == 403 and "无权" in r.text, path
    # A department cannot act as an operator even with its own valid CSRF token.
    r = await department.post(f"/console/tickets/{number}/reroute", {"lead": "laishan", "reason": "自己改派"})
    assert r.status == 403
    # The REST API does not accept a console session in place of a token.
    r = await department.session.get(f"/api/tickets/{number}")
    assert r.status == 401 and SERVICE_TOKEN not in await r.text()


def nav_labels(page_text: str) -> list[str]:
    nav = re.search(r'<nav class="top-nav".*?</nav>', page_text, re.S).group(0)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


async def test_the_navigation_shows_each_account_the_pages_it_may_open(site):
    supervisor = await site.signed_in("sup1")
    assert nav_labels((await supervisor.get("/console/")).text) == ["工单队列", "督办看板", "失信记录", "承诺与合同"]
    department = await site.signed_in("laishan1")
    assert nav_labels((await department.get("/portal/")).text) == ["工单收件箱", "本单位失信记录"]


def test_a_page_added_to_one_app_is_not_in_another_apps_navigation():
    one, other = (create_app(Settings(database_url="sqlite://")) for _ in range(2))
    trial = NavLink("试运行页面", "/console/trial", ("operator",))
    add_pages(one, nav=trial)
    assert trial in one[NAV_LINKS] and trial not in other[NAV_LINKS]
    assert len(one[NAV_LINKS]) == len(other[NAV_LINKS]) + 1
