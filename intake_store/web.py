"""What every handler of the app uses: the app's typed state, errors as JSON
in Chinese, the bearer-token check, reading a body, one unit of work.

The application itself is assembled in `app.py`; handlers live in `api.py`
and in each feature's package.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from .auth import viewer_for_token
from .db import session_scope
from .lifecycle import TransitionError
from .outbox import Sender
from .settings import Settings
from .tickets.backoffice import Backoffice
from .tickets.lookup import NotFound
from .tickets.viewer import Viewer

log = logging.getLogger("hotline.web")
T = TypeVar("T")

BACKOFFICE = web.AppKey("backoffice", Backoffice)
# One outbox sender per app process; features register their channels on it
# (the chat gateway: "web", "telegram") in their setup.
SENDER = web.AppKey("sender", Sender)
SETTINGS = web.AppKey("settings", Settings)
VIEWER = web.RequestKey("viewer", object)


class ApiError(Exception):
    """An error a client caused: status, Chinese message, machine code."""

    def __init__(self, status: int, message: str, code: str, details: list | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details or []


def error_response(status: int, message: str, code: str, details: list | None = None) -> web.Response:
    body = {"error": message, "code": code, "details": details or []}
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def json_ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


TRANSITION_STATUS = {"forbidden": 403, "not_lead": 403, "unknown_action": 404}
FIELD_ERRORS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短或为空",
    "too_long": "条目过多",
    "literal_error": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
}


def validation_details(exc: ValidationError) -> list[dict]:
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        out.append({
            "field": ".".join(str(p) for p in err["loc"]),
            "problem": FIELD_ERRORS.get(err["type"], "类型或取值不正确"),
            "detail": err["msg"],
        })
    return out


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Every failure becomes a JSON error; a client mistake is never a 500."""
    try:
        return await handler(request)
    except ApiError as e:
        return error_response(e.status, e.message, e.code, e.details)
    except ValidationError as e:
        return error_response(422, "请求内容不符合要求，请按提示修改后重试。", "validation_error", validation_details(e))
    except TransitionError as e:
        status = TRANSITION_STATUS.get(e.code, 409)
        if e.code.endswith("_required") or e.code.startswith("invalid_") or e.code.startswith("unknown_"):
            status = TRANSITION_STATUS.get(e.code, 422)
        return error_response(status, e.message, e.code)
    except NotFound as e:
        return error_response(404, e.message, "not_found")
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "请求内容过大。", "too_large")
    except web.HTTPException as e:
        if e.status >= 400:
            messages = {404: "没有这个地址。", 405: "不支持这种请求方法。"}
            return error_response(e.status, messages.get(e.status, e.reason), f"http_{e.status}")
        raise
    except Exception:  # noqa: BLE001 - the last line of defence
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "服务器内部错误，您的请求没有被执行，请稍后再试。", "internal_error")


@web.middleware
async def auth_middleware(request: web.Request, handler):
    header = request.headers.get("Authorization", "")
    viewer = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "认证信息格式不正确，应为 Authorization: Bearer <令牌>。", "bad_auth_header")
        settings = request.app[SETTINGS]
        viewer = await in_session(request, lambda s: viewer_for_token(s, token.strip(), settings.hotline_service_token), write=False)
        if viewer is None:
            raise ApiError(401, "令牌无效或已停用。", "invalid_token")
    request[VIEWER] = viewer
    return await handler(request)


def require(request: web.Request, *roles: str) -> Viewer:
    viewer: Viewer | None = request.get(VIEWER)
    if viewer is None:
        raise ApiError(401, "需要登录：请在 Authorization 头中提供令牌。", "unauthenticated")
    if roles and viewer.role not in roles:
        raise ApiError(403, "当前角色无权执行这个操作。", "forbidden")
    return viewer


async def read_json(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a JSON body; every way it can be wrong is a 4xx."""
    if request.content_length and request.content_length > request.app[SETTINGS].max_body_bytes:
        raise ApiError(413, "请求内容过大。", "too_large")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "请求内容过大。", "too_large")
    if not raw.strip():
        raw = b"{}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ApiError(400, "请求体不是合法的 JSON（需 UTF-8 编码）。", "malformed_json", [{"detail": str(e)}])
    if not isinstance(data, dict):
        raise ApiError(400, "请求体必须是一个 JSON 对象。", "malformed_json")
    return model.model_validate(data)


async def in_session(request: web.Request, fn: Callable[[Session], T], *, write: bool = True) -> T:
    """Run one unit of work off the event loop (the driver is synchronous)."""
    engine = request.app[BACKOFFICE].engine

    def work() -> T:
        with session_scope(engine) as session:
            return fn(session)

    return await asyncio.to_thread(work)
