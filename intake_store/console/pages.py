"""What every console and portal page shares: who is signed in, CSRF checks,
HTML error pages, security headers, template rendering and form parsing.

The REST API keeps its bearer tokens and JSON errors; everything under the
console's paths uses a session cookie and answers in HTML.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from multidict import MultiDictProxy
from pydantic import BaseModel, ValidationError

from vocabulary import limits
from vocabulary.codes import CHANNELS, SATISFACTION, SEVERITY, VERIFICATION
from vocabulary.dates import chinese_date

from .. import lifecycle
from ..headers import HEADERS
from ..lifecycle import TransitionError
from ..tickets.backoffice import Backoffice
from ..tickets.lookup import NotFound
from ..tickets.viewer import Viewer
from ..web import BACKOFFICE, SETTINGS, ApiError, in_session, validation_details
from ..workcalendar import BEIJING
from . import accounts as A
from .review import FIELD_LABELS

log = logging.getLogger("hotline.console")

JINJA = web.AppKey("console_jinja", jinja2.Environment)
SIGNED_IN = web.RequestKey("signed_in", object)
FORM = web.RequestKey("console_form", object)

SESSION_COOKIE = "hotline_session"
LOGIN_CSRF_COOKIE = "hotline_login_csrf"
AREAS = ("/console", "/portal", "/login", "/logout")
STATIC_PREFIX = "/console/static/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = HEADERS  # the app sets them on every answer; a page sets them again whatever the middlewares


@dataclass(frozen=True)
class SignedIn:
    """The account behind the session, detached from the database."""

    account_id: int
    username: str
    display_name: str
    role: str
    department: str | None
    csrf_token: str

    @property
    def viewer(self) -> Viewer:
        return A.viewer_for(self.role, self.username, self.display_name, self.department)

    @property
    def role_name(self) -> str:
        return A.ROLES.get(self.role, self.role)

    @property
    def home(self) -> str:
        return "/portal/" if self.role in A.PORTAL_ROLES else "/console/"


class PageError(Exception):
    """Shown to the person as an error page: status and a Chinese message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class SignInRequired(Exception):
    pass


def in_area(path: str) -> bool:
    return any(path == a or path.startswith(a + "/") for a in AREAS)


def bo_of(request: web.Request) -> Backoffice:
    return request.app[BACKOFFICE]


def policy_of(request: web.Request) -> A.LoginPolicy:
    s = request.app[SETTINGS]
    return A.LoginPolicy(max_failures=s.login_max_failures, max_failures_per_ip=s.login_max_failures_per_ip,
                         window=timedelta(minutes=s.login_window_minutes))


def session_age(request: web.Request) -> timedelta:
    return timedelta(hours=request.app[SETTINGS].session_max_hours)


def cookie_secure(request: web.Request) -> bool:
    setting = request.app[SETTINGS].session_cookie_secure
    return request.secure if setting is None else setting


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=cookie_secure(request))


# ---------------------------------------------------------------- who is asking

def signed_in(request: web.Request, *roles: str) -> SignedIn:
    """The signed-in account if it has one of `roles`; else sign-in or refusal."""
    me: SignedIn | None = request.get(SIGNED_IN)
    if me is None:
        raise SignInRequired()
    if roles and me.role not in roles:
        raise PageError(403, "您的账号无权打开这个页面。")
    return me


async def _load_session(request: web.Request) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    bo, settings = bo_of(request), request.app[SETTINGS]

    def work(s):
        found = A.resume_session(s, token, bo.now(), timedelta(minutes=settings.session_idle_minutes))
        if found is None:
            return None
        row, account = found
        return SignedIn(account.id, account.username, account.display_name, account.role, account.department_code,
                        row.csrf_token)

    return await in_session(request, work)


async def _check_csrf(request: web.Request, me: SignedIn | None) -> None:
    """Every form carries a token only our pages know; a request from another
    site has neither the token nor our Origin."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise PageError(403, "请求来源不正确，操作未执行。请从本系统的页面提交。")
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise PageError(413, "提交的内容过大，操作未执行。")
    request[FORM] = form
    sent = str(form.get("csrf_token") or request.headers.get("X-CSRF-Token") or "")
    if request.path == "/login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    elif me is None:
        raise SignInRequired()
    else:
        expected = me.csrf_token
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageError(403, "页面已过期或来源不正确，操作未执行。请刷新页面后重试。")


async def form_of(request: web.Request) -> MultiDictProxy:
    return request.get(FORM) or await request.post()


def safe_next(target: str | None, me: SignedIn) -> str:
    """Only a page of this system that the account may use (no open redirect)."""
    if target and target.startswith(me.home) and "//" not in target and "\\" not in target:
        return target
    return me.home


@web.middleware
async def console_middleware(request: web.Request, handler):
    if not in_area(request.path) or request.path.startswith(STATIC_PREFIX):
        return await handler(request)
    try:
        me = await _load_session(request)
        request[SIGNED_IN] = me
        if request.method not in SAFE_METHODS:
            await _check_csrf(request, me)
        response = await handler(request)
    except SignInRequired:
        target = request.path_qs if request.method == "GET" else request.path
        response = redirect(f"/login?next={quote(target)}")
    except PageError as e:
        response = error_page(request, e.status, e.message)
    except NotFound as e:
        response = error_page(request, 404, e.message)
    except TransitionError as e:
        response = error_page(request, 409, e.message)
    except ApiError as e:
        response = error_page(request, e.status, e.message)
    except web.HTTPRequestEntityTooLarge:
        response = error_page(request, 413, "提交的内容过大，操作未执行。")
    except web.HTTPException as e:
        if e.status < 400:
            raise
        messages = {404: "没有这个页面。", 405: "不支持这种请求方法。"}
        response = error_page(request, e.status, messages.get(e.status, "请求无法处理。"))
    except Exception:  # noqa: BLE001 - a page never shows a stack trace
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = error_page(request, 500, "服务器内部错误，操作没有执行，请稍后再试。")
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# ---------------------------------------------------------------- rendering

def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    me = request.get(SIGNED_IN)
    base = {"me": me, "csrf_token": me.csrf_token if me else "", "path": request.path}
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status, app_key=JINJA)


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def beijing_time(value: datetime | str | None, with_seconds: bool = False) -> str:
    """A moment as people here read it: 北京时间, no zone suffix."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    v = value.astimezone(BEIJING)
    return f"{chinese_date(v.date())} {v:%H:%M}" + (f":{v:%S}" if with_seconds else "")


def date_text(value) -> str:
    """2026-12-18 (a date or its ISO text) as 2026年12月18日."""
    if not value:
        return ""
    return chinese_date(date.fromisoformat(str(value)[:10]))


def yuan(value) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    roles: tuple[str, ...]


# The console's top navigation. Other back office pages that use the console's
# sign-in (e.g. a supervisors' dashboard) add their link with `add_pages`.
NAV_LINKS = web.AppKey("console_nav", list[NavLink])
FORM_LABELS = web.AppKey("form_labels", dict[str, str])  # form field -> its name on the page, per app
CONSOLE_NAV = (
    NavLink("工单队列", "/console/", A.CONSOLE_ROLES),
    NavLink("工单收件箱", "/portal/", A.PORTAL_ROLES),
    NavLink("账号管理", "/console/accounts", ("admin",)),
)


def add_pages(app: web.Application, templates: str | None = None, nav: NavLink | None = None,
              labels: Mapping[str, str] | None = None) -> None:
    """Let another part of the back office render pages with this layout
    (`{% extends "base.html" %}`), appear in this app's navigation and name
    its form fields in error messages (`labels`)."""
    for name, label in (labels or {}).items():
        app[FORM_LABELS].setdefault(name, label)
    if templates:
        app[JINJA].loader.loaders.append(jinja2.FileSystemLoader(templates))
    if nav and nav not in app[NAV_LINKS]:
        app[NAV_LINKS].append(nav)


def make_environment(app: web.Application, directory) -> jinja2.Environment:
    app[NAV_LINKS] = list(CONSOLE_NAV)
    app[FORM_LABELS] = dict(INPUT_LABELS)
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(directory)]), app_key=JINJA, autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(bj=beijing_time, yuan=yuan, cn_date=date_text)
    env.globals.update(
        STATE_NAMES=lifecycle.STATE_NAMES,
        ACTION_NAMES=lifecycle.ACTION_NAMES,
        VERIFICATION=VERIFICATION, SATISFACTION=SATISFACTION, SEVERITY=SEVERITY, CHANNELS=CHANNELS, LIMITS=limits,
        FIELD_LABELS=FIELD_LABELS,
        NAV_LINKS=app[NAV_LINKS],
        INPUT_LABELS=app[FORM_LABELS],
        ACTOR_NAMES={"system": "系统", "service": "智能助手"},
        CHANNEL_NAMES=CHANNELS.labels,
    )
    return env


# ---------------------------------------------------------------- forms

# Form field -> how it is named on the page, for error messages (the console's
# own; other parts add theirs to the app's FORM_LABELS through add_pages).
INPUT_LABELS = {
    **FIELD_LABELS,
    "reason": "理由",
    "result": "核查结果",
    "findings": "核查情况",
    "text": "答复内容",
    "new_due": "新的办理期限",
    "lead": "主办单位",
    "co": "协办单位",
    "into": "合并到的工单号",
    "username": "用户名",
    "display_name": "姓名或单位名称",
    "password": "密码",
    "message": "消息内容",
}


def form_model(model: type[BaseModel], form: MultiDictProxy, lists: tuple[str, ...] = ("co",)) -> BaseModel:
    """Validate a posted form with the API's own schema. Blank inputs count as
    not given, so a required one left empty reads "缺少必填字段"."""
    data: dict[str, Any] = {}
    for name in model.model_fields:
        if name in lists:
            values = [v for v in form.getall(name, []) if str(v).strip()]
            if values:
                data[name] = values
            continue
        value = form.get(name)
        if value is not None and str(value).strip():
            data[name] = value
    return model.model_validate(data)


def form_errors(request: web.Request, exc: ValidationError | TransitionError | A.AccountError) -> list[str]:
    """Chinese lines for an error box."""
    if isinstance(exc, ValidationError):
        labels = request.app[FORM_LABELS]
        lines = []
        for d in validation_details(exc):
            field = d["field"].split(".")[0]
            lines.append(f"{labels.get(field, field)}：{d['problem']}")
        return lines
    return [exc.message]


def new_nonce() -> str:
    return secrets.token_urlsafe(16)
