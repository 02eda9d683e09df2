"""Pages for dishonesty records: the supervisors' work lists and record page in
the console (/console/records), and a department's own records in the portal
(/portal/records).

Every form posts one of the REST API's record actions (`api.RECORD_ACTIONS`,
same schemas) through `store.record_act`, so pages and API obey one set of
rules; the console's sign-in, CSRF check and layout come from `console.pages`.
"""
from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError
from sqlmodel import Session

from vocabulary.codes import SEVERITY, VERIFICATION

from ..console.accounts import PORTAL_ROLES
from ..console.pages import (
    NavLink,
    PageError,
    add_pages,
    bo_of,
    date_text,
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
from ..web import in_session
from ..workcalendar import BEIJING
from . import rules, store
from .api import CONFIG, RECORD_ACTIONS

pages = web.RouteTableDef()  # HTML pages: the console's area, not the API document
AREAS = {"console": ("supervisor",), "portal": PORTAL_ROLES}
FORMS = {spec.path: spec for spec in RECORD_ACTIONS}
PAGE_SIZE = 50
# What a record event's payload says, as the history shows it.
PAYLOAD_LABELS = {
    "result": "核查结果", "findings": "核查情况", "severity": "失信程度", "body_name": "认定单位", "evidence": "证明材料",
    "rectification": "整改情况", "self_correction": "主动纠错情况", "waive": "免于惩戒", "withdraw": "撤销记录",
    "kind": "处置方式", "due": "整改期限", "report": "整改情况",
}


def setup(app: web.Application) -> None:
    add_pages(app, nav=NavLink("失信记录", "/console/records", ("supervisor",)),
              labels={**PAYLOAD_LABELS, "body_code": "被记录单位", "report": "整改情况"})
    add_pages(app, nav=NavLink("本单位失信记录", "/portal/records", PORTAL_ROLES))
    app.router.add_routes(pages)


def _record_id(request: web.Request) -> int:
    raw = request.match_info["record_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise PageError(404, "没有找到这条政务失信记录。")
    return int(raw)


# Payload values kept as codes or ISO dates, as people read them.
SHOWN_AS = {"due": date_text, "result": VERIFICATION.label, "severity": SEVERITY.label}


def _details(payload: dict) -> list[tuple[str, str]]:
    out = []
    for key, label in PAYLOAD_LABELS.items():
        value = payload.get(key)
        if value in (None, "", False) or (key == "body_name" and "body_code" not in payload):
            continue
        text = SHOWN_AS.get(key, str)(value)
        out.append((label, "是" if value is True else text))
    return out


# ---------------------------------------------------------------- lists

@pages.get("/console/records")
async def supervisor_list(request: web.Request) -> web.Response:
    signed_in(request, "supervisor")
    return await _list(request, "console")


@pages.get("/portal/records")
async def department_list(request: web.Request) -> web.Response:
    signed_in(request, *PORTAL_ROLES)
    return await _list(request, "portal")


async def _list(request: web.Request, area: str) -> web.Response:
    me, bo, q = signed_in(request), bo_of(request), request.query
    queue = q.get("queue") if q.get("queue") in store.QUEUES else ("attach" if area == "console" else "all")
    if area == "portal":
        queue = "all"
    body = q.get("body") if q.get("body") in bo.catalog.departments else None
    severity = q.get("severity") if q.get("severity") in rules.SEVERITIES else None
    filters = store.RecordFilters(queue=queue, body=body, severity=severity, limit=PAGE_SIZE)

    def work(s: Session) -> dict:
        now = bo.now()
        counts = {}
        if area == "console":
            for key in store.QUEUES:
                counts[key] = store.list_records(s, store.RecordFilters(queue=key, limit=1), me.viewer, now)[0]
        total, rows = store.list_records(s, filters, me.viewer, now)
        return {"total": total, "rows": [store.record_summary(bo, r, now) for r in rows], "counts": counts}

    data = await in_session(request, work, write=False)
    return render(request, "integrity/records.html", {
        **data, "area": area, "queue": queue, "queues": store.QUEUES, "body": body, "severity": severity,
        "severities": rules.SEVERITIES, "departments": departments_by_level(bo),
        "department_name": bo.catalog.name_of(me.department) if me.department else "",
    })


# ---------------------------------------------------------------- one record

@pages.get("/console/records/{record_id}")
async def supervisor_record(request: web.Request) -> web.Response:
    signed_in(request, "supervisor")
    return await _record_page(request, "console")


@pages.get("/portal/records/{record_id}")
async def department_record(request: web.Request) -> web.Response:
    signed_in(request, *PORTAL_ROLES)
    return await _record_page(request, "portal")


async def _record_page(request: web.Request, area: str, *, errors: list[str] | None = None, form: str = "",
                       posted: dict | None = None, status: int = 200) -> web.Response:
    me, bo, config = signed_in(request), bo_of(request), request.app[CONFIG]
    record_id = _record_id(request)

    def work(s: Session) -> dict:
        record = store.get_record(s, record_id, me.viewer)
        view = store.record_view(bo, s, record, config)
        life = rules.replay_record(store.record_events(s, record))
        return {"r": view, "offered": rules.offered_actions(life, me.role, bo.now()),
                "history": [(e, _details(e["payload"])) for e in view["events"]]}

    ctx = await in_session(request, work, write=False)
    done = request.query.get("done", "")
    return render(request, "integrity/record.html", {
        **ctx, "area": area, "errors": errors or [], "error_form": form, "posted": posted or {},
        "error_action": FORMS[form].action if form in FORMS else "",
        "done": rules.RECORD_ACTION_NAMES.get(done, "") if done in rules.RECORD_ROLES else "",
        "severities": rules.SEVERITIES, "measures": rules.MEASURES, "departments": departments_by_level(bo),
        "today": bo.now().astimezone(BEIJING).date(),
    }, status=status)


def _action_handler(area: str, spec):
    roles = AREAS[area]

    async def handler(request: web.Request) -> web.Response:
        me = signed_in(request, *roles)
        if me.role not in rules.RECORD_ROLES[spec.action]:
            raise PageError(403, "您的账号无权办理这一项。")
        bo, config, record_id = bo_of(request), request.app[CONFIG], _record_id(request)
        # Refuse a record the account may not see before looking at what was sent.
        await in_session(request, lambda s: store.get_record(s, record_id, me.viewer), write=False)
        form = await form_of(request)
        try:
            data = form_model(spec.body, form, lists=())
            await in_session(request, lambda s: store.record_act(
                bo, s, record_id, spec.action, me.viewer, config,
                reason=getattr(data, "reason", None), payload=spec.to_payload(data)))
        except (ValidationError, TransitionError) as e:
            return await _record_page(request, area, errors=form_errors(request, e), form=spec.path,
                                      posted=posted_values(form), status=422)
        return redirect(f"/{area}/records/{record_id}?done={spec.action}")

    return handler


for _area, _roles in AREAS.items():
    for _spec in RECORD_ACTIONS:
        if set(_roles) & rules.RECORD_ROLES[_spec.action]:
            pages.post(f"/{_area}/records/{{record_id}}/{_spec.path}")(_action_handler(_area, _spec))

