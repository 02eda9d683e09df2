"""Ticket actions posted from a page: the REST API's action table (`api.ACTIONS`)
and schemas, run through `tickets.commands.act`, so pages and API obey one set of rules."""
from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError
from sqlmodel import Session

from ..api import ACTIONS, Action
from ..lifecycle import RULES, Life, TransitionError
from ..models import Ticket
from ..notifications import tell_citizen
from ..tickets.backoffice import Backoffice
from ..tickets.commands import act
from ..tickets.history import events_of
from ..tickets.lookup import get_ticket, visible_ticket
from ..tickets.viewer import Viewer
from ..web import in_session
from .pages import PageError, bo_of, form_errors, form_model, form_of

# A form's path on the page -> the lifecycle action it asks for.
FORM_ACTIONS = {spec.path: spec.action for spec in ACTIONS}


def require_action(action: str, viewer: Viewer) -> None:
    """A role the action is not for is refused before anything is read."""
    if viewer.role not in RULES[action][0]:
        raise PageError(403, "您的账号无权执行这个操作。")


def actions_for(role: str) -> list[Action]:
    return [spec for spec in ACTIONS if role in RULES[spec.action][0]]


def posted_values(form) -> dict[str, list[str]]:
    """What the person typed, to show again after an error (never the CSRF token)."""
    return {k: [str(v) for v in form.getall(k)] for k in set(form.keys()) if k != "csrf_token"}


async def act_from_form(request: web.Request, spec: Action, viewer: Viewer) -> list[str] | None:
    """Run one action; None when done, else the Chinese error lines for the form."""
    bo, number = bo_of(request), request.match_info["number"]
    require_action(spec.action, viewer)
    # Refuse a ticket the viewer may not see before looking at what was sent.
    await in_session(request, lambda s: visible_ticket(s, number, viewer), write=False)
    form = await form_of(request)
    try:
        data = form_model(spec.body, form)
    except ValidationError as e:
        return form_errors(request, e)

    def work(s: Session) -> None:
        previous_lead = get_ticket(s, number).lead_code
        ticket, life = act(bo, s, number, spec.action, viewer, reason=getattr(data, "reason", None),
                             payload=spec.to_payload(data))
        if previous_lead and life.lead != previous_lead:
            tell_citizen_of_new_lead(bo, s, ticket, life)

    try:
        await in_session(request, work)
    except TransitionError as e:
        return form_errors(request, e)
    return None


def tell_citizen_of_new_lead(bo: Backoffice, session: Session, ticket: Ticket, life: Life) -> None:
    """A decision on a 退单 or a reroute gives the citizen a new body to wait
    for: say which, and why, on their channel."""
    event = events_of(session, ticket)[-1]
    why = f"，原因：{event.reason}" if event.reason else ""
    tell_citizen(session, ticket, key=f"{ticket.number}:new_lead:{event.at.isoformat()}", kind="citizen_new_lead",
                 body=f"您的工单 {ticket.number} 已改由{bo.catalog.name_of(life.lead)}办理{why}。", now=event.at)
