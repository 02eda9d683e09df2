"""The web chat: the page at `/`, a WebSocket, and a plain HTTP fallback.

A visitor is known by a random token in an HttpOnly cookie, signed with the
server secret (a value the server did not issue is a new visitor, so nobody
can plant a chosen identity in a browser); the sender id is derived from the
token with the server secret, so neither the conversation id nor the
transcript gives the token away. On a shared terminal "清除本机记录" drops
the cookie. The transcript is the web visitor's
mailbox: a message to a web visitor is stored, then pushed to any open page;
a page that opens later loads it from the history.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Literal
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session

from intake_store.console.pages import cookie_secure
from intake_store.lifecycle import STATE_NAMES
from intake_store.models import Message, Ticket
from intake_store.openapi import ApiRoutes
from intake_store.throttle import Window, chat_refused
from intake_store.tickets.numbering import query_code
from intake_store.web import ApiError, json_ok, read_json

from . import texts
from . import transcript as tr
from intake_store.privacy import mask_personal
from .rasa_client import Reply
from .relay import Relay

log = logging.getLogger("hotline.gateway.web")
routes = ApiRoutes()
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "hotline_chat"
COOKIE_MAX_AGE = 365 * 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_CHARS = 20000  # longer than this is refused before it is stored (the page keeps the text)


# ---------------------------------------------------------------- what the page sends

class ButtonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int = Field(ge=1)
    index: int = Field(ge=0, le=50)


class SayIn(BaseModel):
    """A message from the page. Text is not stripped: it is stored as typed."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["say"] = "say"
    text: str | None = Field(default=None, max_length=MAX_CHARS)
    button: ButtonIn | None = None
    client_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    after: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_of(self):
        if (self.text is None) == (self.button is None):
            raise ValueError("需要 text 或 button 其中之一")
        return self


# ---------------------------------------------------------------- what the page is shown

def message_view(m: Message) -> dict:
    meta = m.meta or {}
    return {
        "id": m.id,
        "direction": m.direction,
        "text": mask_personal(m.text),
        "buttons": [b["title"] for b in meta.get("buttons") or []],
        "at": m.at.isoformat(),
        "client_id": meta.get("client_id"),
        "notice": meta.get("source") == "gateway",
    }


def ticket_view(secret: str, t: Ticket) -> dict:
    return {"number": t.number, "query_code": query_code(secret, t.query_nonce),
            "state_name": STATE_NAMES.get(t.state, t.state)}


def _replies_and_tickets(session, conv_id, replies, now, **kw) -> tuple[list[Message], list[Ticket]]:
    return tr.record_outbound(session, conv_id, replies, now, **kw), tr.tickets_of(session, conv_id)


def _history_and_tickets(session, conv_id, after) -> tuple[list[Message], list[Ticket]]:
    return tr.history(session, conv_id, after), tr.tickets_of(session, conv_id)


class WebChannel:
    """Delivers to web visitors: store, then push to the pages they have open."""

    name = "web"

    def __init__(self, store: tr.Store, now: Callable[[], datetime], secret: str):
        self.store, self.now, self.secret = store, now, secret
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    async def deliver(self, conv_id: str, replies: list[Reply], *, answered: int | None = None,
                      meta: dict | None = None, key: str | None = None, session: Session | None = None) -> list[Message]:
        db = self.store.within(session) if session is not None else self.store
        stored, tickets = await db.run(
            _replies_and_tickets, conv_id, replies, self.now(), answered=answered, meta=meta,
            external_ids=[key] if key else None)
        if stored:
            await self.push(conv_id, {"type": "messages", "messages": [message_view(m) for m in stored]})
        if tickets:
            await self.push(conv_id, {"type": "tickets", "tickets": [ticket_view(self.secret, t) for t in tickets]})
        return stored

    async def typing(self, conv_id: str, on: bool) -> None:
        await self.push(conv_id, {"type": "typing", "on": on})

    async def push(self, conv_id: str, data: dict) -> None:
        for ws in list(self.sockets.get(conv_id, ())):
            try:
                await ws.send_json(data, dumps=_dumps)
            except (ConnectionError, RuntimeError):
                self._forget(conv_id, ws)

    def _forget(self, conv_id: str, ws: web.WebSocketResponse) -> None:
        open_pages = self.sockets.get(conv_id)
        if open_pages is not None:
            open_pages.discard(ws)
            if not open_pages:
                del self.sockets[conv_id]

    async def close_all(self) -> None:
        for pages in list(self.sockets.values()):
            for ws in list(pages):
                await ws.close()


@dataclass
class WebChat:
    relay: Relay
    channel: WebChannel
    store: tr.Store
    secret: str
    flood: Window | None = None  # messages per visitor


class Flooding(Exception):
    def __init__(self, wait: float):
        super().__init__(chat_refused(wait))
        self.message = chat_refused(wait)


WEBCHAT = web.AppKey("webchat", WebChat)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- who is asking

@dataclass(frozen=True)
class Visitor:
    sender_id: str
    new_token: str | None  # set as a cookie on the answer when the visitor is new

    @property
    def conversation_id(self) -> str:
        return tr.conversation_id("web", self.sender_id)


def _mac(secret: str, purpose: str, token: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()


def cookie_value(secret: str, token: str) -> str:
    return f"{token}.{_mac(secret, 'web-cookie', token)}"


def token_of(secret: str, value: str) -> str | None:
    """The visitor token in a cookie value, when this server issued it."""
    token, _, mac = value.rpartition(".")
    if _TOKEN.fullmatch(token) and hmac.compare_digest(mac.encode(), _mac(secret, "web-cookie", token).encode()):
        return token
    return None


def visitor(request: web.Request) -> Visitor:
    secret = request.app[WEBCHAT].secret
    token = token_of(secret, request.cookies.get(COOKIE, ""))
    new = None
    if token is None:
        token = new = secrets.token_urlsafe(32)
    return Visitor(_mac(secret, "web-visitor", token)[:32], new)


def remember(request: web.Request, response: web.StreamResponse, who: Visitor) -> None:
    if who.new_token:
        response.set_cookie(COOKIE, cookie_value(request.app[WEBCHAT].secret, who.new_token), max_age=COOKIE_MAX_AGE,
                            path="/", httponly=True, samesite="Lax", secure=cookie_secure(request))


def same_origin(request: web.Request) -> None:
    """Only the chat page itself may talk as its visitor (the cookie goes with any request)."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise ApiError(403, "请求来源不被允许。", "bad_origin")


# ---------------------------------------------------------------- handling a message

async def say(chat: WebChat, who: Visitor, data: SayIn) -> tr.Taken | None:
    """Store what the visitor sent; None when it was stored before (a resend)."""
    wait = chat.flood.take(who.sender_id) if chat.flood else 0
    if wait:
        raise Flooding(wait)
    conv_id = who.conversation_id
    meta: dict = {"client_id": data.client_id}
    text = data.text
    if data.button is not None:
        button = await chat.store.run(tr.button_of, conv_id, data.button.index, message_id=data.button.message_id)
        if button is None:
            await chat.channel.deliver(conv_id, [Reply(texts.STALE_BUTTON)], meta={"source": "gateway"})
            return None
        text, meta = button.title, {**meta, "forward": button.payload, "button_of": data.button.message_id}
    return await chat.relay.take("web", who.sender_id, text, external_id=f"web:{data.client_id}", meta=meta)


# ---------------------------------------------------------------- routes

@routes.route("GET", "/")
async def page(request: web.Request) -> web.StreamResponse:
    who = visitor(request)
    response = web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
    remember(request, response, who)
    return response


def _after(request: web.Request) -> int:
    raw = request.query.get("after", "0") or "0"
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(400, "参数 after 必须是非负整数。", "bad_query")
    return int(raw)


@routes.endpoint("GET", "/chat/api/messages", "网页聊天：本访客的对话记录和工单（after=最后一条消息编号）",
                 query=(("after", "只返回编号大于它的消息"),))
async def messages(request: web.Request) -> web.Response:
    chat, who = request.app[WEBCHAT], visitor(request)
    after = _after(request)
    stored, tickets = await chat.store.run(_history_and_tickets, who.conversation_id, after)
    response = json_ok({"messages": [message_view(m) for m in stored],
                        "tickets": [ticket_view(chat.secret, t) for t in tickets]})
    remember(request, response, who)
    return response


@routes.endpoint("POST", "/chat/api/messages", "网页聊天：发送一条消息（WebSocket 不可用时），返回新消息", body=SayIn)
async def post_message(request: web.Request) -> web.Response:
    """The fallback when the page has no WebSocket: answers with everything new
    since `after`, the assistant's replies included when they came in time."""
    same_origin(request)
    chat, who = request.app[WEBCHAT], visitor(request)
    data = await read_json(request, SayIn)
    try:
        taken = await say(chat, who, data)
    except Flooding as e:
        raise ApiError(429, e.message, "too_many_messages")
    if taken is not None:
        await chat.relay.answer(taken)
    stored, tickets = await chat.store.run(_history_and_tickets, who.conversation_id, data.after)
    response = json_ok({"messages": [message_view(m) for m in stored],
                        "tickets": [ticket_view(chat.secret, t) for t in tickets]})
    remember(request, response, who)
    return response


@routes.endpoint("POST", "/chat/api/forget", "网页聊天：清除本机记录（本浏览器不再关联这段对话，共用电脑时使用）")
async def forget(request: web.Request) -> web.Response:
    """"清除本机记录": this browser stops being the visitor (on a shared terminal the
    next person starts afresh); the conversation stays with the hotline."""
    same_origin(request)
    chat, who = request.app[WEBCHAT], visitor(request)
    for ws in list(chat.channel.sockets.get(who.conversation_id, ())):
        await ws.close()
    response = json_ok({"forgotten": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.endpoint("GET", "/chat/ws", "网页聊天 WebSocket：hello / say，推送 messages / typing / tickets")
async def socket(request: web.Request) -> web.StreamResponse:
    same_origin(request)
    chat, who = request.app[WEBCHAT], visitor(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=256 * 1024)
    remember(request, ws, who)
    await ws.prepare(request)
    conv_id = who.conversation_id
    chat.channel.sockets[conv_id].add(ws)
    try:
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            await _on_frame(chat, who, ws, frame.data)
    finally:
        chat.channel._forget(conv_id, ws)
    return ws


async def _on_frame(chat: WebChat, who: Visitor, ws: web.WebSocketResponse, raw: str) -> None:
    try:
        data = json.loads(raw)
    except ValueError:
        await ws.send_json({"type": "error", "error": "消息格式不正确。"}, dumps=_dumps)
        return
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "hello":
        after = data.get("after", 0)
        after = after if isinstance(after, int) and after >= 0 else 0
        stored, tickets = await chat.store.run(_history_and_tickets, who.conversation_id, after)
        await ws.send_json({"type": "history", "messages": [message_view(m) for m in stored],
                            "tickets": [ticket_view(chat.secret, t) for t in tickets]}, dumps=_dumps)
        return
    try:
        message_in = SayIn.model_validate(data)
    except ValidationError as e:
        too_long = any(err["type"] == "string_too_long" for err in e.errors())
        error = f"消息太长，请分段发送（每段不超过{MAX_CHARS}字）。" if too_long else "消息格式不正确。"
        client_id = data.get("client_id") if isinstance(data, dict) else None
        await ws.send_json({"type": "error", "error": error, "client_id": client_id}, dumps=_dumps)
        return
    try:
        taken = await say(chat, who, message_in)
    except Flooding as e:
        await ws.send_json({"type": "error", "error": e.message, "client_id": message_in.client_id}, dumps=_dumps)
        return
    if taken is None:
        await ws.send_json({"type": "ack", "client_id": message_in.client_id}, dumps=_dumps)
        return
    await chat.channel.push(who.conversation_id, {"type": "messages", "messages": [message_view(taken.message)]})
    # Answered in the background: the socket keeps reading the visitor's next messages.
    chat.relay.spawn(chat.relay.answer(taken))
