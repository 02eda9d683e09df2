"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), mounted at /open311/v2/.

Public and read-only except `POST requests`, which needs an API key (a token
with role "partner", as issued by `hotline token --role partner`). JSON or XML by the path's
extension. Public answers carry no personal data: the description is built
from the catalog (category and the respondent body), never the citizen's own
words, and the address is the district, never the place as the citizen gave it.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable
from xml.etree import ElementTree as ET

from aiohttp import web
from pydantic import Field, ValidationError
from sqlalchemy import select

from vocabulary.categories import OTHER

from .. import schemas as S
from ..api import bo_of
from ..auth import viewer_for_token
from ..lifecycle import STATE_NAMES, TERMINAL, TransitionError
from ..models import Ticket
from ..tickets.backoffice import Backoffice
from ..tickets.commands import create_ticket
from ..tickets.lookup import NotFound, get_ticket
from ..tickets.numbering import normalize_number
from ..tickets.viewer import Viewer
from ..web import SETTINGS, VIEWER, ApiError, in_session
from .api import endpoint
from .models import IntegrityRecord

BASE = "/open311/v2"
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
# Attributes a request may carry (attribute[code]=value), and the ticket field each fills.
ATTRIBUTES = (
    ("respondent", "被投诉单位", "string", "respondent"),
    ("amount_yuan", "涉及金额（元）", "number", "amount_yuan"),
    ("promise", "承诺内容或拖欠事项", "text", "promise"),
    ("promise_date", "承诺时间", "string", "promise_date"),
    ("reference", "合同、判决或项目编号", "string", "reference"),
)


class Open311RequestIn(S.Strict):
    """POST requests: the GeoReport v2 fields (form-encoded or JSON)."""

    api_key: str | None = Field(default=None, max_length=200)
    jurisdiction_id: str | None = Field(default=None, max_length=100)
    service_code: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=S.TEXT_MAX)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str | None = Field(default=None, max_length=S.SHORT)
    address_id: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)  # not kept: callbacks are by phone
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=50)
    last_name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\- ]{5,30}$")
    media_url: str | None = Field(default=None, max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)  # extension: safe retries
    attribute: dict[str, str] = Field(default_factory=dict, max_length=len(ATTRIBUTES))


# ---------------------------------------------------------------- answers in JSON or XML

def _xml(root: str, item: str, rows: list[dict]) -> str:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        _xml_fill(el, row)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")


def _xml_fill(el: ET.Element, row: dict) -> None:
    for key, value in row.items():
        child = ET.SubElement(el, key)
        if isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def _answer(fmt: str, root: str, item: str, rows: list[dict], status: int = 200) -> web.Response:
    if fmt == "xml":
        return web.Response(text=_xml(root, item, rows), status=status, content_type="text/xml", charset="utf-8")
    return web.Response(text=json.dumps(rows, ensure_ascii=False), status=status, content_type="application/json")


def _format(request: web.Request) -> str:
    fmt = request.match_info.get("format", "json")
    if fmt not in ("json", "xml"):
        raise ApiError(404, "只支持 .json 和 .xml 两种格式。", "unknown_format")
    return fmt


def open311_errors(handler: Callable) -> Callable:
    """Errors the way GeoReport v2 clients expect them: a list of {code, description}."""

    async def wrapped(request: web.Request) -> web.Response:
        fmt = request.match_info.get("format") if request.match_info.get("format") in ("json", "xml") else "json"
        try:
            return await handler(request)
        except ApiError as e:
            status, message = e.status, e.message
        except ValidationError as e:
            fields = "、".join(".".join(str(p) for p in err["loc"]) for err in e.errors(include_url=False))
            status, message = 400, f"请求内容不符合要求，请检查这些字段：{fields}"
        except TransitionError as e:
            status, message = 400, e.message
        except NotFound as e:
            status, message = 404, e.message
        except web.HTTPRequestEntityTooLarge:
            status, message = 413, "请求内容过大。"
        return _answer(fmt, "errors", "error", [{"code": status, "description": message}], status=status)

    return wrapped


# ---------------------------------------------------------------- services (categories)

def _service(bo: Backoffice, code: str) -> dict:
    c = bo.catalog.categories[code]
    lead = bo.catalog.departments.get(c.lead)
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.name}。主办单位：{lead.name if lead else '属地区县人民政府'}",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "一般诉求" if c.code == OTHER else "政务失信",
    }


@endpoint("GET", f"{BASE}/services.{{format}}", "Open311：服务（投诉类别）列表，format 为 json 或 xml")
@open311_errors
async def services(request: web.Request) -> web.Response:
    fmt = _format(request)
    bo = bo_of(request)
    return _answer(fmt, "services", "service", [_service(bo, c) for c in bo.catalog.categories])


@endpoint("GET", f"{BASE}/services/{{service_code}}.{{format}}", "Open311：一个服务的定义（可填写的属性）")
@open311_errors
async def service_definition(request: web.Request) -> web.Response:
    fmt = _format(request)
    bo = bo_of(request)
    code = request.match_info["service_code"]
    if code not in bo.catalog.categories:
        raise ApiError(404, f"没有这个服务代码：{code}", "unknown_service")
    attributes = [
        {"variable": True, "code": a, "datatype": kind, "required": False, "datatype_description": "",
         "order": i, "description": name}
        for i, (a, name, kind, _) in enumerate(ATTRIBUTES, start=1)
    ]
    body = {"service_code": code, "attributes": attributes}
    if fmt == "xml":
        return web.Response(text=_xml_definition(body), content_type="text/xml", charset="utf-8")
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _xml_definition(body: dict) -> str:
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = body["service_code"]
    attrs = ET.SubElement(top, "attributes")
    for a in body["attributes"]:
        _xml_fill(ET.SubElement(attrs, "attribute"), a)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")


# ---------------------------------------------------------------- requests (tickets)

def recorded_bodies(session, numbers: list[str]) -> dict[str, str]:
    """ticket number -> the body of its 政务失信记录, for records a person has
    confirmed (a body named, not withdrawn)."""
    if not numbers:
        return {}
    rows = session.execute(select(IntegrityRecord.ticket_number, IntegrityRecord.body_name).where(
        IntegrityRecord.ticket_number.in_(numbers), IntegrityRecord.body_code.is_not(None),
        IntegrityRecord.status != "withdrawn"))
    return dict(rows.all())


def public_request(bo: Backoffice, t: Ticket, recorded_body: str | None = None) -> dict:
    """A ticket as the public may see it: no personal data, no free text from the citizen.

    The accused body is named only when the complaint was substantiated and a
    person confirmed the body (a confirmed 政务失信记录): the documents publish
    dishonesty records, not accusations (000 三(二) "依法依规逐步公开各级政府(管委)和
    公务员政务失信记录")."""
    cat = bo.catalog.categories.get(t.category_code)
    district = bo.catalog.departments.get(t.district_code or "")
    lead = bo.catalog.departments.get(t.lead_code or "")
    closed = t.state in TERMINAL
    return {
        "service_request_id": t.number,
        "status": "closed" if closed else "open",
        "status_notes": STATE_NAMES.get(t.state, t.state),
        "service_name": cat.name if cat else t.category_code,
        "service_code": t.category_code,
        "description": (cat.name if cat else t.category_code) + (f"；经核查记入政务失信记录：{recorded_body}" if recorded_body else ""),
        "agency_responsible": lead.name if lead else None,
        "service_notice": None,
        "requested_datetime": t.created_at.isoformat(),
        "updated_datetime": t.updated_at.isoformat(),
        "expected_datetime": t.reply_due_at.isoformat() if t.reply_due_at and not closed else None,
        "address": district.name if district else None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _time_param(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"参数 {name} 须为 ISO 8601 时间，如 2026-11-16T10:00:00+08:00。", "bad_query")
    if dt.tzinfo is None:
        raise ApiError(400, f"参数 {name} 须带时区，如 +08:00。", "bad_query")
    return dt


@endpoint("GET", f"{BASE}/requests.{{format}}", "Open311：工单列表（不含个人信息）",
          query=(("service_request_id", "逗号分隔的工单号（给出时忽略其他条件）"), ("service_code", "类别代码"),
                 ("start_date", "受理时间起（ISO 8601，默认90天前）"), ("end_date", "受理时间止"),
                 ("status", "open 或 closed，可逗号分隔")))
@open311_errors
async def list_requests(request: web.Request) -> web.Response:
    fmt = _format(request)
    bo = bo_of(request)
    q = request.query
    stmt = select(Ticket)
    ids = [normalize_number(n) for n in (q.get("service_request_id") or "").split(",") if n.strip()]
    if ids:
        stmt = stmt.where(Ticket.number.in_(ids[:MAX_RESULTS]))
    else:
        end = _time_param(q.get("end_date"), "end_date")
        start = _time_param(q.get("start_date"), "start_date") or (end or bo.now()) - timedelta(days=DEFAULT_DAYS)
        stmt = stmt.where(Ticket.created_at >= start)
        if end:
            stmt = stmt.where(Ticket.created_at <= end)
        if q.get("service_code"):
            stmt = stmt.where(Ticket.category_code.in_(q["service_code"].split(",")))
        statuses = {s.strip() for s in (q.get("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise ApiError(400, "参数 status 只能是 open 或 closed。", "bad_query")
        if statuses == {"open"}:
            stmt = stmt.where(Ticket.state.not_in(TERMINAL))
        elif statuses == {"closed"}:
            stmt = stmt.where(Ticket.state.in_(TERMINAL))
    stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_RESULTS)
    def work(s):
        tickets = list(s.execute(stmt).scalars())
        bodies = recorded_bodies(s, [t.number for t in tickets])
        return [public_request(bo, t, bodies.get(t.number)) for t in tickets]

    rows = await in_session(request, work, write=False)
    return _answer(fmt, "service_requests", "request", rows)


@endpoint("GET", f"{BASE}/requests/{{service_request_id}}.{{format}}", "Open311：一张工单（不含个人信息）")
@open311_errors
async def get_request(request: web.Request) -> web.Response:
    fmt = _format(request)
    bo = bo_of(request)
    number = request.match_info["service_request_id"]
    def work(s):
        t = get_ticket(s, number)
        return public_request(bo, t, recorded_bodies(s, [t.number]).get(t.number))

    row = await in_session(request, work, write=False)
    return _answer(fmt, "service_requests", "request", [row])


async def _form(request: web.Request) -> dict[str, Any]:
    """The request's fields, from a form (the GeoReport way) or a JSON object."""
    if request.content_type == "application/json":
        try:
            data = json.loads((await request.read()).decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "请求体不是合法的 JSON（需 UTF-8 编码）。", "malformed_json")
        if not isinstance(data, dict):
            raise ApiError(400, "请求体必须是一个 JSON 对象。", "malformed_json")
        return data
    form = await request.post()
    data: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            raise ApiError(400, "不接受文件上传；附件请用 media_url 给出地址。", "no_files")
        if key.startswith("attribute[") and key.endswith("]"):
            data.setdefault("attribute", {})[key[len("attribute["):-1]] = value
        else:
            data[key] = value
    return data


async def _caller(request: web.Request, api_key: Any) -> Viewer:
    """Who submits: the api_key field (the GeoReport way) or a bearer token; a
    partner system (or the hotline's own service) may."""
    viewer = request.get(VIEWER)
    if api_key is not None and (not isinstance(api_key, str) or len(api_key) > 200):
        raise ApiError(401, "api_key 无效或已停用。", "invalid_api_key")
    if api_key:
        settings = request.app[SETTINGS]
        viewer = await in_session(request, lambda s: viewer_for_token(s, api_key, settings.hotline_service_token),
                                  write=False)
        if viewer is None:
            raise ApiError(401, "api_key 无效或已停用。", "invalid_api_key")
    if viewer is None:
        raise ApiError(401, "提交工单需要 api_key。", "api_key_required")
    if viewer.role not in ("partner", "service"):
        raise ApiError(403, "这个 api_key 无权提交工单。", "forbidden")
    return viewer


@endpoint("POST", f"{BASE}/requests.{{format}}", "Open311：从其他系统提交一张工单（需要 api_key）", roles=("partner", "service"),
          body=Open311RequestIn)
@open311_errors
async def post_request(request: web.Request) -> web.Response:
    bo = bo_of(request)
    if request.content_length and request.content_length > request.app[SETTINGS].max_body_bytes:
        raise ApiError(413, "请求内容过大。", "too_large")
    fields = await _form(request)
    viewer = await _caller(request, fields.get("api_key"))
    fmt = _format(request)
    data = Open311RequestIn.model_validate(fields)
    if data.service_code not in bo.catalog.categories:
        raise ApiError(400, f"没有这个服务代码：{data.service_code}", "unknown_service")
    unknown = set(data.attribute) - {a[0] for a in ATTRIBUTES}
    if unknown:
        raise ApiError(400, f"不认识的属性：{'、'.join(sorted(unknown))}", "unknown_attribute")
    extra = {field: data.attribute[code] for code, _, _, field in ATTRIBUTES if code in data.attribute}
    name = " ".join(p for p in (data.last_name, data.first_name) if p) or None
    ticket_in = S.TicketIn(
        idempotency_key=f"open311:{viewer.actor}:{data.idempotency_key or uuid.uuid4().hex}"[:128],
        channel="open311",
        description=data.description,
        category=data.service_code,
        category_confidence=1.0,  # the calling system chose the category
        place=data.address_string,
        contact_name=name,
        contact_phone=data.phone,
        anonymous=not (name or data.phone),
        **extra,
    )

    def work(s):
        ticket, _ = create_ticket(bo, s, ticket_in, viewer)
        return ticket.number

    number = await in_session(request, work)
    return _answer(fmt, "service_requests", "request",
                   [{"service_request_id": number, "service_notice": "已受理，可用工单号查询办理进度。", "account_id": None}],
                   status=201)
