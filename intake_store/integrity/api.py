"""REST API for dishonesty records, objections, repairs, scorecards, warnings and exports.

Supervisors (督办/信用办) see and decide everything; a department sees the
records about itself, files objections and applies for repair. Routes are
declared with `endpoint(...)`, which describes them in the app's OpenAPI
document like the back office API's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Callable, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field

from .. import schemas as S
from ..api import _bool_param, _int_param, bo_of, listing_filters
from ..openapi import ApiRoutes
from ..tickets.listing import list_tickets
from ..tickets.viewer import Viewer
from ..tickets.views import summary_view
from ..web import ApiError, in_session, json_ok, read_json, require
from . import export, rules, scorecards, store
from .rules import IntegrityConfig

# Path parameters match any segment, so a malformed id still reaches the
# handler: the caller is asked to sign in first, then told in Chinese what was
# not found, rather than getting a bare 404 from the router.
routes = ApiRoutes(any_segment=True)
endpoint = routes.endpoint
CONFIG = web.AppKey("integrity_config", IntegrityConfig)
EXPORT_MAX_ROWS = 100_000


def config_of(request: web.Request) -> IntegrityConfig:
    return request.app[CONFIG]


# ---------------------------------------------------------------- input

class ObjectionIn(S.Strict):
    reason: str = Field(min_length=1, max_length=2000)  # 异议理由
    evidence: str | None = Field(default=None, max_length=2000)


class CorrectionIn(S.Strict):
    severity: Literal["轻微", "一般", "严重"] | None = None
    findings: str | None = Field(default=None, max_length=S.TEXT_MAX)
    withdraw: bool = False  # 撤销记录
    reason: str = Field(min_length=1, max_length=2000)


class RepairIn(S.Strict):
    rectification: str = Field(min_length=1, max_length=S.TEXT_MAX)  # 整改情况
    evidence: str = Field(min_length=1, max_length=2000)  # 整改证明材料


class AttachIn(S.Strict):
    body_code: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class ExemptIn(S.Strict):
    reason: str = Field(min_length=1, max_length=2000)  # 容错免责的理由（004 四(二)1 所列情形）


class LightenIn(S.Strict):
    self_correction: str = Field(min_length=1, max_length=2000)  # 主动挽回损失、消除不良影响的情况
    severity: Literal["轻微", "一般", "严重"] | None = None  # 从轻：减轻后的失信程度
    waive: bool = False  # 免于惩戒
    reason: str = Field(min_length=1, max_length=2000)


class MeasureIn(S.Strict):
    kind: Literal["提醒", "警示", "约谈"]
    reason: str = Field(min_length=1, max_length=2000)


class RectifyOrderIn(S.Strict):
    due: date  # 整改期限
    reason: str = Field(min_length=1, max_length=2000)  # 整改要求


class RectifyReportIn(S.Strict):
    report: str = Field(min_length=1, max_length=S.TEXT_MAX)  # 整改情况


def _record_id(request: web.Request) -> int:
    raw = request.match_info["record_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise ApiError(404, "没有找到这条政务失信记录。", "not_found")
    return int(raw)


def _date_param(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"参数 {name} 须为日期，格式如 2026-01-31。", "bad_query")


def period_of(request: web.Request, now: datetime) -> tuple[datetime, datetime]:
    """[from, to] in whole Beijing days from the query; default: this quarter up to today."""
    start = _date_param(request.query.get("from"), "from") or scorecards.quarter_start(now)
    to = _date_param(request.query.get("to"), "to") or now.astimezone(scorecards.BEIJING).date()
    end = scorecards.day_start(to + timedelta(days=1))
    if end <= scorecards.day_start(start):
        raise ApiError(400, "统计期的结束日期不能早于开始日期。", "bad_query")
    return scorecards.day_start(start), end


def _format_param(request: web.Request, fmt: str | None = None) -> str:
    fmt = fmt or request.query.get("format") or "csv"
    if fmt not in export.FORMATS:
        raise ApiError(400, "参数 format 只能是 csv 或 xlsx。", "bad_query")
    return fmt


def _download(data: bytes, content_type: str, filename: str) -> web.Response:
    # The ASCII name is for old clients; filename* carries a non-ASCII one.
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return web.Response(body=data, headers={
        "Content-Type": content_type,
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })


# ---------------------------------------------------------------- records

RECORD_QUERY = (("body", "单位代码"), ("status", "active/withdrawn/repaired/exempted/waived"),
                ("stage", "objection/correction/repair/attach/rectify"),
                ("severity", "轻微/一般/严重"), ("overdue", "true/false：异议答复、更正、公示或整改已超期"),
                ("limit", "1-200"), ("offset", "从第几条开始"))


@endpoint("GET", "/api/integrity/records", "政务失信记录列表（承办单位只看到本单位的记录）",
          roles=("supervisor", "department"), query=RECORD_QUERY)
async def list_records(request: web.Request) -> web.Response:
    viewer = require(request, "supervisor", "department")
    q = request.query
    bo = bo_of(request)
    for name, allowed in (("status", rules.STATUS_NAMES), ("stage", rules.STAGE_NAMES), ("severity", rules.SEVERITIES)):
        if q.get(name) and q[name] not in allowed:
            raise ApiError(400, f"参数 {name} 的取值不正确：{q[name]}", "bad_query")
    filters = store.RecordFilters(
        body=q.get("body") or None, status=q.get("status") or None, stage=q.get("stage") or None,
        severity=q.get("severity") or None, overdue=_bool_param(q.get("overdue"), "overdue"),
        limit=_int_param(q.get("limit"), "limit", 50, 1, 200), offset=_int_param(q.get("offset"), "offset", 0, 0, 10**9),
    )

    def work(s):
        now = bo.now()
        total, rows = store.list_records(s, filters, viewer, now)
        return {"total": total, "items": [store.record_summary(bo, r, now) for r in rows]}

    return json_ok(await in_session(request, work, write=False))


@endpoint("GET", "/api/integrity/records/{record_id}", "一条政务失信记录：状态、异议和更正时限、修复、全部事件",
          roles=("supervisor", "department"))
async def get_record(request: web.Request) -> web.Response:
    viewer = require(request, "supervisor", "department")
    bo, config, record_id = bo_of(request), config_of(request), _record_id(request)

    def work(s):
        return store.record_view(bo, s, store.get_record(s, record_id, viewer), config)

    return json_ok(await in_session(request, work, write=False))


@dataclass(frozen=True)
class RecordAction:
    path: str
    action: str
    summary: str
    body: type[BaseModel]
    to_payload: Callable[[BaseModel], dict]


RECORD_ACTIONS = [
    RecordAction("objection", "object", "提出异议（被记录单位）", ObjectionIn, lambda d: {"evidence": d.evidence}),
    RecordAction("objection/uphold", "objection_uphold", "答复异议：成立（须说明理由）", S.ReasonIn, lambda d: {}),
    RecordAction("objection/reject", "objection_reject", "答复异议：不成立（须说明理由）", S.ReasonIn, lambda d: {}),
    RecordAction("correct", "correct", "异议成立后更正记录（修改失信程度、核查情况或撤销）", CorrectionIn,
                 lambda d: {"severity": d.severity, "findings": d.findings, "withdraw": d.withdraw}),
    RecordAction("attach", "attach", "把记录认定到目录中的单位", AttachIn, lambda d: {"body_code": d.body_code}),
    RecordAction("repair", "repair_apply", "整改后申请信用修复（被记录单位，须附整改证明）", RepairIn,
                 lambda d: {"rectification": d.rectification, "evidence": d.evidence}),
    RecordAction("repair/approve", "repair_approve", "批准信用修复", S.OptionalReasonIn, lambda d: {}),
    RecordAction("repair/refuse", "repair_refuse", "不批准信用修复（须说明理由）", S.ReasonIn, lambda d: {}),
    RecordAction("exempt", "exempt", "容错免责：不列入政务失信记录（须说明理由）", ExemptIn, lambda d: {}),
    RecordAction("lighten", "lighten", "主动纠错后从轻（降低失信程度）或免于惩戒", LightenIn,
                 lambda d: {"self_correction": d.self_correction, "severity": d.severity, "waive": d.waive}),
    RecordAction("measure", "measure", "提醒、警示或约谈被记录单位", MeasureIn, lambda d: {"kind": d.kind}),
    RecordAction("rectify", "rectify_order", "责令限期整改（整改要求和期限）", RectifyOrderIn, lambda d: {"due": d.due}),
    RecordAction("rectify/report", "rectify_report", "报送整改情况（被记录单位）", RectifyReportIn, lambda d: {"report": d.report}),
    RecordAction("rectify/accept", "rectify_accept", "整改验收通过", S.OptionalReasonIn, lambda d: {}),
    RecordAction("rectify/reject", "rectify_reject", "整改未通过（须说明理由）", S.ReasonIn, lambda d: {}),
    RecordAction("publish", "publish", "公示记录", S.OptionalReasonIn, lambda d: {}),
]


def _record_handler(spec: RecordAction):
    roles = tuple(rules.RECORD_ROLES[spec.action])

    async def handler(request: web.Request) -> web.Response:
        viewer = require(request, *roles)
        bo, config, record_id = bo_of(request), config_of(request), _record_id(request)
        if viewer.role == "department":
            # Refuse a department the record is not about before reading anything it sent.
            await in_session(request, lambda s: store.get_record(s, record_id, viewer), write=False)
        data = await read_json(request, spec.body)

        def work(s):
            record, _ = store.record_act(bo, s, record_id, spec.action, viewer, config,
                                         reason=getattr(data, "reason", None), payload=spec.to_payload(data))
            return store.record_view(bo, s, record, config)

        return json_ok(await in_session(request, work))

    return handler


for _spec in RECORD_ACTIONS:
    endpoint("POST", f"/api/integrity/records/{{record_id}}/{_spec.path}", _spec.summary,
             roles=tuple(rules.RECORD_ROLES[_spec.action]), body=_spec.body)(_record_handler(_spec))


@endpoint("GET", "/api/public/integrity/records", "公示的政务失信记录（公开，不需登录；已隐去工单、核查情况和投诉人信息）",
          query=(("limit", "1-200"), ("offset", "从第几条开始")))
async def public_records(request: web.Request) -> web.Response:
    bo = bo_of(request)
    limit = _int_param(request.query.get("limit"), "limit", 50, 1, 200)
    offset = _int_param(request.query.get("offset"), "offset", 0, 0, 10**9)
    total, items = await in_session(request, lambda s: store.public_records(bo, s, limit, offset), write=False)
    return json_ok({"total": total, "items": items})


@endpoint("GET", "/api/integrity/export/records.json", "导出政务失信记录（交换格式见 docs/record-exchange.md），用于逐级归集",
          roles=("supervisor",), query=(("since", "只导出此日期以后有变化的记录，如 2026-10-01"),))
async def export_records(request: web.Request) -> web.Response:
    require(request, "supervisor")
    bo = bo_of(request)
    since = _date_param(request.query.get("since"), "since")
    doc = await in_session(request, lambda s: store.exchange_document(
        bo, s, scorecards.day_start(since) if since else None), write=False)
    return json_ok(doc)


# ---------------------------------------------------------------- scorecards, warnings, dashboard

PERIOD_QUERY = (("from", "统计期开始日期，如 2026-10-01（默认本季度第一天）"), ("to", "统计期结束日期（含当天，默认今天）"))


async def _scorecards(request: web.Request, viewer: Viewer) -> tuple[list[dict], datetime, datetime]:
    bo, config = bo_of(request), config_of(request)
    now = bo.now()
    start, end = period_of(request, now)
    bodies = [viewer.department] if viewer.role == "department" else None
    cards = await in_session(request, lambda s: scorecards.scorecards(s, bo.catalog, config, start, end, now, bodies),
                             write=False)
    return cards, start, end


@endpoint("GET", "/api/integrity/scorecards", "各单位诚信评价：按时签收/答复率、满意度、重办率、属实投诉、超期、失信记录和综合分（承办单位只看到本单位）",
          roles=("supervisor", "department"), query=PERIOD_QUERY)
async def get_scorecards(request: web.Request) -> web.Response:
    viewer = require(request, "supervisor", "department")
    cards, start, end = await _scorecards(request, viewer)
    return json_ok({"from": start.isoformat(), "to": end.isoformat(), "items": cards})


@endpoint("GET", "/api/integrity/warnings", "监测预警：属实投诉或超期工单高于本单位基线或阈值的单位，及其背后的工单",
          roles=("supervisor",))
async def get_warnings(request: web.Request) -> web.Response:
    require(request, "supervisor")
    bo, config = bo_of(request), config_of(request)
    items = await in_session(request, lambda s: scorecards.warnings(s, bo.catalog, config, bo.now()), write=False)
    return json_ok({"items": items})


@endpoint("GET", "/api/integrity/dashboard", "督办看板的图表数据", roles=("supervisor",),
          query=(("weeks", "最近几周，4-52，默认12"),))
async def get_dashboard(request: web.Request) -> web.Response:
    require(request, "supervisor")
    bo, config = bo_of(request), config_of(request)
    weeks = _int_param(request.query.get("weeks"), "weeks", 12, 4, 52)
    return json_ok(await in_session(request, lambda s: scorecards.dashboard(s, bo.catalog, config, bo.now(), weeks),
                                    write=False))


# ---------------------------------------------------------------- exports

async def scorecards_download(request: web.Request, viewer: Viewer, fmt: str) -> web.Response:
    """The scorecards of the requested period as a file (also offered on the dashboard)."""
    cards, start, end = await _scorecards(request, viewer)
    last_day = (end - timedelta(microseconds=1)).astimezone(scorecards.BEIJING).date()
    data, content_type = export.render(fmt, export.SCORECARD_COLUMNS, cards, "诚信评价")
    return _download(data, content_type, f"scorecards-{start.date()}-{last_day}.{fmt}")


async def tickets_download(request: web.Request, viewer: Viewer, fmt: str) -> web.Response:
    """The ticket list with the listing's filters as a file, without the complainant's identity."""
    bo = bo_of(request)
    page = 1000
    first = replace(listing_filters(request.query, bo.catalog), limit=page, offset=0)

    def work(s):
        total, rows = list_tickets(bo, s, first, viewer)
        if total > EXPORT_MAX_ROWS:
            raise ApiError(400, f"符合条件的工单有 {total} 件，超过单次导出上限 {EXPORT_MAX_ROWS} 件，请缩小筛选范围。",
                           "export_too_large")
        summaries = [summary_view(bo, t) for t in rows]
        for offset in range(page, total, page):
            _, more = list_tickets(bo, s, replace(first, offset=offset), viewer)
            summaries += [summary_view(bo, t) for t in more]
        return summaries

    summaries = await in_session(request, work, write=False)
    data, content_type = export.render(fmt, export.TICKET_COLUMNS, export.ticket_rows(summaries), "工单")
    return _download(data, content_type, f"tickets-{bo.now().astimezone(scorecards.BEIJING):%Y%m%d}.{fmt}")


@endpoint("GET", "/api/integrity/export/scorecards", "导出诚信评价表（CSV 或 XLSX）", roles=("supervisor",),
          query=(*PERIOD_QUERY, ("format", "csv 或 xlsx")))
async def export_scorecards(request: web.Request) -> web.Response:
    viewer = require(request, "supervisor")
    return await scorecards_download(request, viewer, _format_param(request))


@endpoint("GET", "/api/integrity/export/tickets", "导出工单列表（CSV 或 XLSX，不含投诉人身份信息）",
          roles=("supervisor", "operator"),
          query=(("state", "状态代码"), ("department", "单位代码"), ("category", "类别代码"),
                 ("overdue", "true/false"), ("format", "csv 或 xlsx")))
async def export_tickets(request: web.Request) -> web.Response:
    viewer = require(request, "supervisor", "operator")
    return await tickets_download(request, viewer, _format_param(request))
