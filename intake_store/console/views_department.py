"""The department portal: an inbox with the clocks, and a ticket worked to a reply.

A department sees only tickets routed to it now (lead or assisting) and the
complainant only when they agreed: `tickets.lookup.visible_ticket` and
`tickets.views.ticket_view` decide both; the pages only show what they return.
"""
from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlmodel import Session

from ..clocks import Clock
from ..jobs import portal_inbox
from ..lifecycle import ACTION_NAMES
from ..tickets.history import events_of, life_and_clocks, lives_and_clocks
from ..tickets.lookup import visible_ticket
from ..tickets.views import ticket_view
from ..web import in_session
from ..workcalendar import BEIJING, format_due
from . import queries as Q
from .accounts import PORTAL_ROLES
from .pages import bo_of, form_of, redirect, render, signed_in
from .review import allowed_actions, describe_event
from .ticket_forms import FORM_ACTIONS, act_from_form, actions_for, posted_values
from .views_operator import departments_by_level

routes = web.RouteTableDef()
INBOX_CLOCKS = ("accept", "verify", "reply")


def _page(query) -> int:
    try:
        return max(1, min(int(query.get("page", "1")), 10**6))
    except ValueError:
        return 1


def clock_view(c: Clock | None, now: datetime) -> dict | None:
    """The shape `tickets.views.ticket_view` gives a clock, so one template macro shows both."""
    if c is None:
        return None
    return {"label": c.label, "started_at": c.started_at, "due_text": format_due(c.due_at), "done_at": c.done_at,
            "paused": c.paused, "projected": c.projected, "overdue": c.overdue(now), "late": c.late}


@routes.get("/portal")
async def portal_root(request: web.Request) -> web.Response:
    signed_in(request, *PORTAL_ROLES)
    return redirect("/portal/")


@routes.get("/portal/")
async def inbox(request: web.Request) -> web.Response:
    me = signed_in(request, *PORTAL_ROLES)
    bo, q = bo_of(request), request.query
    f = Q.InboxFilters(
        tab=q.get("tab") if q.get("tab") in Q.INBOX_TABS else "open",
        sort=q.get("sort") if q.get("sort") in Q.INBOX_SORTS else "due",
        descending=q.get("dir") == "desc",
        overdue=q.get("overdue") == "1",
        page=_page(q),
    )

    def work(s: Session) -> dict:
        total, rows = Q.department_inbox(bo, s, me.viewer, f)
        lives = lives_and_clocks(bo, s, [t for t, _ in rows])
        now = bo.now()
        items = []
        for t, role in rows:
            life, clocks = lives[t.id]
            items.append({
                "number": t.number,
                "role": role,
                "state_name": life.state_name,
                "category_name": bo.catalog.categories[t.category_code].name,
                "respondent": t.respondent,
                "urgent": t.urgent,
                "created_at": t.created_at,
                "pending_extension": life.pending_extension is not None,
                "supervised": life.supervise_count,
                "clocks": {name: clock_view(clocks.get(name), now) for name in INBOX_CLOCKS},
                "overdue": any(c.overdue(now) for c in clocks.values() if not c.projected),
            })
        return {"total": total, "items": items, "now": now, "messages": portal_inbox(s, me.department, limit=10)}

    data = await in_session(request, work, write=False)
    return render(request, "portal/inbox.html", {
        **data, "f": f, "tabs": Q.INBOX_TABS, "sorts": Q.INBOX_SORTS, "page_size": Q.PAGE_SIZE,
        "department_name": bo.catalog.name_of(me.department), "clock_labels": {
            name: bo.catalog.clocks[name].label for name in INBOX_CLOCKS},
    })


async def _ticket_page(request: web.Request, *, errors: list[str] | None = None, form: str = "",
                       posted: dict | None = None, status: int = 200) -> web.Response:
    me = signed_in(request, *PORTAL_ROLES)
    bo, number = bo_of(request), request.match_info["number"]
    viewer = me.viewer

    def work(s: Session) -> dict:
        ticket = visible_ticket(s, number, viewer)
        view = ticket_view(bo, s, ticket, viewer, with_events=True)
        life, _ = life_and_clocks(bo, events_of(s, ticket))
        return {
            "t": view,
            "allowed": allowed_actions(life, viewer),
            "is_lead": life.lead == me.department,
            "supervised": life.supervise_count,
            "history": [(e, describe_event(bo.catalog, e)) for e in view["events"]],
            "today": bo.now().astimezone(BEIJING).date(),
            "departments": departments_by_level(bo),
        }

    ctx = await in_session(request, work, write=False)
    done = request.query.get("done", "")
    return render(request, "portal/ticket.html", {
        **ctx, "errors": errors or [], "error_form": form, "posted": posted or {},
        "error_action": FORM_ACTIONS.get(form, form), "done": done if done in ACTION_NAMES else "",
    }, status=status)


@routes.get("/portal/tickets/{number}")
async def ticket_page(request: web.Request) -> web.Response:
    return await _ticket_page(request)


def _action_handler(spec):
    async def handler(request: web.Request) -> web.Response:
        me = signed_in(request, *PORTAL_ROLES)
        errors = await act_from_form(request, spec, me.viewer)
        if errors:
            return await _ticket_page(request, errors=errors, form=spec.path,
                                      posted=posted_values(await form_of(request)), status=422)
        return redirect(f"/portal/tickets/{request.match_info['number']}?done={spec.action}")

    return handler


for _spec in actions_for("department"):
    routes.post(f"/portal/tickets/{{number}}/{_spec.path}")(_action_handler(_spec))
