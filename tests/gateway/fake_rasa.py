"""A stand-in for Rasa's REST channel, for the gateway's unit-level tests only
(the end-to-end tests use the real Rasa server). It answers by a small script,
can be stopped and started again on the same port, and can be held to play a
slow assistant.
"""
from __future__ import annotations

import asyncio
import socket
from typing import Awaitable, Callable

from aiohttp import web

CONFIRM = [{"title": "确认提交", "payload": "/affirm"}, {"title": "修改", "payload": "/correct_field"}]


async def serve(app: web.Application, port: int) -> web.AppRunner:
    """A fake's app on 127.0.0.1:port; `await runner.cleanup()` stops it."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scripted(sender: str, text: str) -> list[dict]:
    if text in ("你好", "/greet"):
        return [{"recipient_id": sender, "text": "您好，这里是12345政务失信投诉热线。请说说您遇到的问题。"}]
    if "欠" in text:
        return [{"recipient_id": sender, "text": "请核对您的投诉内容：拖欠企业账款"},
                {"recipient_id": sender, "text": "没有问题请点“确认提交”。", "buttons": CONFIRM}]
    if text == "/affirm":
        return [{"recipient_id": sender, "text": "已受理。"}]
    return [{"recipient_id": sender, "text": f"收到：{text}"}]


class FakeRasa:
    def __init__(self, script: Callable[[str, str], list[dict]] = scripted):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.script = script
        self.received: list[dict] = []
        self.before_answer: Callable[[dict], Awaitable[None]] | None = None  # e.g. check the store, or hold
        self.gate = asyncio.Event()  # cleared: every answer waits (a slow assistant)
        self.gate.set()
        self._runner: web.AppRunner | None = None

    async def start(self) -> "FakeRasa":
        app = web.Application()
        app.router.add_get("/webhooks/rest/", self._health)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        self._runner = await serve(app, self.port)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.before_answer:
            await self.before_answer(body)
        await self.gate.wait()
        return web.json_response(self.script(body["sender"], body["message"]))

    def texts(self) -> list[str]:
        return [b["message"] for b in self.received]
