"""Limits on guessing and flooding, and who the caller is.

A ticket number is sequential and a query code has 8 digits: with no limit,
`POST /api/status` and the chat lookup can be walked until a code fits, and a
hit shows the department's reply and lets the caller rate and close the
ticket. So wrong codes are counted per ticket and per caller (an address, or
the chat conversation the assistant asks for), and past the limit the lookup
is refused with 429 before the code is checked, so a guess then tells nothing.
Chat messages are counted per visitor.

The counters are kept in each app process (a sliding window per key), so with
N processes behind a balancer a caller gets at most N times the limit; the
limits are set far below what guessing an 8-digit code needs.

The caller's address: the connection's peer, unless that peer is one of the
configured proxies (TRUSTED_PROXIES), whose X-Forwarded-For is then read from
the right, skipping the trusted proxies; a client cannot choose its address by
sending the header itself.
"""
from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Iterable

from aiohttp import web

MAX_KEYS = 100_000  # memory bound: the oldest keys are forgotten first


@dataclass
class Window:
    """At most `limit` hits per key within `seconds` (sliding)."""

    limit: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    _hits: OrderedDict = field(default_factory=OrderedDict)

    def _recent(self, key: str) -> deque:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        cutoff = self.clock() - self.seconds
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def wait_seconds(self, key: str) -> float:
        """0 when the key may go on, else how long until it may."""
        hits = self._recent(key)
        if len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.seconds - self.clock())

    def hit(self, key: str) -> None:
        hits = self._recent(key)
        hits.append(self.clock())
        self._hits[key] = hits
        self._hits.move_to_end(key)
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)

    def take(self, key: str) -> float:
        """Count a hit unless the key is over its limit; the wait, 0 when taken."""
        wait = self.wait_seconds(key)
        if not wait:
            self.hit(key)
        return wait


def minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


# ---------------------------------------------------------------- who is calling

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(values: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values if v and v.strip()]


def _trusted(address: str, trusted: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The address to count a caller by (see the module's note)."""
    peer = peer or ""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: count by the proxy rather than by a made-up name
    return peer


# ---------------------------------------------------------------- messages

def lookup_refused(wait: float) -> str:
    return (f"查询失败次数过多，为保护工单信息，暂停查询。请 {minutes(wait)} 分钟后再试；"
            "如忘记查询码，请拨打12345热线核实身份后查询。")


def chat_refused(wait: float) -> str:
    return f"您发送消息太快了，请稍等 {minutes(wait)} 分钟再发。已发送的消息都已保存。"


# ---------------------------------------------------------------- the app's limits

@dataclass
class Throttles:
    lookups_per_ticket: Window  # wrong query codes for one ticket
    lookups_per_caller: Window  # wrong query codes from one address or chat conversation
    chat_per_visitor: Window  # chat messages from one visitor
    trusted: list[Network]

    @classmethod
    def from_settings(cls, settings) -> "Throttles":
        window = settings.status_window_minutes * 60.0
        return cls(Window(settings.status_max_failures_per_ticket, window),
                   Window(settings.status_max_failures_per_caller, window),
                   Window(settings.chat_max_messages_per_minute, 60.0),
                   networks(settings.trusted_proxies.split(",")))

    def lookup_wait(self, ticket_key: str, caller: str) -> float:
        return max(self.lookups_per_ticket.wait_seconds(ticket_key), self.lookups_per_caller.wait_seconds(caller))

    def lookup_failed(self, ticket_key: str, caller: str) -> None:
        self.lookups_per_ticket.hit(ticket_key)
        self.lookups_per_caller.hit(caller)


THROTTLES = web.AppKey("throttles", Throttles)


def address_of(request: web.Request) -> str:
    return client_address(request.remote, request.headers.get("X-Forwarded-For"), request.app[THROTTLES].trusted)
