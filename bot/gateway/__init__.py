"""The chat gateway: citizens on the web chat page, in a WeChat official
account and on Telegram reach the Rasa assistant through here, and every
message is kept in the transcript (the back office's conversation tables).

`setup(app)` is loaded by `hotline serve` from the `hotline.app` entry-point group.
"""
from __future__ import annotations

from .wiring import setup_gateway as setup

__all__ = ["setup"]
