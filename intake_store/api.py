"""The back office REST API. Each handler: who may call, parse, one unit of work, answer.

Every route is declared with `endpoint(...)`, which also describes it in the
app's endpoint registry; the OpenAPI document served at /api/openapi.json is
built from that registry, so the document cannot drift from the routes.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Callable

from aiohttp import web
from pydantic import BaseModel

from vocabulary import limits

from . import responses as R
from . import schemas as S
from . import texts
from .lifecycle import RULES, STATE_NAMES
from .openapi import ENDPOINTS, ApiRoutes, build_openapi
from .throttle import THROTTLES, address_of, lookup_refused
from .tickets import commands, listing
from .tickets.backoffice import Backoffice
from .tickets.citizen import citizen_status, citizen_ticket
from .tickets.history import events_of, life_and_clocks
from .tickets.lookup import NotFound, visible_ticket
from .tickets.numbering import query_code
from .tickets.views import summary_view, ticket_view
from .understanding import understand
from .web import BACKOFFICE, VIEWER, ApiError, in_session, json_ok, read_json, require
from .workcalendar import format_due

routes = ApiRoutes()
endpoint = routes.endpoint


def bo_of(request: web.Request) -> Backoffice:
    return request.app[BACKOFFICE]


def answer(model: BaseModel, status: int = 200) -> web.Response:
    """A response model as JSON; fields left out for this viewer stay out rather than turning into null."""
    return json_ok(model.model_dump(mode="json", exclude_unset=True), status=status)


# ---------------------------------------------------------------- public

@endpoint("GET", "/api/health", "服务是否在线", response=R.Health)
async def health(request: web.Request) -> web.Response:
    return answer(R.Health(ok=True))


@endpoint("GET", "/api/categories", "投诉类别目录", response=R.CategoryList)
async def categories(request: web.Request) -> web.Response:
    cat = bo_of(request).catalog
    return answer(R.CategoryList([
        R.CategoryOut(code=c.code, name=c.name, lead=c.lead, co=list(c.co)) for c in cat.categories.values()
    ]))


@endpoint("GET", "/api/departments", "部门目录（市、区县、街道）", response=R.DepartmentList)
async def departments(request: web.Request) -> web.Response:
    cat = bo_of(request).catalog
    return answer(R.DepartmentList([
        R.DepartmentOut(code=d.code, name=d.name, short=d.short, level=d.level, parent=d.parent, supervisor=d.supervisor)
        for d in cat.departments.values()
    ]))


CHAT_CALLER = "X-Hotline-Conversation"  # the assistant looks up for this chat conversation


async def citizen_lookup(request: web.Request, number: str, work: Callable, *, write: bool = True):
    """Run `work` (which checks the query code) unless this ticket or caller has
    guessed wrong too often; a wrong code counts against both (see throttle)."""
    viewer = request.get(VIEWER)
    chat = request.headers.get(CHAT_CALLER, "")[:limits.SHORT]
    caller = f"chat:{chat}" if chat and viewer is not None and viewer.role == "service" else f"address:{address_of(request)}"
    ticket_key = "".join(ch for ch in number if ch.isdigit())[:40]
    throttles = request.app[THROTTLES]
    wait = throttles.lookup_wait(ticket_key, caller)
    if wait:
        raise ApiError(429, lookup_refused(wait), "too_many_lookups")
    try:
        return await in_session(request, work, write=write)
    except NotFound:
        throttles.lookup_failed(ticket_key, caller)
        raise


@endpoint("POST", "/api/status", "群众凭工单号和查询码查询进度（查询码错误次数过多时暂停，429）", body=S.StatusIn,
          response=R.CitizenStatus)
async def status(request: web.Request) -> web.Response:
    data = await read_json(request, S.StatusIn)
    bo = bo_of(request)

    def work(s):
        ticket = citizen_ticket(bo, s, data.number, data.query_code)
        return R.CitizenStatus.model_validate(citizen_status(bo, s, ticket))

    return answer(await citizen_lookup(request, data.number, work, write=False))


# ---------------------------------------------------------------- intake (Rasa actions)

@endpoint("POST", "/api/tickets", "受理一件投诉（同一 idempotency_key 重复提交返回同一工单）",
          roles=("service", "operator"), body=S.TicketIn, response=R.TicketCreated, success=(201, 200))
async def create_ticket(request: web.Request) -> web.Response:
    viewer = require(request, "service", "operator")
    data = await read_json(request, S.TicketIn)
    bo = bo_of(request)

    def work(s):
        ticket, replayed = commands.create_ticket(bo, s, data, viewer)
        events = events_of(s, ticket)
        life, clocks = life_and_clocks(bo, events)
        lead = life.lead or events[0].payload["suggested_lead"]
        reply = clocks.get("reply")
        return R.TicketCreated(
            number=ticket.number,
            query_code=query_code(bo.secret, ticket.query_nonce),
            state=life.state,
            state_name=life.state_name,
            category=ticket.category_code,
            category_name=bo.catalog.categories[ticket.category_code].name,
            # Before dispatch: the route suggested at submission (stored on the submit event).
            lead=lead,
            lead_name=bo.catalog.name_of(lead),
            co=list(life.co),
            co_names=[bo.catalog.name_of(c) for c in life.co],
            reply_due=reply.due_at.isoformat() if reply else None,
            reply_due_text=format_due(reply.due_at) if reply else None,
            replayed=replayed,
        )

    created = await in_session(request, work)
    return answer(created, status=200 if created.replayed else 201)


# The category model is CPU work that holds the GIL: one thread of its own does
# it as fast as several would, and leaves the shared thread pool to the store
# (with many complaints at once, the chat's messages waited behind the model and
# the citizens' "saved" notices came late).
UNDERSTANDING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="understand")


@endpoint("POST", "/api/understand", "投诉的类别（含置信度）、被投诉单位和建议派单：助手与话务员共用同一模型",
          roles=("service", "operator"), body=S.UnderstandIn, response=R.Understood)
async def understand_complaint(request: web.Request) -> web.Response:
    require(request, "service", "operator")
    data = await read_json(request, S.UnderstandIn)
    catalog = bo_of(request).catalog
    result = await asyncio.get_running_loop().run_in_executor(
        UNDERSTANDING, partial(understand, data.text, data.respondent, data.place, catalog=catalog))
    return answer(R.Understood(**result.as_dict()))


@endpoint("POST", "/api/tickets/{number}/followup", "回访：群众评价答复（凭查询码）", roles=("service", "operator"), body=S.FollowUpIn,
          response=R.FollowUpDone)
async def followup(request: web.Request) -> web.Response:
    viewer = require(request, "service", "operator")
    data = await read_json(request, S.FollowUpIn)
    bo = bo_of(request)
    number = request.match_info["number"]

    def work(s):
        ticket = citizen_ticket(bo, s, number, data.query_code)
        if ticket.state != "replied":
            raise ApiError(409, texts.NO_FOLLOWUP_OPEN, "no_followup_open")
        ticket, life = commands.act(bo, s, ticket.number, "follow_up", viewer, reason=data.comment,
                             payload={"satisfaction": data.satisfaction})
        return R.FollowUpDone(state=life.state, state_name=life.state_name, message=texts.FOLLOWUP_DONE[life.state])

    return answer(await citizen_lookup(request, number, work))


@endpoint("POST", "/api/conversations/{conversation_id}/handoff", "转人工：把会话放入话务员队列",
          roles=("service", "operator"), body=S.HandoffIn, response=R.HandoffQueued, success=(202,))
async def handoff(request: web.Request) -> web.Response:
    require(request, "service", "operator")
    data = await read_json(request, S.HandoffIn)
    bo = bo_of(request)
    conv_id = request.match_info["conversation_id"][:limits.SHORT]

    def work(s):
        commands.handoff(s, conv_id, data.channel, data.sender_id, data.reason, bo.now())
        return R.HandoffQueued(queued=True)

    return answer(await in_session(request, work), status=202)


# ---------------------------------------------------------------- reading tickets

def _bool_param(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(400, texts.not_true_or_false(name), "bad_query")


def _int_param(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ApiError(400, texts.not_an_integer(name), "bad_query")
    if not lo <= n <= hi:
        raise ApiError(400, texts.out_of_range(name, lo, hi), "bad_query")
    return n


def listing_filters(q, catalog) -> listing.Filters:
    """The ticket listing's query parameters (also the ticket export's)."""
    state = q.get("state") or None
    if state and state not in STATE_NAMES:
        raise ApiError(400, texts.unknown_state(state), "bad_query")
    category = q.get("category") or None
    if category and category not in catalog.categories:
        raise ApiError(400, texts.unknown_category(category), "bad_query")
    return listing.Filters(
        states=(state,) if state else None,
        department=q.get("department") or None,
        category=category,
        overdue=_bool_param(q.get("overdue"), "overdue"),
        limit=_int_param(q.get("limit"), "limit", 50, 1, 200),
        offset=_int_param(q.get("offset"), "offset", 0, 0, 10**9),
    )


@endpoint("GET", "/api/tickets", "工单列表（部门只看到派给本单位的工单）",
          roles=("operator", "supervisor", "department"),
          query=(("state", "状态代码"), ("department", "单位代码"), ("category", "类别代码"),
                 ("overdue", "true/false"), ("limit", "1-200"), ("offset", "从第几条开始")),
          response=R.TicketList)
async def list_tickets(request: web.Request) -> web.Response:
    viewer = require(request, "operator", "supervisor", "department")
    bo = bo_of(request)
    filters = listing_filters(request.query, bo.catalog)

    def work(s):
        total, rows = listing.list_tickets(bo, s, filters, viewer)
        return R.TicketList.model_validate({"total": total, "items": [summary_view(bo, t) for t in rows]})

    return answer(await in_session(request, work, write=False))


@endpoint("GET", "/api/tickets/{number}", "一张工单的详情、时限和派单", roles=("operator", "supervisor", "department", "service"),
          response=R.TicketOut)
async def get_ticket(request: web.Request) -> web.Response:
    viewer = require(request, "operator", "supervisor", "department", "service")
    bo = bo_of(request)
    number = request.match_info["number"]

    def work(s):
        return R.TicketOut.model_validate(ticket_view(bo, s, visible_ticket(s, number, viewer), viewer))

    return answer(await in_session(request, work, write=False))


@endpoint("GET", "/api/tickets/{number}/events", "一张工单的全部事件（只增不改）", roles=("operator", "supervisor", "department"),
          response=R.TicketEvents)
async def ticket_events(request: web.Request) -> web.Response:
    viewer = require(request, "operator", "supervisor", "department")
    bo = bo_of(request)
    number = request.match_info["number"]

    def work(s):
        view = ticket_view(bo, s, visible_ticket(s, number, viewer), viewer, with_events=True)
        return R.TicketEvents.model_validate({"number": view["number"], "events": view["events"]})  # masked for the viewer like the ticket

    return answer(await in_session(request, work, write=False))


# ---------------------------------------------------------------- actions on a ticket

@dataclass(frozen=True)
class Action:
    path: str  # URL segment
    action: str  # lifecycle action
    summary: str
    body: type[BaseModel]
    to_payload: Callable[[BaseModel], dict]


def _confirmed(d: BaseModel) -> dict:
    """The accused body, when the person acting confirms it (see integrity.rules.confirmed_respondent)."""
    return {"respondent_code": d.respondent_code} if d.respondent_code else {}


ACTIONS = [
    Action("accept", "accept", "签收", S.OptionalReasonIn, lambda d: {}),
    Action("return", "return", "退单（签收前，须说明理由）", S.ReasonIn, lambda d: {}),
    Action("verify", "verify", "核查结果（属实/部分属实/不属实）", S.VerifyIn, lambda d: {"result": d.result, "findings": d.findings, **_confirmed(d)}),
    Action("reply", "reply", "答复群众", S.ReplyIn, lambda d: {"text": d.text}),
    Action("extension", "extension_request", "申请延期（理由和新期限）", S.ExtensionIn, lambda d: {"new_due": d.new_due}),
    Action("pause", "pause", "等待群众补充材料（暂停计时）", S.ReasonIn, lambda d: {}),
    Action("resume", "resume", "材料已补充（恢复计时）", S.OptionalReasonIn, lambda d: {}),
    Action("dispatch", "dispatch", "派单（默认按建议路由）", S.DispatchIn, lambda d: {"lead": d.lead, "co": d.co, **_confirmed(d)}),
    Action("reroute", "reroute", "改派", S.RerouteIn, lambda d: {"lead": d.lead, "co": d.co, **_confirmed(d)}),
    Action("extension/approve", "extension_approve", "批准延期", S.OptionalReasonIn, lambda d: {}),
    Action("extension/refuse", "extension_refuse", "不批准延期（须说明理由）", S.ReasonIn, lambda d: {}),
    Action("reject", "reject", "不予受理（须说明理由）", S.ReasonIn, lambda d: {}),
    Action("merge", "merge", "合并到另一张工单", S.MergeIn, lambda d: {"into": d.into}),
    Action("close", "close", "办结", S.OptionalReasonIn, lambda d: {}),
    Action("reopen", "reopen", "重办（须说明理由）", S.ReasonIn, lambda d: {}),
]


def _action_handler(spec: Action):
    async def handler(request: web.Request) -> web.Response:
        viewer = require(request, *RULES[spec.action][0])
        bo = bo_of(request)
        number = request.match_info["number"]
        if viewer.role == "department":
            # Refuse a department the ticket is not routed to before reading anything it sent.
            await in_session(request, lambda s: visible_ticket(s, number, viewer), write=False)
        data = await read_json(request, spec.body)

        def work(s):
            ticket, _ = commands.act(bo, s, number, spec.action, viewer,
                              reason=getattr(data, "reason", None), payload=spec.to_payload(data))
            return R.TicketOut.model_validate(ticket_view(bo, s, ticket, viewer))

        return answer(await in_session(request, work))

    return handler


for _spec in ACTIONS:
    endpoint("POST", f"/api/tickets/{{number}}/{_spec.path}", _spec.summary,
             roles=tuple(sorted(RULES[_spec.action][0] - {"system"})), body=_spec.body,
             response=R.TicketOut)(_action_handler(_spec))


@endpoint("POST", "/api/tickets/{number}/amend", "修改类别、被投诉单位、地点、紧急程度", roles=("operator",), body=S.AmendIn,
          response=R.TicketOut)
async def amend(request: web.Request) -> web.Response:
    viewer = require(request, "operator")
    data = await read_json(request, S.AmendIn)
    bo = bo_of(request)
    number = request.match_info["number"]
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    if not changes:
        raise ApiError(422, texts.NOTHING_TO_CHANGE, "nothing_to_change")

    def work(s):
        ticket, _ = commands.amend(bo, s, number, viewer, changes, data.reason)
        return R.TicketOut.model_validate(ticket_view(bo, s, ticket, viewer))

    return answer(await in_session(request, work))


@endpoint("GET", "/api/openapi.json", "本 API 的 OpenAPI 文档")
async def openapi(request: web.Request) -> web.Response:
    return json_ok(build_openapi(request.app[ENDPOINTS]))
