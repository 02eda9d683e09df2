"""The supervisor dashboard (/console/dashboard) and the files it loads.

The page uses the console's sign-in, layout and navigation (`console.pages`);
its figures come from `scorecards.dashboard` and are drawn in the browser by
ECharts. ECharts is installed from npm (`package.json`; `make run` and
`make test` run `npm ci` when it is missing) and served by the app, never
from a CDN. The console's content security policy allows only our own
scripts, so the figures travel in a JSON data block, not in inline script.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from aiohttp import web
from pydantic import Field, ValidationError

from .. import schemas as S
from ..console.pages import NavLink, add_pages, bo_of, form_errors, form_model, form_of, redirect, render, signed_in
from ..console.ticket_forms import posted_values
from ..console.views_operator import departments_by_level
from ..lifecycle import TransitionError
from ..settings import ROOT
from ..web import ApiError, in_session
from . import debtors, promises, scorecards
from .api import CONFIG, _format_param, endpoint, scorecards_download, tickets_download

ECHARTS = ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
HERE = Path(__file__).resolve().parent
ASSETS = {"dashboard.js": HERE / "static" / "dashboard.js", "dashboard.css": HERE / "static" / "dashboard.css"}
CACHE = {"Cache-Control": "public, max-age=3600"}
PATH = "/console/dashboard"

pages = web.RouteTableDef()  # HTML pages: the console's area, not the API document


def setup(app: web.Application) -> None:
    add_pages(app, str(HERE / "templates"), NavLink("督办看板", PATH, ("supervisor",)),
              labels={"listed_on": "列入名单日期", "case_number": "执行案号", "note": "备注"})
    app.router.add_routes(pages)


class ListingIn(S.Strict):
    body_code: str = Field(min_length=1, max_length=64)
    listed_on: date
    case_number: str = Field(min_length=1, max_length=100)  # 执行案号
    note: str | None = Field(default=None, max_length=2000)


@pages.get(PATH)
async def dashboard_page(request: web.Request) -> web.Response:
    signed_in(request, "supervisor")
    return await _dashboard(request)


async def _dashboard(request: web.Request, *, errors: list[str] | None = None, posted: dict | None = None,
                     status: int = 200) -> web.Response:
    bo, config = bo_of(request), request.app[CONFIG]

    def work(s):
        now = bo.now()
        _, overdue = promises.list_promises(s, promises.PromiseFilters(status="overdue", limit=50), now)
        return {"data": scorecards.dashboard(s, bo.catalog, config, now),
                "promises_overdue": [promises.summary(bo, p, now) for p in overdue],
                "debtors": debtors.by_body(s, bo.catalog, now)}

    ctx = await in_session(request, work, write=False)
    return render(request, "integrity/dashboard.html", {
        **ctx, "departments": departments_by_level(bo), "errors": errors or [],
        "error_form": "listing" if errors else "", "posted": posted or {},
        "done": request.query.get("done") == "listing"}, status=status)


@pages.post(PATH + "/debtors")
async def record_listing(request: web.Request) -> web.Response:
    """A supervisor records a body the court listed as 失信被执行人."""
    me = signed_in(request, "supervisor")
    bo = bo_of(request)
    form = await form_of(request)
    try:
        d = form_model(ListingIn, form, lists=())
        await in_session(request, lambda s: debtors.record_listing(
            s, bo.catalog, d.body_code, d.listed_on, d.case_number, d.note, me.viewer, bo.now()))
    except (ValidationError, TransitionError) as e:
        return await _dashboard(request, errors=form_errors(request, e), posted=posted_values(form), status=422)
    return redirect(PATH + "?done=listing#debtors")


@pages.get(PATH + "/scorecards.{format}")
async def scorecards_file(request: web.Request) -> web.Response:
    me = signed_in(request, "supervisor")
    return await scorecards_download(request, me.viewer, _format_param(request, request.match_info["format"]))


@pages.get(PATH + "/tickets.{format}")
async def tickets_file(request: web.Request) -> web.Response:
    me = signed_in(request, "supervisor")
    return await tickets_download(request, me.viewer, _format_param(request, request.match_info["format"]))


@endpoint("GET", "/static/vendor/echarts.min.js", "图表库 ECharts（由本服务提供，不用外部 CDN）")
async def echarts(request: web.Request) -> web.StreamResponse:
    if not ECHARTS.is_file():
        raise ApiError(404, "图表库 ECharts 尚未安装：请在项目根目录运行 npm ci（make run 和 make test 会自动安装）。",
                       "echarts_missing")
    return web.FileResponse(ECHARTS, headers={**CACHE, "Content-Type": "text/javascript; charset=utf-8"})


@endpoint("GET", "/static/integrity/{name}", "督办看板的脚本和样式")
async def asset(request: web.Request) -> web.StreamResponse:
    path = ASSETS.get(request.match_info["name"])
    if path is None:
        raise ApiError(404, "没有这个文件。", "not_found")
    kind = "text/javascript" if path.suffix == ".js" else "text/css"
    return web.FileResponse(path, headers={**CACHE, "Content-Type": f"{kind}; charset=utf-8"})
