"""Headers that keep the app's pages from being framed or fed foreign code.

Every page (chat, console, portal, dashboard) loads its scripts and styles
from this app only and has no inline script or style attribute, so the
policy can be strict: no other origin, no framing (click-jacking a "确认提交"
or a 派单 button), no MIME sniffing.
"""
from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    if not response.prepared:  # a WebSocket has sent its headers already
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
    return response
