"""The back office HTTP API as the actions use it (see docs/assistant-contract.md).

Base URL from HOTLINE_API_URL, service token from HOTLINE_SERVICE_TOKEN, both
read at call time so one action server can be pointed elsewhere by its env.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 15


class BackofficeUnavailable(Exception):
    """Not reachable, timed out, or answered 5xx: nothing was decided, try later."""


class BackofficeRefused(Exception):
    """A 4xx answer: the request itself was not accepted."""

    def __init__(self, status: int, body: Dict[str, Any]):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body

    @property
    def error(self) -> str:
        return str(self.body.get("error") or "请求没有被受理。")

    @property
    def code(self) -> str:
        return str(self.body.get("code") or "")


def _base_url() -> str:
    return os.environ.get("HOTLINE_API_URL", DEFAULT_URL).rstrip("/")


def _headers(with_token: bool, conversation: Optional[str] = None) -> Dict[str, str]:
    headers = {"Accept": "application/json"}
    if conversation:
        # Wrong query codes are limited per chat conversation, not per this server's address.
        headers["X-Hotline-Conversation"] = conversation
    token = os.environ.get("HOTLINE_SERVICE_TOKEN")
    if with_token and token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def _post(path: str, body: Dict[str, Any], with_token: bool = True,
                conversation: Optional[str] = None) -> Tuple[int, Dict[str, Any]]:
    url = _base_url() + path
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=body, headers=_headers(with_token, conversation)) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = {}
                status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
        logger.warning("back office unreachable at %s: %s", url, e)
        raise BackofficeUnavailable(str(e)) from e
    if status >= 500:
        logger.warning("back office answered %s for %s", status, path)
        raise BackofficeUnavailable(f"HTTP {status}")
    if not isinstance(data, dict):
        data = {}
    if status >= 400:
        raise BackofficeRefused(status, data)
    return status, data


async def create_ticket(payload: Dict[str, Any]) -> Dict[str, Any]:
    """POST /api/tickets; the same idempotency key returns the same ticket."""
    _, data = await _post("/api/tickets", payload)
    return data


async def ticket_status(number: str, query_code: str, conversation: Optional[str] = None) -> Dict[str, Any]:
    """POST /api/status, a citizen's own lookup, on behalf of their conversation."""
    _, data = await _post("/api/status", {"number": number, "query_code": query_code}, conversation=conversation)
    return data


async def followup(number: str, query_code: str, satisfaction: str, comment: Optional[str],
                   conversation: Optional[str] = None) -> Dict[str, Any]:
    body = {"query_code": query_code, "satisfaction": satisfaction, "comment": comment}
    _, data = await _post(f"/api/tickets/{quote(number, safe='')}/followup", body, conversation=conversation)
    return data


async def handoff(conversation_id: str, channel: str, sender_id: str, reason: str) -> Dict[str, Any]:
    body = {"channel": channel, "sender_id": sender_id, "reason": reason[:500]}
    _, data = await _post(f"/api/conversations/{quote(conversation_id, safe='')}/handoff", body)
    return data
