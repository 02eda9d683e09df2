"""Console pages for the register of 信用承诺 and 政府合同 (/console/promises):
operators and supervisors enter a promise by hand or from a ticket, link
complaints to it, and record its fulfilment. The rules are in `promises`."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from aiohttp import web
from pydantic import Field, ValidationError
from sqlmodel import Session

from .. import schemas as S
from ..console.accounts import CONSOLE_ROLES
from ..console.pages import (
    NavLink,
    PageError,
    add_pages,
    bo_of,
    form_errors,
    form_model,
    form_of,
    redirect,
    render,
    signed_in,
)
from ..console.ticket_forms import posted_values
from ..console.views_operator import departments_by_level
from ..lifecycle import TransitionError
from ..tickets.lookup import NotFound, get_ticket
from ..web import in_session
from . import promises as P

pages = web.RouteTableDef()
PATH = "/console/promises"
TABS = {"open": "履行中", "overdue": "逾期未履行", "fulfilled": "已履行", "all": "全部"}


class PromiseIn(S.Strict):
    kind: Literal["commitment", "contract"]
    body_code: str = Field(min_length=1, max_length=64)
    promisee: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=2000)
    amount_yuan: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    due_on: date
    reference: str | None = Field(default=None, max_length=100)
    ticket_number: str | None = Field(default=None, max_length=20)


class LinkIn(S.Strict):
    ticket_number: str = Field(min_length=1, max_length=20)


class FulfilIn(S.Strict):
    reason: str = Field(min_length=1, max_length=2000)  # 履行情况


def setup(app: web.Application) -> None:
    add_pages(app, nav=NavLink("承诺与合同", PATH, CONSOLE_ROLES), labels=P.FIELD_LABELS)
    app.router.add_routes(pages)


def _promise_id(request: web.Request) -> int:
    raw = request.match_info["promise_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise PageError(404, "没有找到这项承诺或合同。")
    return int(raw)


@pages.get(PATH)
async def register_page(request: web.Request) -> web.Response:
    signed_in(request, *CONSOLE_ROLES)
    return await _list(request)


async def _list(request: web.Request, *, errors: list[str] | None = None, posted: dict | None = None,
                status: int = 200) -> web.Response:
    bo, q = bo_of(request), request.query
    tab = q.get("tab") if q.get("tab") in TABS else "open"
    number = (q.get("ticket") or "").strip()[:20]

    def work(s: Session) -> dict:
        now = bo.now()
        total, rows = P.list_promises(s, P.PromiseFilters(status=None if tab == "all" else tab), now)
        prefill, linked = {}, P.promises_of_ticket(s, number) if number else []
        if number and posted is None:
            try:
                t = get_ticket(s, number)
            except NotFound:
                raise PageError(404, f"没有找到工单 {number}。")
            prefill = {"kind": ["commitment"], "ticket_number": [t.number], "body_code": [t.respondent_code or ""],
                       "content": [t.promise or ""], "reference": [t.reference or ""],
                       "amount_yuan": [str(t.amount_yuan) if t.amount_yuan is not None else ""]}
        return {"total": total, "rows": [P.summary(bo, p, now) for p in rows], "prefill": prefill, "linked": linked}

    data = await in_session(request, work, write=False)
    return render(request, "integrity/promises.html", {
        "total": data["total"], "rows": data["rows"], "tab": tab, "tabs": TABS, "kinds": P.KINDS,
        "departments": departments_by_level(bo), "errors": errors or [],
        "error_form": "register" if errors or posted is not None or data["prefill"] else "",
        "posted": posted if posted is not None else data["prefill"], "from_ticket": number, "linked": data["linked"],
    }, status=status)


@pages.post(PATH)
async def register(request: web.Request) -> web.Response:
    me = signed_in(request, *CONSOLE_ROLES)
    bo = bo_of(request)
    form = await form_of(request)
    try:
        data = form_model(PromiseIn, form, lists=())
        p = await in_session(request, lambda s: P.register(bo, s, P.NewPromise(**data.model_dump()), me.viewer).id)
    except (ValidationError, TransitionError) as e:
        return await _list(request, errors=form_errors(request, e), posted=posted_values(form), status=422)
    except NotFound as e:
        return await _list(request, errors=[e.message], posted=posted_values(form), status=422)
    return redirect(f"{PATH}/{p}?done=register")


@pages.get(PATH + "/{promise_id}")
async def promise_page(request: web.Request) -> web.Response:
    signed_in(request, *CONSOLE_ROLES)
    return await _promise_page(request)


async def _promise_page(request: web.Request, *, errors: list[str] | None = None, form: str = "",
                        posted: dict | None = None, status: int = 200) -> web.Response:
    bo, pid = bo_of(request), _promise_id(request)
    view = await in_session(request, lambda s: P.view(bo, s, P.get_promise(s, pid)), write=False)
    done = request.query.get("done", "")
    history = [(e, [(P.FIELD_LABELS.get(k, k), v) for k, v in e["payload"].items()
                    if k in ("ticket_number", "due_on") and v]) for e in view["events"]]
    return render(request, "integrity/promise.html", {
        "p": view, "history": history, "errors": errors or [], "error_form": form, "posted": posted or {},
        "done": P.ACTION_NAMES.get(done, ""),
    }, status=status)


def _action(name: str, model, run):
    async def handler(request: web.Request) -> web.Response:
        me = signed_in(request, *CONSOLE_ROLES)
        bo, pid = bo_of(request), _promise_id(request)
        await in_session(request, lambda s: P.get_promise(s, pid), write=False)
        form = await form_of(request)
        try:
            data = form_model(model, form, lists=())
            await in_session(request, lambda s: run(bo, s, pid, data, me.viewer))
        except (ValidationError, TransitionError) as e:
            return await _promise_page(request, errors=form_errors(request, e), form=name, posted=posted_values(form), status=422)
        except NotFound as e:
            return await _promise_page(request, errors=[e.message], form=name, posted=posted_values(form), status=422)
        return redirect(f"{PATH}/{pid}?done={name}")

    return handler


pages.post(PATH + "/{promise_id}/link")(_action("link", LinkIn, lambda bo, s, pid, d, v: P.link(bo, s, pid, d.ticket_number, v)))
pages.post(PATH + "/{promise_id}/fulfil")(_action("fulfil", FulfilIn, lambda bo, s, pid, d, v: P.fulfil(bo, s, pid, d.reason, v)))
