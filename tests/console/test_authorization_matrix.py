"""Who may do what: every endpoint of the OpenAPI document and every page
route, tried by each kind of caller, allowed or refused as expected.

The endpoints come from the app's own OpenAPI document (with the roles it
declares) and the pages from its router, so a new endpoint is tried without
touching this test, and a new page fails it until PAGE_RULES says who may
open it.
"""
from __future__ import annotations

import re
from datetime import date

import aiohttp
from aiohttp import web
from console_site import SERVICE_TOKEN
from sqlalchemy import select

from intake_store.api import ACTIONS
from intake_store.auth import create_token
from intake_store.integrity import promises
from intake_store.integrity.models import IntegrityRecord
from intake_store.lifecycle import RULES
from intake_store.models import Conversation
from intake_store.tickets.viewer import Viewer

CALLERS = ("anonymous", "citizen_wrong_code", "department_other", "partner", "service", "operator", "supervisor")
REFUSED = (401, 403, 404)
PUBLIC = frozenset(CALLERS)
CONSOLE = frozenset({"operator", "supervisor"})
NOBODY = frozenset()
TICKET_ACTION_ROLES = {spec.path: {r for r in ("operator", "supervisor") if r in RULES[spec.action][0]}
                       for spec in ACTIONS}

# Pages (routes outside the OpenAPI document): method, path pattern, callers allowed.
# The department caller is a department the ticket is not routed to: it has its
# own inbox and nothing of this ticket.
PAGE_RULES: list[tuple[str, str, frozenset | dict]] = [
    ("GET", r"/", PUBLIC),
    ("GET", r"/login", PUBLIC),
    ("POST", r"/login", None),  # the sign-in form: its own CSRF and password checks (test_console_accounts)
    ("POST", r"/logout", None),  # every account's right; its answer is the way to sign-in (test_console_access)
    ("*", r"/console/accounts.*", NOBODY),  # admins only
    ("GET", r"/console/?", CONSOLE),
    ("GET", r"/console/tickets/{number}", CONSOLE),
    ("POST", r"/console/tickets/{number}/amend", frozenset({"operator"})),
    ("POST", r"/console/tickets/{number}/(?P<action>.+)", TICKET_ACTION_ROLES),
    ("GET", r"/console/conversations/{conversation_id}", CONSOLE),
    ("POST", r"/console/conversations/{conversation_id}/.+", frozenset({"operator"})),
    ("GET", r"/console/dashboard.*", frozenset({"supervisor"})),
    ("POST", r"/console/dashboard/debtors", frozenset({"supervisor"})),
    ("*", r"/console/records.*", frozenset({"supervisor"})),
    ("*", r"/console/promises.*", CONSOLE),
    ("*", r"/console/intake.*", frozenset({"operator"})),  # 新来电: operators take calls, supervisors do not
    ("GET", r"/portal/records", frozenset({"department_other"})),
    ("*", r"/portal/records/{record_id}.*", NOBODY),  # a record about another body
    ("GET", r"/portal/?", frozenset({"department_other"})),
    ("*", r"/portal/tickets/{number}.*", NOBODY),
    ("GET", r"/static/.+", PUBLIC),
]


def page_rule(method: str, template: str):
    found = [(pattern, allowed) for m, pattern, allowed in PAGE_RULES
             if m in ("*", method) and re.fullmatch(re.sub(r"{(\w+)}", r"\\{\1\\}", pattern), template)]
    assert found, f"no PAGE_RULES entry for {method} {template}: say who may open it"
    pattern, allowed = found[0]
    if isinstance(allowed, dict):
        action = re.fullmatch(re.sub(r"{(\w+)}", r"\\{\1\\}", pattern), template).group("action")
        return frozenset(allowed[action])
    return allowed


def api_allowed(caller: str, method: str, template: str, roles: set[str]) -> bool:
    if not roles:  # public by design
        return not (caller == "citizen_wrong_code" and template == "/api/status")
    if caller == "department_other":
        # Lists answer (scoped to the department); one ticket or record of another body does not.
        return "department" in roles and not re.search(r"{(number|record_id)}", template)
    return caller in roles


def api_endpoints(doc: dict) -> list[tuple[str, str, set[str]]]:
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            roles = set(op.get("description", "").removeprefix("角色：").split("、")) if op.get("security") else set()
            out.append((method.upper(), path, roles - {""}))
    return out


def page_routes(app: web.Application, documented: set[tuple[str, str]]):
    seen = set()
    for route in app.router.routes():
        if route.method == "HEAD" or isinstance(route.resource, web.StaticResource):
            continue
        key = (route.method, route.resource.canonical)
        if key not in seen and key not in documented:
            seen.add(key)
            yield key


async def test_every_endpoint_and_page_allows_exactly_whom_it_should(gateway_site):
    site = gateway_site
    number = await site.file(category_confidence=0.99)  # routed to 莱山区人民政府 (lead) and 民政局
    tokens = await site.db(lambda s: {
        "department_other": create_token(s, "环保局接口", "department", "environment"),
        "laishan": create_token(s, "莱山区政府接口", "department", "laishan"),
        "partner": create_token(s, "省平台", "partner"),
        "operator": create_token(s, "话务员接口", "operator"),
        "supervisor": create_token(s, "督办接口", "supervisor"),
        "service": SERVICE_TOKEN,
    })
    async with aiohttp.ClientSession(base_url=site.base) as http:
        for action, body in (("accept", {}), ("verify", {"result": "属实", "findings": "补贴未拨付"})):
            async with http.post(f"/api/tickets/{number}/{action}", json=body,
                                 headers={"Authorization": f"Bearer {tokens['laishan']}"}) as r:
                assert r.status == 200, await r.text()
        async with http.get("/api/openapi.json") as r:
            doc = await r.json()
    record_id = await site.db(lambda s: s.execute(select(IntegrityRecord.id)).scalars().first())
    await site.db(lambda s: s.get(Conversation, "web:citizen-1") or s.add(Conversation(
        id="web:citizen-1", channel="web", sender_id="citizen-1", started_at=site.backoffice.now(),
        last_message_at=site.backoffice.now())))
    promise_id = await site.db(lambda s: promises.register(site.backoffice, s, promises.NewPromise(
        kind="contract", body_code="laishan", promisee="某公司", content="补贴", due_on=date(2026, 12, 31)),
        Viewer("operator", "话务员")).id)
    values = {"number": number, "record_id": str(record_id), "promise_id": str(promise_id), "conversation_id": "web:citizen-1", "format": "json",
              "service_code": "arrears", "service_request_id": number, "account_id": "1", "name": "dashboard.js"}

    sessions = {"department_other": await site.signed_in("huanbao1"), "operator": await site.signed_in("op1"),
                "supervisor": await site.signed_in("sup1")}
    for person in sessions.values():
        await person.get("/console/" if person.username != "huanbao1" else "/portal/")  # its CSRF token
    nobody = site.person()

    def concrete(template: str) -> str:
        return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], template)

    wrong = []
    endpoints = api_endpoints(doc)
    documented = {(m, p) for m, p, _ in endpoints}
    for method, template, roles in endpoints:
        path = concrete(template)
        for caller in CALLERS:
            headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens else {}
            body = {"number": number, "query_code": "00000000"} if caller == "citizen_wrong_code" else {}
            r = await nobody.session.request(method, path, headers=headers, json=body if method == "POST" else None)
            # A public endpoint refuses with 401/403; its 404 is a file or ticket not found
            # (the wrong query code's answer is checked on its own below).
            refused = r.status in (REFUSED if roles else (401, 403))
            if caller == "citizen_wrong_code" and template == "/api/status":
                refused = r.status == 404 and "查询码不正确" in await r.text()
            await r.read()
            if refused == api_allowed(caller, method, template, roles):
                wrong.append((method, path, caller, r.status))

    pages = list(page_routes(site.server.app, documented))
    for method, template in pages:
        allowed = page_rule(method, template)
        if allowed is None:
            continue
        path = concrete(template)
        for caller in CALLERS:
            person = sessions.get(caller, nobody)
            headers = {"Authorization": f"Bearer {tokens[caller]}"} if caller in tokens and caller not in sessions else {}
            page = await (person.get(path, headers=headers) if method == "GET"
                          else person.post(path, {"reason": "试探"}, csrf=caller in sessions, headers=headers))
            refused = page.status in REFUSED or (page.status in (302, 303) and page.location.startswith("/login"))
            if refused == (caller in allowed):
                wrong.append((method, path, caller, page.status))

    assert wrong == [], "\n".join(map(str, wrong))
    # The walk really covered both kinds, and the partner's whole reach is Open311.
    assert ("POST", "/api/tickets/{number}/accept") in documented and ("GET", "/portal/tickets/{number}") in pages
    partner_reach = {(m, p) for m, p, roles in endpoints if "partner" in roles}
    assert partner_reach == {("POST", "/open311/v2/requests.{format}")}
