"""Telegram: the same assistant in a Telegram chat, through python-telegram-bot.

Updates are taken with `Bot.get_updates` (long polling) or posted to
`/telegram/webhook` (when a public URL is set). Either way an update is
stored before Telegram is told it arrived: polling asks for the next offset
only after the batch is stored, and the webhook answers 200 only after
storing, so a crash makes Telegram deliver it again, and the stored update
id makes the second delivery a no-op. Buttons are inline keyboards; their
callback data is the button's index in the stored message that offered it.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from datetime import datetime
from typing import Callable

from aiohttp import web
from sqlmodel import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from intake_store.models import Message
from intake_store.openapi import ApiRoutes
from intake_store.throttle import Window, chat_refused
from intake_store.web import ApiError
from vocabulary.conversation import ConversationId

from . import texts
from . import transcript as tr
from .delivery import queue_unsent
from .inputs import prepare
from .rasa_client import Reply
from .relay import Relay

log = logging.getLogger("hotline.gateway.telegram")
POLL_SECONDS = 25  # long-polling wait on Telegram's side
MAX_TEXT = 4096  # Telegram's limit for one message
WEBHOOK_PATH = "/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]
NON_TEXT = {
    "photo": "[图片]", "document": "[文件]", "voice": "[语音]", "audio": "[音频]", "video": "[视频]",
    "video_note": "[视频]", "sticker": "[表情]", "location": "[位置]", "contact": "[联系人名片]",
    "animation": "[动图]",
}


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Telegram takes at most 4096 characters a message; split at line breaks where possible."""
    parts = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.title, callback_data=str(i))]
                                 for i, b in enumerate(reply.buttons)])


def webhook_secret(server_secret: str) -> str:
    """Telegram sends it back in a header on every webhook call. Made from the
    server secret, not the bot token (a token seen anywhere must not also open
    the webhook), and the same in every app process that shares the secret."""
    return hmac.new(server_secret.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, store: tr.Store, relay: Relay, now: Callable[[], datetime], *, webhook_secret: str):
        self.bot, self.store, self.relay, self.now = bot, store, relay, now
        self.webhook_secret = webhook_secret
        self.flood: Window | None = None  # messages per chat
        self._poller: asyncio.Task | None = None

    # ------------------------------------------------------------ out

    async def deliver(self, conv_id: str, replies: list[Reply], *, answered: int | None = None,
                      meta: dict | None = None, key: str | None = None, session: Session | None = None) -> list[Message]:
        """Send each reply, then store it with Telegram's message id. What cannot be
        sent during a conversation goes to the outbox, which retries it."""
        db = self.store.within(session) if session is not None else self.store
        chat_id = int(ConversationId.parse(conv_id).sender)
        stored: list[Message] = []
        for i, reply in enumerate(replies):
            async with self.relay.in_order(conv_id):
                try:
                    sent = await self._send(chat_id, reply)
                except TelegramError:
                    if answered is None:
                        raise  # an outbox delivery: the outbox retries it
                    log.warning("telegram send failed for %s; queued in the outbox", conv_id, exc_info=True)
                    await self.store.run(queue_unsent, self.name, conv_id, [r.text for r in replies[i:]], answered, self.now())
                    return stored
                stored += await db.run(tr.record_outbound, conv_id, [reply], self.now(), meta=meta,
                                       external_ids=[f"message:{sent.message_id}"])
        if answered is not None:
            await db.run(tr.record_outbound, conv_id, [], self.now(), answered=answered)
        return stored

    async def _send(self, chat_id: int, reply: Reply):
        parts = split_text(reply.text or "请选择：")
        for part in parts[:-1]:
            await self.bot.send_message(chat_id, part)
        return await self.bot.send_message(chat_id, parts[-1], reply_markup=keyboard(reply))

    async def typing(self, conv_id: str, on: bool) -> None:
        if on:
            try:
                await self.bot.send_chat_action(int(ConversationId.parse(conv_id).sender), "typing")
            except TelegramError:
                pass  # only a courtesy

    # ------------------------------------------------------------ in

    async def accept(self, update: Update) -> None:
        """Store one update (once), then answer it in the background."""
        chat = update.effective_chat
        if chat is not None and chat.type != "private":
            await self._refuse_group(chat.id)
            return
        wait = self.flood.take(str(chat.id)) if self.flood and chat is not None else 0
        if wait:
            await self._tell(chat.id, chat_refused(wait))  # not kept: a flood must not fill the store
            return
        if update.callback_query is not None:
            taken = await self._on_button(update)
        elif update.message is not None:
            taken = await self._on_message(update)
        else:
            return
        if taken is not None:
            self.relay.spawn(self.relay.answer(taken))

    async def _refuse_group(self, chat_id: int) -> None:
        """A group shares one chat id: its members would share one conversation,
        its query codes and each other's personal data. Nothing is kept."""
        await self._tell(chat_id, texts.GROUP_REFUSED)

    async def _tell(self, chat_id: int, text: str) -> None:
        try:
            await self.bot.send_message(chat_id, text)
        except TelegramError:
            pass  # only a courtesy

    async def _on_message(self, update: Update) -> tr.Taken | None:
        m = update.message
        sender = str(m.chat_id)
        external_id = f"update:{update.update_id}"
        if m.text is not None:
            meta = {"telegram_message_id": m.message_id}
            command = m.text.split(maxsplit=1)[0].split("@")[0] if m.text.strip() else ""
            if command == "/start":
                meta["forward"] = "你好"  # Telegram's "start" button: greet the assistant
            return await self.relay.take("telegram", sender, m.text, external_id=external_id, meta=meta)
        # A photo or file is kept as a placeholder (with Telegram's file id);
        # only its caption, if any, goes to the assistant.
        kind = next((k for k in NON_TEXT if getattr(m, k, None)), "other")
        caption = m.caption or ""
        file = getattr(m, kind, None)
        file = file[-1] if isinstance(file, (list, tuple)) and file else file
        meta = {"kind": kind, "telegram_message_id": m.message_id, "file_id": getattr(file, "file_id", None),
                "forward": prepare(caption, self.relay.text_limit).forward}
        stored = await self.relay.take("telegram", sender, f"{NON_TEXT.get(kind, '[其他消息]')} {caption}".strip(),
                                       external_id=external_id, meta=meta)
        if stored is not None:
            await self.deliver(stored.message.conversation_id, [Reply(texts.NON_TEXT_HINT)], meta={"source": "gateway"})
        return stored if meta["forward"] else None

    async def _on_button(self, update: Update) -> tr.Taken | None:
        query = update.callback_query
        try:
            await self.bot.answer_callback_query(query.id)  # stops the spinner on the button
        except TelegramError:
            pass
        if query.message is None or not (query.data or "").isdigit():
            return None
        sender = str(query.message.chat.id)
        conv_id = str(ConversationId("telegram", sender))
        async with self.relay.in_order(conv_id):  # the message may be sent and not yet stored
            button = await self.store.run(tr.button_of, conv_id, int(query.data),
                                          external_id=f"message:{query.message.message_id}")
        if button is None:
            await self.deliver(conv_id, [Reply(texts.STALE_BUTTON)], meta={"source": "gateway"})
            return None
        return await self.relay.take("telegram", sender, button.title, external_id=f"update:{update.update_id}",
                                     meta={"forward": button.payload, "button_of": f"message:{query.message.message_id}"})

    # ------------------------------------------------------------ polling and webhook

    async def start(self, webhook_url: str | None) -> None:
        await self.bot.initialize()
        if webhook_url:
            await self.bot.set_webhook(f"{webhook_url.rstrip('/')}{WEBHOOK_PATH}", allowed_updates=ALLOWED_UPDATES,
                                       secret_token=self.webhook_secret)
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self.poll_forever())

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.bot.shutdown()

    async def poll_forever(self) -> None:
        offset = None
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES)
                for update in updates:
                    await self.accept(update)
                    offset = update.update_id + 1  # confirmed to Telegram only once the update is stored
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - Telegram or the store unreachable: try again, lose nothing
                failures += 1
                log.warning("telegram polling failed (%s: %s); retrying", type(e).__name__, e)
                await asyncio.sleep(min(30, 2 ** failures))


TELEGRAM = web.AppKey("telegram", TelegramChannel)
routes = ApiRoutes()  # served only when a webhook is set


@routes.endpoint("POST", WEBHOOK_PATH, "Telegram Bot API 推送更新（仅在设置了 webhook 时）")
async def webhook(request: web.Request) -> web.Response:
    channel = request.app.get(TELEGRAM)
    if channel is None:
        raise ApiError(404, "没有这个地址。", "http_404")
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), channel.webhook_secret.encode()):
        raise ApiError(403, "来源校验失败。", "bad_webhook_secret")
    try:
        update = Update.de_json(await request.json(), channel.bot)
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, "不是合法的 Telegram 更新。", "bad_update")
    await channel.accept(update)
    return web.json_response({"ok": True})
