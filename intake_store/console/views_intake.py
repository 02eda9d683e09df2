"""新来电: an operator takes a complaint by phone.

The operator types what the caller says; the category model and the body
resolution the assistant uses (`understanding.understand`) suggest category,
respondent, amount, place and routing as they type; the operator corrects
what is wrong, asks the caller the same contact questions the assistant asks
in the chat, and files. The ticket is created by `tickets.commands.create_ticket`, as
through the API, on the `phone` channel with the operator as actor; the page
then shows the ticket number and query code to read to the caller.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from aiohttp import web
from pydantic import ValidationError
from sqlmodel import Session

from vocabulary.categories import OTHER

from ..catalog import Catalog
from ..lifecycle import TransitionError
from ..mentions import amount_in, parse_amount, phone_number, place_in
from ..routing import route
from ..schemas import TEXT_MAX, TicketIn
from ..tickets import numbering
from ..tickets.backoffice import Backoffice
from ..tickets.commands import create_ticket
from ..tickets.history import events_of, life_and_clocks
from ..tickets.viewer import Viewer
from ..understanding import understand
from ..web import in_session
from ..workcalendar import format_due
from .pages import NavLink, add_pages, bo_of, form_errors, form_of, new_nonce, render, signed_in
from .ticket_forms import posted_values
from .views_operator import HANDLER_ROLES

routes = web.RouteTableDef()
PATH = "/console/intake"

# The questions the assistant asks in the chat, read out by the operator.
ASK_PHONE = "请留一个联系电话，方便核实情况和回访。不想留的话，也可以选择匿名投诉。"
ASK_CONSENT = "是否同意把您的姓名和电话告诉承办单位，方便他们直接联系您？不同意的话，只有热线工作人员能看到。"
CONFIRM_ANONYMOUS = "您刚才留了电话{phone}。改成匿名的话，这个号码不会保存，也没法回访您。确定匿名吗？"
NO_PHONE = "好的，先不留电话。没有电话我们无法回访您，请凭工单号和查询码查询进度。"
ANONYMOUS_NOTE = "匿名后我们无法打电话给您回访，办理结果请您凭工单号和查询码自己查询。"

EMPTY_TEXT = "来电内容：不能为空。请记下来电人反映的事情，再受理。"
BAD_PHONE = "联系电话：格式不对。请填11位手机号，或带区号的座机，例如0535-6612345；来电人不想留可以空着。"
BAD_AMOUNT = "涉及金额：格式不对。请填数字，例如 520000 或 52万；不清楚可以空着。"
NO_CATEGORY = "投诉类别：请选择（可采用系统建议的类别）。"
UNCONFIRMED_ANONYMOUS = ("匿名：来电人已经留了电话。请先问来电人“" + CONFIRM_ANONYMOUS.format(phone="") +
                         "”来电人确定的话勾选“来电人确定匿名”，否则取消“匿名投诉”，电话保留。")
NO_CONSENT_ANSWER = "告知承办单位：请问来电人“" + ASK_CONSENT + "”，选“同意”或“不同意”。"

TEXT_FIELDS = ("description", "respondent", "promise", "promise_date", "reference", "place", "evidence",
               "urgency_reason", "contact_name")


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
    add_pages(app, nav=NavLink("新来电", PATH, HANDLER_ROLES))


# ---------------------------------------------------------------- the suggestion

def suggestion(catalog: Catalog, text: str, *, respondent: str | None = None, place: str | None = None,
               category: str | None = None) -> dict:
    """What the page shows beside the operator's notes. `respondent`, `place`
    and `category` are the operator's corrections; the route follows them."""
    place = place or place_in(text)
    u = understand(text, respondent, place, catalog=catalog)
    chosen = category if category in catalog.categories else u.prediction.category
    r = u.route if chosen == u.prediction.category else route(chosen, u.respondent, place, catalog, text)
    amount = amount_in(text)

    def name(code: str) -> str:
        return catalog.categories[code].name

    return {
        "category": u.prediction.category,
        "category_name": name(u.prediction.category),
        "confidence": round(u.prediction.confidence * 100),
        "alternatives": [{"category": c, "name": name(c), "confidence": round(p * 100)}
                         for c, p in u.prediction.ranking[1:3]],
        "ordinary": chosen == OTHER,
        "auto_dispatch": chosen == u.prediction.category and chosen != OTHER
        and u.prediction.confidence >= catalog.auto_dispatch_min_confidence,
        "respondent": u.respondent,
        "respondent_name": catalog.name_of(r.respondent_code) if r.respondent_code else None,
        "place": place,
        "amount_yuan": format(amount.normalize(), "f") if amount is not None else None,
        "lead_name": r.lead_name,
        "co_names": list(r.co_names),
        "notes": list(r.notes),
    }


@routes.post(PATH + "/understand")
async def suggest(request: web.Request) -> web.Response:
    """The suggestion for what is typed so far, as JSON for the page's script."""
    signed_in(request, *HANDLER_ROLES)
    form = await form_of(request)
    text = str(form.get("description") or "").strip()
    if not text:
        return web.json_response({"error": EMPTY_TEXT}, status=422)
    given = {k: str(form.get(k) or "").strip()[:200] or None for k in ("respondent", "place", "category")}
    catalog = bo_of(request).catalog
    body = await asyncio.to_thread(suggestion, catalog, text[:TEXT_MAX], **given)
    return web.json_response(body)


# ---------------------------------------------------------------- filing

@dataclass
class Call:
    """What the operator filed, checked; `errors` in Chinese when it cannot be filed."""

    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def read_call(form, catalog: Catalog) -> Call:
    """The posted form as ticket fields, with the chat's contact rules: anonymous
    only when the caller asks, and a phone given is kept unless the caller
    confirms they want to be anonymous."""
    call = Call()
    v = call.values
    for k in TEXT_FIELDS:
        v[k] = str(form.get(k) or "").strip() or None
    if not v["description"]:
        call.errors.append(EMPTY_TEXT)
    v["category"] = str(form.get("category") or "")
    if v["category"] not in catalog.categories:
        call.errors.append(NO_CATEGORY)
    amount = str(form.get("amount_yuan") or "").strip()
    if amount:
        try:
            v["amount_yuan"] = Decimal(amount.replace(",", "").removesuffix("元"))
        except InvalidOperation:
            v["amount_yuan"] = parse_amount(amount)
        if v["amount_yuan"] is None or v["amount_yuan"] < 0:
            call.errors.append(BAD_AMOUNT)
    said_phone = str(form.get("contact_phone") or "").strip()
    v["contact_phone"] = phone_number(said_phone)
    if said_phone and not v["contact_phone"]:
        call.errors.append(BAD_PHONE)
    v["anonymous"] = form.get("anonymous") == "1"
    if v["anonymous"] and said_phone and form.get("anonymous_confirmed") != "1":
        call.errors.append(UNCONFIRMED_ANONYMOUS)
    consent = form.get("consent_disclose")
    if said_phone and not v["anonymous"] and consent not in ("1", "0"):
        call.errors.append(NO_CONSENT_ANSWER)
    v["consent_disclose"] = consent == "1" and not v["anonymous"]
    v["urgent"] = form.get("urgent") == "1"
    if v["anonymous"]:
        v["contact_phone"] = v["contact_name"] = None
    return call


def file_call(bo: Backoffice, s: Session, call: Call, viewer: Viewer, nonce: str) -> dict:
    """受理 through the same path as the API. The model's confidence goes with
    the category only when the operator kept the model's category, so the
    auto-dispatch threshold means the same as for the assistant."""
    v = call.values
    prediction = understand(v["description"], v["respondent"], v["place"], catalog=bo.catalog).prediction
    data = TicketIn.model_validate({
        **{k: val for k, val in v.items() if val is not None},
        "idempotency_key": f"phone:{nonce}"[:128],
        "channel": "phone",
        "category_confidence": prediction.confidence if prediction.category == v["category"] else None,
    })
    ticket, _ = create_ticket(bo, s, data, viewer)
    events = events_of(s, ticket)
    life, clocks = life_and_clocks(bo, events)
    lead = life.lead or events[0].payload["suggested_lead"]
    reply = clocks.get("reply")
    return {
        "number": ticket.number,
        "query_code": numbering.query_code(bo.secret, ticket.query_nonce),
        "category_name": bo.catalog.categories[ticket.category_code].name,
        "ordinary": ticket.category_code == OTHER,
        "state_name": life.state_name,
        "lead_name": bo.catalog.name_of(lead),
        "reply_due_text": format_due(reply.due_at) if reply else None,
        "anonymous": ticket.anonymous,
        "phone": v["contact_phone"],
    }


# ---------------------------------------------------------------- pages

def _intake_page(request: web.Request, *, errors: list[str] | None = None, posted: dict | None = None,
                 status: int = 200) -> web.Response:
    bo = bo_of(request)
    return render(request, "console/intake.html", {
        "errors": errors or [], "error_form": "intake" if errors else "", "posted": posted or {},
        "nonce": new_nonce(), "categories": bo.catalog.categories.values(),
        "ASK_PHONE": ASK_PHONE, "ASK_CONSENT": ASK_CONSENT, "CONFIRM_ANONYMOUS": CONFIRM_ANONYMOUS,
        "NO_PHONE": NO_PHONE, "ANONYMOUS_NOTE": ANONYMOUS_NOTE,
    }, status=status)


@routes.get(PATH)
async def intake_page(request: web.Request) -> web.Response:
    signed_in(request, *HANDLER_ROLES)
    return _intake_page(request)


@routes.post(PATH)
async def file_intake(request: web.Request) -> web.Response:
    me = signed_in(request, *HANDLER_ROLES)
    bo, form = bo_of(request), await form_of(request)
    call = read_call(form, bo.catalog)
    if call.errors:
        return _intake_page(request, errors=call.errors, posted=posted_values(form), status=422)
    nonce = str(form.get("nonce") or "") or new_nonce()
    try:
        filed = await in_session(request, lambda s: file_call(bo, s, call, me.viewer, nonce))
    except (ValidationError, TransitionError) as e:
        return _intake_page(request, errors=form_errors(request, e), posted=posted_values(form), status=422)
    # Shown, not redirected to: the query code is the caller's and appears only here.
    return render(request, "console/intake_filed.html", {"filed": filed})
