"""The transcript for the people who review it.

Operators (the hotline itself) read it as typed; supervisors read it with
phone and ID numbers masked. Linked tickets are listed with it.
"""
from __future__ import annotations

from aiohttp import web

from intake_store.models import Conversation
from intake_store.openapi import ApiRoutes
from intake_store.web import BACKOFFICE, ApiError, in_session, json_ok, require

from . import transcript as tr
from intake_store.privacy import mask_personal

routes = ApiRoutes()
FULL_VIEW_ROLES = ("operator", "service")


@routes.endpoint("GET", "/api/conversations/{conversation_id}", "对话记录及其产生的工单（督办角色看到的电话、身份证号已隐去）",
                 roles=("operator", "service", "supervisor"))
async def conversation(request: web.Request) -> web.Response:
    viewer = require(request, "operator", "supervisor", "service")
    conv_id = request.match_info["conversation_id"][:200]
    masked = viewer.role not in FULL_VIEW_ROLES
    show = mask_personal if masked else (lambda text: text)

    def work(s):
        conv = s.get(Conversation, conv_id)
        if conv is None:
            raise ApiError(404, "没有找到这段对话。", "not_found")
        bo = request.app[BACKOFFICE]
        return {
            "id": conv.id,
            "channel": conv.channel,
            "started_at": conv.started_at.isoformat(),
            "last_message_at": conv.last_message_at.isoformat(),
            "needs_operator": conv.needs_operator,
            "handoff_reason": conv.handoff_reason,
            "masked": masked,
            "tickets": [{"number": t.number, "state": t.state, "category": t.category_code,
                         "category_name": bo.catalog.categories[t.category_code].name}
                        for t in tr.tickets_of(s, conv.id)],
            "messages": [{
                "id": m.id, "direction": m.direction, "at": m.at.isoformat(), "text": show(m.text),
                "buttons": [b["title"] for b in (m.meta or {}).get("buttons") or []],
                "source": (m.meta or {}).get("source", "assistant" if m.direction == "out" else "citizen"),
            } for m in tr.history(s, conv.id, limit=5000)],
        }

    return json_ok(await in_session(request, work, write=False))
