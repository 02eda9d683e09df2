"""Everything the gateway adds to the app, in one place (called by `setup`)."""
from __future__ import annotations

from aiohttp import web
from telegram import Bot

from intake_store import periodic
from intake_store.throttle import THROTTLES
from intake_store.web import BACKOFFICE, SENDER, SETTINGS

from . import delivery, review, telegram, webchat, wechat
from .rasa_client import AssistantClient
from .relay import Relay
from .transcript import Store

RELAY = web.AppKey("relay", Relay)


def setup_gateway(app: web.Application) -> None:
    """`add_to` serves a module's routes and describes them in the app's OpenAPI document."""
    settings = app[SETTINGS]
    webchat.routes.add_to(app)
    app.router.add_static("/chat/static/", webchat.STATIC, append_version=True)
    review.routes.add_to(app)
    if settings.telegram_bot_token and settings.telegram_webhook_url:
        telegram.routes.add_to(app)
    if wechat.enabled(settings):
        wechat.routes.add_to(app)
    app.cleanup_ctx.append(_gateway_ctx)
    app.on_shutdown.append(_close_pages)


async def _gateway_ctx(app: web.Application):
    """Runs after the back office's context (appended later), so the store is there."""
    settings, bo, sender = app[SETTINGS], app[BACKOFFICE], app[SENDER]
    assistant = AssistantClient(settings.rasa_url, settings.actions_url or None, settings.rasa_give_up_seconds)
    await assistant.start()
    store = Store(bo.engine)
    relay = Relay(store, assistant, bo.now, notice_seconds=settings.rasa_timeout_seconds,
                  lease_seconds=settings.chat_lease_seconds, retry_seconds=settings.rasa_retry_seconds,
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

    periodic.every(app, settings.rasa_retry_seconds, relay.retry_once, id="chat_retry", name="转发等待中的聊天消息")
    yield
    if tg is not None:
        await tg.stop()
    await relay.close()
    await assistant.close()


async def _close_pages(app: web.Application) -> None:
    chat = app.get(webchat.WEBCHAT)
    if chat is not None:
        await chat.channel.close_all()
