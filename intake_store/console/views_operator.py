"""The operator console: the queue, a ticket beside its transcript, decisions,
and conversations the assistant handed over."""
from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from vocabulary import limits
from vocabulary.codes import CHAT_CHANNELS
from vocabulary.conversation import ConversationId

from ..lifecycle import ACTION_NAMES, TransitionError
from ..models import Conversation, Notification, Ticket
from ..outbox import notify
from ..privacy_views import messages_for, text_for
from ..routing import route
from ..schemas import AmendIn, TicketIn
from ..tickets import commands
from ..tickets.backoffice import Backoffice
from ..tickets.history import events_of, life_and_clocks
from ..tickets.lookup import get_ticket, visible_ticket
from ..tickets.viewer import Viewer
from ..tickets.views import summary_view, ticket_view
from ..web import in_session
from ..workcalendar import format_due
from . import queries as Q
from .accounts import CONSOLE_ROLES
from .pages import PageError, bo_of, form_errors, form_of, new_nonce, redirect, render, signed_in
from .review import FIELD_LABELS, allowed_actions, describe_event, link_sources
from .ticket_forms import FORM_ACTIONS, act_from_form, actions_for, posted_values, require_action

routes = web.RouteTableDef()


def departments_by_level(bo: Backoffice) -> list[tuple[str, list]]:
    levels = ("市", "区县", "街道")
    return [(lvl, [d for d in bo.catalog.departments.values() if d.level == lvl]) for lvl in levels]


def _page(query, name: str = "page") -> int:
    try:
        return max(1, min(int(query.get(name, "1")), 10**6))
    except ValueError:
        return 1


# ---------------------------------------------------------------- queue

@routes.get("/console")
async def console_root(request: web.Request) -> web.Response:
    signed_in(request, *CONSOLE_ROLES)
    return redirect("/console/")


@routes.get("/console/")
async def queue(request: web.Request) -> web.Response:
    me = signed_in(request, *CONSOLE_ROLES)
    bo, q = bo_of(request), request.query
    # Unknown filter values are ignored rather than refused: a stale bookmark still opens.
    f = Q.QueueFilters(
        tab=q.get("tab") if q.get("tab") in Q.QUEUE_TABS else "new",
        category=q.get("category") if q.get("category") in bo.catalog.categories else None,
        department=q.get("department") if q.get("department") in bo.catalog.departments else None,
        urgent=q.get("urgent") == "1",
        overdue=q.get("overdue") == "1",
        q=(q.get("q") or "").strip()[:100] or None,
        page=_page(q),
    )

    def work(s: Session) -> dict:
        total, rows = Q.operator_queue(bo, s, f, me.viewer)
        return {
            "total": total,
            "rows": [_queue_row(bo, t, me.viewer.role) for t in rows],
            "counts": Q.queue_counts(bo, s, me.viewer),
            "handovers": Q.handed_over(s),
        }

    data = await in_session(request, work, write=False)
    return render(request, "console/queue.html", {
        **data, "f": f, "tabs": Q.QUEUE_TABS, "page_size": Q.PAGE_SIZE,
        "categories": bo.catalog.categories.values(), "departments": departments_by_level(bo),
    })


def _queue_row(bo: Backoffice, t: Ticket, role: str) -> dict:
    row = summary_view(bo, t)
    row["excerpt"] = text_for(role, t.description[:80]) + ("…" if len(t.description) > 80 else "")
    row["due_text"] = format_due(t.next_due_at) if t.next_due_at else ""
    row["due_label"] = bo.catalog.clocks[t.next_due_clock].label if t.next_due_clock in bo.catalog.clocks else ""
    row["created"] = t.created_at
    return row


# ---------------------------------------------------------------- a ticket

def ticket_context(bo: Backoffice, s: Session, number: str, viewer: Viewer) -> dict:
    ticket = visible_ticket(s, number, viewer)
    view = ticket_view(bo, s, ticket, viewer, with_events=True)
    life, _ = life_and_clocks(bo, events_of(s, ticket))
    messages = Q.transcript(s, ticket.conversation_id)
    links = link_sources(ticket.field_sources, Q.as_transcript(messages))
    messages = messages_for(viewer.role, messages)
    suggested = route(ticket.category_code, ticket.respondent, ticket.place, bo.catalog, ticket.description)
    allowed = allowed_actions(life, viewer)
    submitted = view["events"][0]["payload"] if view["events"] else {}
    return {
        "t": view,
        "fields": _fields(bo, view, ticket, links),
        "messages": messages,
        "linked_messages": {m for m in links.values() if m},
        "suggested": suggested,
        "first_category": bo.catalog.categories[submitted["category"]].name
        if submitted.get("category") in bo.catalog.categories else None,
        "allowed": allowed,
        "history": [(e, describe_event(bo.catalog, e)) for e in view["events"]],
        "candidates": Q.duplicate_candidates(s, ticket) if "merge" in allowed else [],
        "notices": list(s.execute(
            select(Notification).where(Notification.ticket_id == ticket.id, Notification.recipient_kind == "citizen")
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(20)
        ).scalars().all()),
    }


def _fields(bo: Backoffice, view: dict, ticket: Ticket, links: dict) -> list[dict]:
    person = view.get("complainant") or {}
    values = {
        **{k: view.get(k) for k in FIELD_LABELS},
        "category": view["category_name"],
        "amount_yuan": view["amount_yuan"],
        "contact_name": person.get("name"),
        "contact_phone": person.get("phone"),
    }
    out = []
    for name, label in FIELD_LABELS.items():
        value = values.get(name)
        if isinstance(value, bool):
            value = "是" if value else "否"
        source = (ticket.field_sources or {}).get(name) or {}
        out.append({"name": name, "label": label, "value": value, "message": links.get(name),
                    "source_text": source.get("text") if isinstance(source, dict) else None})
    return out


async def _ticket_page(request: web.Request, *, errors: list[str] | None = None, form: str = "",
                       posted: dict | None = None, status: int = 200) -> web.Response:
    me = signed_in(request, *CONSOLE_ROLES)
    bo, number = bo_of(request), request.match_info["number"]
    ctx = await in_session(request, lambda s: ticket_context(bo, s, number, me.viewer), write=False)
    done = request.query.get("done", "")
    return render(request, "console/ticket.html", {
        **ctx, "errors": errors or [], "error_form": form, "posted": posted or {},
        "error_action": FORM_ACTIONS.get(form, form), "done": done if done in ACTION_NAMES else "",
        "categories": bo.catalog.categories.values(), "departments": departments_by_level(bo),
    }, status=status)


@routes.get("/console/tickets/{number}")
async def ticket_page(request: web.Request) -> web.Response:
    return await _ticket_page(request)


def _action_handler(spec):
    async def handler(request: web.Request) -> web.Response:
        me = signed_in(request, *CONSOLE_ROLES)
        errors = await act_from_form(request, spec, me.viewer)
        if errors:
            return await _ticket_page(request, errors=errors, form=spec.path,
                                      posted=posted_values(await form_of(request)), status=422)
        return redirect(f"/console/tickets/{request.match_info['number']}?done={spec.action}")

    return handler


CONSOLE_ACTIONS = {spec.path: spec for role in ("operator", "supervisor") for spec in actions_for(role)}
for _spec in CONSOLE_ACTIONS.values():
    routes.post(f"/console/tickets/{{number}}/{_spec.path}")(_action_handler(_spec))


@routes.post("/console/tickets/{number}/amend")
async def amend(request: web.Request) -> web.Response:
    """修改类别、被投诉单位、发生地、紧急程度: only what differs is recorded."""
    me = signed_in(request, *CONSOLE_ROLES)
    require_action("amend", me.viewer)
    bo, number = bo_of(request), request.match_info["number"]
    form = await form_of(request)

    def work(s: Session):
        ticket = get_ticket(s, number)
        current = {"category": ticket.category_code, "respondent": ticket.respondent, "place": ticket.place,
                   "urgent": ticket.urgent, "urgency_reason": ticket.urgency_reason}
        wanted = {k: (str(form.get(k) or "").strip() or None) for k in ("category", "respondent", "place", "urgency_reason")}
        wanted["urgent"] = form.get("urgent") == "1"
        changes = {k: v for k, v in wanted.items() if v != current[k] and not (k == "category" and v is None)}
        if not changes:
            return ["没有要修改的内容。"]
        data = AmendIn.model_validate({**changes, "reason": str(form.get("reason") or "").strip() or None})
        commands.amend(bo, s, number, me.viewer, data.model_dump(exclude_unset=True, exclude={"reason"}), data.reason)
        return None

    try:
        errors = await in_session(request, work)
    except (ValidationError, TransitionError) as e:
        errors = form_errors(request, e)
    if errors:
        return await _ticket_page(request, errors=errors, form="amend", posted=posted_values(form), status=422)
    return redirect(f"/console/tickets/{number}?done=amend")


# ---------------------------------------------------------------- handed-over conversations

HANDLER_ROLES = ("operator", "admin")  # who answers citizens and files by hand (not supervisors)

def _conversation(s: Session, conversation_id: str) -> Conversation:
    conv = s.get(Conversation, conversation_id)
    if conv is None:
        raise PageError(404, "没有找到这个会话。")
    return conv


async def _conversation_page(request: web.Request, *, errors: list[str] | None = None, form: str = "",
                             posted: dict | None = None, status: int = 200) -> web.Response:
    me = signed_in(request, *CONSOLE_ROLES)
    bo, conv_id = bo_of(request), request.match_info["conversation_id"]

    def work(s: Session) -> dict:
        conv = _conversation(s, conv_id)
        messages = messages_for(me.viewer.role, Q.transcript(s, conv.id))
        inbound = [m.text for m in messages if m.direction == "in"]
        return {
            "conv": conv,
            "messages": messages,
            "draft": "\n".join(inbound)[:limits.TEXT],
            "tickets": list(s.execute(select(Ticket).where(Ticket.conversation_id == conv.id)
                                      .order_by(Ticket.created_at.desc())).scalars().all()),
            "notices": list(s.execute(
                select(Notification).where(Notification.recipient == conv.sender_id, Notification.channel == conv.channel)
                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(20)
            ).scalars().all()),
        }

    ctx = await in_session(request, work, write=False)
    return render(request, "console/conversation.html", {
        **ctx, "errors": errors or [], "error_form": form, "posted": posted or {}, "nonce": new_nonce(),
        "can_handle": me.role in HANDLER_ROLES,
        "done": request.query.get("done", ""), "categories": bo.catalog.categories.values(),
    }, status=status)


@routes.get("/console/conversations/{conversation_id}")
async def conversation_page(request: web.Request) -> web.Response:
    return await _conversation_page(request)


@routes.post("/console/conversations/{conversation_id}/resolve")
async def resolve_conversation(request: web.Request) -> web.Response:
    signed_in(request, *HANDLER_ROLES)
    conv_id = request.match_info["conversation_id"]

    def work(s: Session) -> None:
        conv = _conversation(s, conv_id)
        conv.needs_operator = False
        s.add(conv)

    await in_session(request, work)
    return redirect("/console/?tab=new")


@routes.post("/console/conversations/{conversation_id}/message")
async def message_citizen(request: web.Request) -> web.Response:
    """A reply typed by the operator goes out on the citizen's channel through the outbox."""
    signed_in(request, *HANDLER_ROLES)
    bo, conv_id = bo_of(request), request.match_info["conversation_id"]
    form = await form_of(request)
    text = str(form.get("message") or "").strip()
    if not text or len(text) > limits.LONG:
        return await _conversation_page(request, errors=[f"消息内容：不能为空，最长 {limits.LONG} 字。"], form="message",
                                        posted=posted_values(form), status=422)

    def work(s: Session) -> None:
        conv = _conversation(s, conv_id)
        now = bo.now()
        notify(s, key=f"{conv.id}:operator:{now.isoformat()}:{new_nonce()}", kind="operator_message",
               recipient_kind="citizen",
               recipient=str(ConversationId(conv.channel, conv.sender_id)), channel=conv.channel, body=text, now=now)

    await in_session(request, work)
    return redirect(f"/console/conversations/{conv_id}?done=message")


TICKET_FORM_FIELDS = ("description", "category", "respondent", "promise", "promise_date", "amount_yuan", "reference",
                      "place", "evidence", "urgency_reason", "contact_name", "contact_phone")


@routes.post("/console/conversations/{conversation_id}/ticket")
async def ticket_from_conversation(request: web.Request) -> web.Response:
    """受理 by hand what the assistant could not finish; the conversation leaves the queue."""
    me = signed_in(request, *HANDLER_ROLES)
    bo, conv_id = bo_of(request), request.match_info["conversation_id"]
    form = await form_of(request)

    def work(s: Session) -> str:
        conv = _conversation(s, conv_id)
        fields = {k: str(form.get(k) or "").strip() for k in TICKET_FORM_FIELDS}
        data = TicketIn.model_validate({
            **{k: v for k, v in fields.items() if v},
            "idempotency_key": f"console:{conv.id}:{str(form.get('nonce') or '')}"[:128],
            "channel": conv.channel if conv.channel in CHAT_CHANNELS else "rest",
            "sender_id": conv.sender_id,
            "conversation_id": conv.id,
            "urgent": form.get("urgent") == "1",
            "anonymous": form.get("anonymous") == "1",
            "consent_disclose": form.get("consent_disclose") == "1",
        })
        if data.category and data.category not in bo.catalog.categories:
            raise TransitionError("请选择投诉类别。", "unknown_category")
        ticket, _ = commands.create_ticket(bo, s, data, me.viewer)
        conv.needs_operator = False
        s.add(conv)
        return ticket.number

    try:
        number = await in_session(request, work)
    except (ValidationError, TransitionError) as e:
        return await _conversation_page(request, errors=form_errors(request, e), form="ticket", posted=posted_values(form),
                                        status=422)
    return redirect(f"/console/tickets/{number}?done=submit")
