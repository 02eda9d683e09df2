"""The chat gateway: citizens on the web chat page and on Telegram reach the
Rasa assistant through here, and every message is kept in the transcript.

`setup(app)` is loaded by `hotline serve` from the `hotline.app` entry-point
group. The chat stack is imported inside it, so that the migration
environment can import `bot.gateway.models` without it.
"""
from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from .wiring import setup_gateway  # noqa: PLC0415

    setup_gateway(app)
