"""Everything the gateway adds to the app, in one place (called by `setup`)."""
from __future__ import annotations

import asyncio
import json

from aiohttp import web
from telegram import Bot

from intake_store.api import Endpoint
from intake_store.openapi import build_openapi
from intake_store.throttle import THROTTLES
from intake_store.web import BACKOFFICE, SENDER, SETTINGS, json_ok

from . import delivery, review, telegram, webchat, wechat
from .rasa_client import AssistantClient
from .relay import Relay
from .transcript import Store

RELAY = web.AppKey("relay", Relay)
DOCUMENTED_HERE = web.AppKey("gateway_endpoints", list)

# Added to the app's OpenAPI document (intake_store.api) by `_document`.
DOCUMENTED = [
    Endpoint("GET", "/chat/api/messages", "网页聊天：本访客的对话记录和工单（after=最后一条消息编号）", (), None,
             (("after", "只返回编号大于它的消息"),)),
    Endpoint("POST", "/chat/api/messages", "网页聊天：发送一条消息（WebSocket 不可用时），返回新消息", (), webchat.SayIn),
    Endpoint("POST", "/chat/api/forget", "网页聊天：清除本机记录（本浏览器不再关联这段对话，共用电脑时使用）", (), None),
    Endpoint("GET", "/chat/ws", "网页聊天 WebSocket：hello / say，推送 messages / typing / tickets", (), None),
    Endpoint("GET", "/api/conversations/{conversation_id}", "对话记录及其产生的工单（督办角色看到的电话、身份证号已隐去）",
             ("operator", "service", "supervisor"), None),
]
WEBHOOK_DOC = Endpoint("POST", telegram.WEBHOOK_PATH, "Telegram Bot API 推送更新（仅在设置了 webhook 时）", (), None)


def setup_gateway(app: web.Application) -> None:
    settings = app[SETTINGS]
    app.router.add_routes(webchat.routes)
    app.router.add_static("/chat/static/", webchat.STATIC, append_version=True)
    app.router.add_routes(review.routes)
    app[DOCUMENTED_HERE] = list(DOCUMENTED)
    if settings.telegram_bot_token and settings.telegram_webhook_url:
        app.router.add_routes(telegram.routes)
        app[DOCUMENTED_HERE].append(WEBHOOK_DOC)
    if wechat.enabled(settings):
        app.router.add_routes(wechat.routes)
        app[DOCUMENTED_HERE] += wechat.DOCUMENTED
    app.middlewares.append(_document)
    app.cleanup_ctx.append(_gateway_ctx)
    app.on_shutdown.append(_close_pages)


@web.middleware
async def _document(request: web.Request, handler):
    """The app's one OpenAPI document also describes the chat routes of this
    app (the back office's endpoint list is module-wide; an app without the
    gateway must not describe them)."""
    response = await handler(request)
    if request.path != "/api/openapi.json" or response.status != 200:
        return response
    doc = json.loads(response.text)
    ours = build_openapi(request.app[DOCUMENTED_HERE])
    doc["paths"].update(ours["paths"])
    doc["components"]["schemas"].update(ours["components"]["schemas"])
    return json_ok(doc)


async def _gateway_ctx(app: web.Application):
    """Runs after the back office's context (appended later), so the store is there."""
    settings, bo, sender = app[SETTINGS], app[BACKOFFICE], app[SENDER]
    assistant = AssistantClient(settings.rasa_url, settings.actions_url or None, settings.rasa_give_up_seconds)
    await assistant.start()
    store = Store(bo.engine)
    relay = Relay(store, assistant, bo.now, notice_seconds=settings.rasa_timeout_seconds,
                  give_up_seconds=settings.rasa_give_up_seconds, retry_seconds=settings.rasa_retry_seconds,
                  text_limit=settings.max_text_chars)
    app[RELAY] = relay

    web_channel = webchat.WebChannel(store, bo.now, bo.secret)
    relay.add_channel(web_channel)
    app[webchat.WEBCHAT] = webchat.WebChat(relay, web_channel, store, bo.secret, app[THROTTLES].chat_per_visitor)
    sender.register("web", delivery.deliverer(web_channel, store, bo.now))

    tg = None
    if settings.telegram_bot_token:
        base = {"base_url": settings.telegram_api_base_url} if settings.telegram_api_base_url else {}
        tg = telegram.TelegramChannel(Bot(settings.telegram_bot_token, **base), store, relay, bo.now,
                                      webhook_secret=telegram.webhook_secret(bo.secret))
        tg.flood = app[THROTTLES].chat_per_visitor
        relay.add_channel(tg)
        await tg.start(settings.telegram_webhook_url)
        app[telegram.TELEGRAM] = tg
        sender.register("telegram", delivery.deliverer(tg, store, bo.now))

    if wechat.enabled(settings):
        wx = wechat.from_settings(settings, store, relay, bo.now)
        wx.flood = app[THROTTLES].chat_per_visitor
        relay.add_channel(wx)
        app[wechat.WECHAT] = wx
        sender.register(wx.name, delivery.deliverer(wx, store, bo.now))

    stop = asyncio.Event()
    retry = asyncio.create_task(relay.retry_forever(stop))
    yield
    stop.set()
    await retry
    if tg is not None:
        await tg.stop()
    await relay.close()
    await assistant.close()


async def _close_pages(app: web.Application) -> None:
    chat = app.get(webchat.WEBCHAT)
    if chat is not None:
        await chat.channel.close_all()
