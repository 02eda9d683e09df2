"""A local Telegram Bot API server: what lies outside this machine, faked by
its real protocol. python-telegram-bot talks to it through `base_url`.

Methods: getMe, getUpdates (long polling with offsets), sendMessage,
sendChatAction, answerCallbackQuery, setWebhook, deleteWebhook. The test
plays the Telegram user: `user_says`, `user_presses`, `user_sends_photo`,
and reads what the bot sent with `bot_messages` / `wait_for_bot`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time

import aiohttp
from aiohttp import web
from fake_rasa import free_port

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "12345热线", "username": "hotline12345_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token"):
        self.token = token
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self.queue: list[dict] = []  # updates not yet confirmed by an offset
        self.sent: list[dict] = []  # every message the bot sent, in order
        self.answered_callbacks: list[str] = []
        self.calls: list[str] = []
        self.webhook: dict | None = None
        self.blocked: set[int] = set()  # users who blocked the bot
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False

    async def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        async with self._changed:
            self._closing = True  # ends a long poll still waiting
            self._changed.notify_all()
        if self._runner:
            await self._runner.cleanup()

    # ------------------------------------------------------------ the Bot API

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        self.calls.append(method)
        params = await self._params(request)
        if method == "sendMessage" and int(params["chat_id"]) in self.blocked:
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"}, status=403)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        out = {}
        for key, value in form.items():
            try:
                out[key] = json.loads(value)
            except (TypeError, ValueError):
                out[key] = value
        return out

    async def _getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _deleteWebhook(self, params: dict) -> bool:
        self.webhook = None
        return True

    async def _setWebhook(self, params: dict) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        wait = float(params.get("timeout") or 0)
        deadline = time.monotonic() + wait
        async with self._changed:
            while True:
                self.queue = [u for u in self.queue if u["update_id"] >= offset or u.get("_again")]
                ready = [u for u in self.queue if u["update_id"] >= offset or u.get("_again")]
                if ready or self._closing or time.monotonic() >= deadline:
                    for u in ready:
                        u.pop("_again", None)
                    return [dict(u) for u in ready]
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=deadline - time.monotonic())
                except asyncio.TimeoutError:
                    pass

    async def _sendMessage(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "张"}, "from": BOT_USER,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        return message

    async def _sendChatAction(self, params: dict) -> bool:
        return True

    async def _answerCallbackQuery(self, params: dict) -> bool:
        self.answered_callbacks.append(str(params["callback_query_id"]))
        return True

    # ------------------------------------------------------------ the user

    def _user(self, chat_id: int) -> dict:
        return {"id": chat_id, "is_bot": False, "first_name": "张", "language_code": "zh-hans"}

    async def _put(self, update: dict, twice: bool = False) -> dict:
        async with self._changed:
            self.queue.append(update)
            if twice:  # Telegram may deliver an update again (e.g. it missed the confirmation)
                self.queue.append({**update, "_again": True})
            self._changed.notify_all()
        return update

    def _message(self, chat_id: int, chat_type: str = "private", **content) -> dict:
        chat = {"id": chat_id, "type": chat_type, **({"first_name": "张"} if chat_type == "private" else {"title": "业主群"})}
        return {"update_id": next(self._update_ids), "message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": chat, "from": self._user(abs(chat_id)), **content}}

    async def user_says(self, chat_id: int, text: str, twice: bool = False, chat_type: str = "private") -> dict:
        return await self._put(self._message(chat_id, chat_type, text=text), twice)

    async def user_sends_photo(self, chat_id: int, caption: str | None = None) -> dict:
        photo = [{"file_id": "photo-small", "file_unique_id": "u1", "width": 90, "height": 90},
                 {"file_id": "photo-large", "file_unique_id": "u2", "width": 900, "height": 900}]
        return await self._put(self._message(chat_id, photo=photo, **({"caption": caption} if caption else {})))

    async def user_presses(self, chat_id: int, bot_message: dict, title: str, twice: bool = False) -> dict:
        rows = bot_message["reply_markup"]["inline_keyboard"]
        button = next(b for row in rows for b in row if b["text"] == title)
        update = {"update_id": next(self._update_ids), "callback_query": {
            "id": f"cb{next(self._message_ids)}", "from": self._user(chat_id), "chat_instance": "ci",
            "message": bot_message, "data": button["callback_data"]}}
        return await self._put(update, twice)

    def bot_messages(self, chat_id: int) -> list[dict]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    async def wait_for_bot(self, chat_id: int, count: int) -> list[dict]:
        """Wait until the bot has sent `count` messages to the chat in all."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.bot_messages(chat_id)) >= count)
        return self.bot_messages(chat_id)

    async def post_to_webhook(self, update: dict, secret: str | None = None) -> int:
        """Telegram calling the bot's webhook."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret if secret is not None else self.webhook["secret_token"]}
        async with aiohttp.ClientSession() as session:
            async with session.post(self.webhook["url"], json=update, headers=headers) as resp:
                return resp.status
