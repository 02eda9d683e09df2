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

from vocabulary import limits
from vocabulary.ticket import FiledTicket, FollowUp, FollowUpAnswer, Handoff, NewTicket, TicketStatus, Understanding

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 15
# The category is asked for while the citizen waits for the next question: a
# slow back office must not hold the conversation (the operator decides then).
UNDERSTAND_TIMEOUT_SECONDS = 5


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
                conversation: Optional[str] = None,
                timeout_seconds: float = TIMEOUT_SECONDS) -> Tuple[int, Dict[str, Any]]:
    url = _base_url() + path
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
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


async def create_ticket(payload: NewTicket) -> FiledTicket:
    """POST /api/tickets; the same idempotency key returns the same ticket."""
    _, data = await _post("/api/tickets", dict(payload))
    return FiledTicket(**data)


async def understand(text: str, respondent: Optional[str] = None, place: Optional[str] = None) -> Understanding:
    """POST /api/understand: the category (with confidence) of the complaint's
    whole text, from the same model the operators use."""
    body = {"text": text[:limits.TEXT], "respondent": respondent, "place": place}
    _, data = await _post("/api/understand", body, timeout_seconds=UNDERSTAND_TIMEOUT_SECONDS)
    return Understanding(**data)


async def ticket_status(number: str, query_code: str, conversation: Optional[str] = None) -> TicketStatus:
    """POST /api/status, a citizen's own lookup, on behalf of their conversation."""
    _, data = await _post("/api/status", {"number": number, "query_code": query_code}, conversation=conversation)
    return TicketStatus(**data)


async def followup(number: str, query_code: str, satisfaction: str, comment: Optional[str],
                   conversation: Optional[str] = None) -> FollowUpAnswer:
    """A 回访 rating; `satisfaction` is a code of vocabulary.codes.SATISFACTION."""
    body = FollowUp(query_code=query_code, satisfaction=satisfaction, comment=comment)
    _, data = await _post(f"/api/tickets/{quote(number, safe='')}/followup", dict(body), conversation=conversation)
    return FollowUpAnswer(**data)


async def handoff(conversation_id: str, channel: str, sender_id: str, reason: str) -> Dict[str, Any]:
    body = Handoff(channel=channel, sender_id=sender_id, reason=reason[:limits.HANDOFF_REASON])
    _, data = await _post(f"/api/conversations/{quote(conversation_id, safe='')}/handoff", dict(body))
    return data
