"""The Rasa server's REST channel, and whether the assistant can answer now.

One shared aiohttp session. A turn is `POST /webhooks/rest/webhook`; Rasa
answers with the bot's messages (text, buttons). Anything but a 200 with a
list, a refused connection, or no answer in time is `AssistantDown`: the
caller keeps the message and forwards it again later.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp


class AssistantDown(Exception):
    """Rasa (or its action server) did not answer this turn."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot message as the channels show it."""

    text: str
    buttons: tuple[Button, ...] = ()
    image: str | None = None

    def meta(self) -> dict:
        meta: dict = {}
        if self.buttons:
            meta["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            meta["image"] = self.image
        return meta


def parse_replies(data: object) -> list[Reply]:
    """Rasa's REST answer → replies; anything that is not a list is a failure."""
    if not isinstance(data, list):
        raise AssistantDown(f"unexpected answer from Rasa: {type(data).__name__}")
    replies = []
    for item in data:
        if not isinstance(item, dict):
            continue
        buttons = tuple(
            Button(str(b.get("title") or b.get("payload") or ""), str(b.get("payload") or b.get("title") or ""))
            for b in item.get("buttons") or [] if isinstance(b, dict)
        )
        text = item.get("text")
        image = item.get("image")
        if text is None and not buttons and not image:
            continue  # custom payloads the channels cannot show
        replies.append(Reply(str(text or ""), buttons, str(image) if image else None))
    return replies


@dataclass
class AssistantClient:
    rasa_url: str
    actions_url: str | None
    give_up_seconds: float
    session: aiohttp.ClientSession | None = None
    # The action server's health is checked at most once a second, not per turn.
    _actions_ok_at: float = field(default=float("-inf"))

    async def start(self) -> None:
        # No overall pool limit: every conversation may wait on Rasa at once.
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def close(self) -> None:
        if self.session:
            await self.session.close()

    async def turn(self, sender: str, text: str, channel: str, metadata: dict) -> list[Reply]:
        """One citizen message in, the bot's messages out."""
        await self._require_actions()
        body = {"sender": sender, "message": text, "input_channel": channel, "metadata": metadata}
        try:
            async with self.session.post(
                f"{self.rasa_url.rstrip('/')}/webhooks/rest/webhook", json=body,
                timeout=aiohttp.ClientTimeout(total=self.give_up_seconds),
            ) as resp:
                if resp.status != 200:
                    raise AssistantDown(f"Rasa answered HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
            raise AssistantDown(f"{type(e).__name__}: {e}") from e
        replies = parse_replies(data)
        if not replies:
            # Rasa says nothing when an action failed under it; if the action server
            # died meanwhile, the message is sent again once it is back.
            await self._require_actions(fresh=True)
        return replies

    async def available(self) -> bool:
        """Rasa and the action server both answer their health checks."""
        try:
            await self._get(f"{self.rasa_url.rstrip('/')}/webhooks/rest/")
            await self._require_actions(fresh=True)
        except AssistantDown:
            return False
        return True

    async def _require_actions(self, fresh: bool = False) -> None:
        if not self.actions_url:
            return
        if not fresh and time.monotonic() - self._actions_ok_at < 1.0:
            return
        await self._get(f"{self.actions_url.rstrip('/')}/health")
        self._actions_ok_at = time.monotonic()

    async def _get(self, url: str) -> None:
        try:
            async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as resp:
                if resp.status != 200:
                    raise AssistantDown(f"{url} answered HTTP {resp.status}")
                await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise AssistantDown(f"{url}: {type(e).__name__}: {e}") from e
