"""Signing in and out, sessions, CSRF, the sign-in rate limit, and the account
commands, as the people using them meet them."""
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from console_site import PASSWORD, Person, visible_text
from sqlalchemy import func, select

from intake_store.app import create_app
from intake_store.console.accounts import Account, LoginSession
from intake_store.models import TicketEvent
from intake_store.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def set_cookie(page, name: str) -> str:
    return next(v for v in page.headers.getall("Set-Cookie", []) if v.startswith(f"{name}="))


async def test_sign_in_gives_a_hardened_cookie_and_sign_out_ends_the_session(site):
    person = site.person("op1")
    form = await person.get("/login")
    assert form.status == 200 and "工作人员登录" in form.text
    assert "HttpOnly" in set_cookie(form, "hotline_login_csrf")
    r = await person.login()
    assert r.status == 303 and r.location == "/console/"
    cookie = set_cookie(r, "hotline_session")
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"):
        assert flag in cookie, flag
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = await site.db(lambda s: s.execute(select(LoginSession.token_hash)).scalars().all())
    assert stored and token not in stored  # only a hash is kept
    page = await person.get("/console/")
    assert page.status == 200 and "话务员张敏" in page.text
    r = await person.post("/logout")
    assert r.status == 303 and r.location == "/login"
    # The old cookie, replayed, no longer opens anything: the session ended on the server.
    replay = site.person()
    replay.session.cookie_jar.update_cookies({"hotline_session": token}, aiohttp.client.URL(site.base))
    r = await replay.get("/console/")
    assert r.status == 303 and r.location.startswith("/login")


async def test_cookies_are_secure_when_the_site_is_served_over_tls(backoffice):
    app = create_app(Settings(database_url="sqlite://", session_cookie_secure=True, jobs_interval_seconds=3600),
                     backoffice=backoffice)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        person = Person(str(server.make_url("")), "nobody")
        page = await person.get("/login")
        assert "Secure" in set_cookie(page, "hotline_login_csrf")
        await person.close()
    finally:
        await server.close()


async def test_wrong_passwords_lock_the_account_for_a_while(site, clock):
    person = site.person("laishan1")
    for _ in range(5):
        r = await person.login("wrong-password-1")
        assert r.status == 401 and "用户名或密码不正确" in r.text
    r = await person.login()  # the right password, but too late
    assert r.status == 429 and "登录失败次数过多" in visible_text(r.text) and "15 分钟" in visible_text(r.text)
    assert "hotline_session" not in r.headers.get("Set-Cookie", "")
    stranger = await site.person().login(username="no-such-user")
    assert stranger.status == 401 and "用户名或密码不正确" in stranger.text  # same answer: no account list to probe
    clock.advance(minutes=15)
    r = await person.login()
    assert r.status == 303 and r.location == "/portal/"


async def test_sessions_end_after_two_idle_hours(site, clock):
    person = await site.signed_in("op1")
    clock.advance(minutes=119)
    assert (await person.get("/console/")).status == 200
    clock.advance(minutes=121)
    r = await person.get("/console/")
    assert r.status == 303 and r.location == "/login?next=/console/"


async def test_every_form_needs_its_csrf_token(site):
    number = await site.file()
    department = await site.signed_in("laishan1")
    other = await site.signed_in("minzheng1")

    def events(s):
        return s.execute(select(func.count()).select_from(TicketEvent)).scalar_one()

    before = await site.db(events)
    path = f"/portal/tickets/{number}/accept"
    r = await department.post(path, {}, csrf=False)
    assert r.status == 403 and "页面已过期或来源不正确" in r.text
    r = await department.post(path, {"csrf_token": other.csrf}, csrf=False)  # someone else's token
    assert r.status == 403
    r = await department.post(path, {}, headers={"Origin": "https://evil.example"})  # right token, other site
    assert r.status == 403 and "请求来源不正确" in r.text
    assert await site.db(events) == before
    r = await department.post(path, {}, headers={"Origin": site.base.rstrip("/")})
    assert r.status == 303
    # The sign-in form has its own token, tied to a cookie.
    fresh = site.person("op1")
    r = await fresh.post("/login", {"username": "op1", "password": PASSWORD}, csrf=False)
    assert r.status == 403


async def test_sign_in_returns_to_the_page_asked_for_but_never_elsewhere(site):
    number = await site.file()
    person = site.person("op1")
    r = await person.get(f"/console/tickets/{number}")
    assert r.status == 303 and r.location == f"/login?next=/console/tickets/{number}"
    page = await person.get(r.location)
    assert f'value="/console/tickets/{number}"' in page.text
    for target, lands in ((f"/console/tickets/{number}", f"/console/tickets/{number}"), ("//evil.example/x", "/console/"),
                          ("https://evil.example/", "/console/"), ("/portal/", "/console/")):
        fresh = site.person("op1")
        await fresh.get("/login")  # the sign-in page sets the CSRF cookie
        r = await fresh.post("/login", {"username": "op1", "password": PASSWORD, "next": target}, csrf=True)
        assert r.location == lands, target


async def test_admin_creates_resets_and_disables_accounts(site):
    admin = await site.signed_in("admin")
    page = await admin.get("/console/accounts")
    assert page.status == 200 and "laishan1" in page.text and "莱山区政府王芳" in page.text
    r = await admin.post("/console/accounts", {"username": "fushan1", "display_name": "福山区政府", "role": "department",
                                               "department": "", "password": "Fushan-2026-pass"})
    assert r.status == 422 and "须指定一个已有的单位代码" in r.text and 'value="fushan1"' in r.text
    r = await admin.post("/console/accounts", {"username": "fushan1", "display_name": "福山区政府", "role": "department",
                                               "department": "fushan", "password": "Fushan-2026-pass"})
    assert r.status == 303
    newcomer = site.person("fushan1")
    assert (await newcomer.login("Fushan-2026-pass")).location == "/portal/"
    assert (await newcomer.get("/portal/")).status == 200

    account_id = await site.db(lambda s: s.execute(select(Account.id).where(Account.username == "fushan1")).scalar_one())
    r = await admin.post(f"/console/accounts/{account_id}/password", {"password": "short"})
    assert r.status == 422 and "至少需要 10 个字符" in r.text
    r = await admin.post(f"/console/accounts/{account_id}/password", {"password": "Fushan-2027-pass"})
    assert r.status == 303
    assert (await newcomer.get("/portal/")).status == 303  # a reset ends the account's sessions
    assert (await newcomer.login("Fushan-2026-pass")).status == 401
    assert (await newcomer.login("Fushan-2027-pass")).status == 303
    r = await admin.post(f"/console/accounts/{account_id}/active", {"active": "0"})
    assert r.status == 303
    assert (await newcomer.get("/portal/")).status == 303
    assert (await newcomer.login("Fushan-2027-pass")).status == 401
    own = await site.db(lambda s: s.execute(select(Account.id).where(Account.username == "admin")).scalar_one())
    r = await admin.post(f"/console/accounts/{own}/active", {"active": "0"})
    assert r.status == 422 and "不能停用自己" in r.text


def hotline(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake_store.cli", "account", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": db_url}, timeout=120)


async def test_accounts_are_created_and_reset_from_the_command_line(site, db_url):
    import asyncio

    run = lambda *a, stdin="": asyncio.to_thread(hotline, db_url, *a, stdin=stdin)  # noqa: E731
    r = await run("create", "--username", "Zhifu1", "--name", "芝罘区政府", "--role", "department",
                  "--department", "zhifu", "--password-stdin", stdin="Zhifu-first-2026\n")
    assert r.returncode == 0 and "已创建账号 zhifu1" in r.stdout, r.stderr
    r = await run("create", "--username", "x1", "--name", "某局", "--role", "department", "--department", "nowhere",
                  "--password-stdin", stdin="Another-pass-2026\n")
    assert r.returncode == 2 and "已有的单位代码" in r.stderr
    r = await run("create", "--username", "x2", "--name", "某人", "--role", "operator", stdin="Another-pass-2026\n")
    assert r.returncode == 2 and "--password-stdin" in r.stderr  # no terminal to type into: says what to do
    person = site.person("zhifu1")
    assert (await person.login("Zhifu-first-2026")).location == "/portal/"
    r = await run("reset-password", "--username", "zhifu1", "--password-stdin", stdin="Zhifu-second-2026\n")
    assert r.returncode == 0 and "会话全部失效" in r.stdout
    assert (await person.get("/portal/")).status == 303
    assert (await person.login("Zhifu-first-2026")).status == 401
    assert (await person.login("Zhifu-second-2026")).status == 303
    r = await run("reset-password", "--username", "nobody", "--password-stdin", stdin="Whatever-pass-1\n")
    assert r.returncode == 2 and "没有用户名为 nobody 的账号" in r.stderr
    listing = await run("list")
    assert "zhifu1\t芝罘区政府\t承办单位\tzhifu\t启用" in listing.stdout
    stored = await site.db(lambda s: s.execute(select(Account.password_hash).where(Account.username == "zhifu1")).scalar_one())
    assert stored.startswith("$argon2id$")
