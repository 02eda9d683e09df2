"""Sign-in, sign-out, and the administrator's account list."""
from __future__ import annotations

import math

from aiohttp import web
from sqlalchemy import select

from ..throttle import address_of
from ..web import in_session
from . import accounts as A
from .pages import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SIGNED_IN,
    PageError,
    SignedIn,
    bo_of,
    form_errors,
    form_of,
    new_nonce,
    policy_of,
    redirect,
    render,
    safe_next,
    session_age,
    set_cookie,
    signed_in,
)

routes = web.RouteTableDef()


# ---------------------------------------------------------------- sign-in

def _login_page(request: web.Request, *, error: str | None = None, username: str = "", next_page: str = "",
                status: int = 200) -> web.Response:
    token = new_nonce()
    response = render(request, "login.html", {
        "login_csrf": token, "error": error, "username": username,
        "next": next_page or request.query.get("next", ""),
    }, status=status)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    me = request.get(SIGNED_IN)
    if me is not None:
        return redirect(me.home)
    return _login_page(request)


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    form = await form_of(request)
    username = str(form.get("username") or "")[:64]
    next_page = str(form.get("next") or "")[:500]
    password = str(form.get("password") or "")[:A.PASSWORD_MAX + 1]
    bo = bo_of(request)
    if not username.strip() or not password:
        return _login_page(request, error="请输入用户名和密码。", username=username, next_page=next_page, status=400)
    now = bo.now()

    def work(s):
        result = A.authenticate(s, username, password, address_of(request), now, policy_of(request))
        if result.account is None:
            return result, None, None
        token, row = A.start_session(s, result.account, now, session_age(request))
        a = result.account
        return result, token, SignedIn(a.id, a.username, a.display_name, a.role, a.department_code, row.csrf_token)

    result, token, me = await in_session(request, work)
    if result.locked_until:
        minutes = max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
        return _login_page(request, error=f"登录失败次数过多，已暂时锁定。请 {minutes} 分钟后再试，或联系管理员重置密码。",
                           username=username, next_page=next_page, status=429)
    if me is None:
        return _login_page(request, error="用户名或密码不正确。", username=username, next_page=next_page, status=401)
    response = redirect(safe_next(next_page, me))
    set_cookie(request, response, SESSION_COOKIE, token, max_age=int(session_age(request).total_seconds()))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    signed_in(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    await in_session(request, lambda s: A.end_session(s, token))
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------- accounts (admin)

async def _accounts_page(request: web.Request, *, errors: list[str] | None = None, posted: dict | None = None,
                         status: int = 200) -> web.Response:
    bo = bo_of(request)

    def work(s):
        return list(s.execute(select(A.Account).order_by(A.Account.role, A.Account.username)).scalars().all())

    accounts = await in_session(request, work, write=False)
    departments = sorted(bo.catalog.departments.values(), key=lambda d: ("市区县街道".index(d.level), d.code))
    return render(request, "console/accounts.html", {
        "accounts": accounts, "roles": A.ROLES, "departments": departments,
        "dept_names": {d.code: d.name for d in departments},
        "errors": errors or [], "posted": posted or {}, "done": request.query.get("done", ""),
    }, status=status)


@routes.get("/console/accounts")
async def accounts_page(request: web.Request) -> web.Response:
    signed_in(request, "admin")
    return await _accounts_page(request)


@routes.post("/console/accounts")
async def create_account(request: web.Request) -> web.Response:
    signed_in(request, "admin")
    form = await form_of(request)
    bo = bo_of(request)
    fields = {k: str(form.get(k) or "") for k in ("username", "display_name", "role", "department", "password")}

    def work(s):
        A.create_account(s, username=fields["username"], display_name=fields["display_name"], role=fields["role"],
                         department=fields["department"] or None, password=fields["password"], now=bo.now())

    try:
        await in_session(request, work)
    except A.AccountError as e:
        fields.pop("password")
        return await _accounts_page(request, errors=form_errors(request, e), posted=fields, status=422)
    return redirect("/console/accounts?done=created")


def _account_id(request: web.Request) -> int:
    try:
        return int(request.match_info["account_id"])
    except ValueError:
        raise PageError(404, "没有这个账号。")


async def _change_account(request: web.Request, change) -> web.Response:
    me = signed_in(request, "admin")
    form = await form_of(request)
    account_id = _account_id(request)
    bo = bo_of(request)

    def work(s):
        account = s.get(A.Account, account_id)
        if account is None:
            raise PageError(404, "没有这个账号。")
        change(s, account, form, me, bo.now())

    try:
        await in_session(request, work)
    except A.AccountError as e:
        return await _accounts_page(request, errors=form_errors(request, e), status=422)
    return redirect("/console/accounts?done=changed")


@routes.post("/console/accounts/{account_id}/password")
async def reset_password(request: web.Request) -> web.Response:
    def change(s, account, form, me, now):
        A.set_password(s, account, str(form.get("password") or ""), now)

    return await _change_account(request, change)


@routes.post("/console/accounts/{account_id}/active")
async def set_active(request: web.Request) -> web.Response:
    def change(s, account, form, me, now):
        active = form.get("active") == "1"
        if account.id == me.account_id and not active:
            raise A.AccountError("不能停用自己正在使用的账号。")
        A.set_active(s, account, active)

    return await _change_account(request, change)
