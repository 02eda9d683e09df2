"""The supervisor dashboard (/console/dashboard) and the files it loads.

The page uses the console's sign-in, layout and navigation (`console.pages`);
its figures come from `scorecards.dashboard` and are drawn in the browser by
ECharts. ECharts is installed from npm (`package.json`; `make run` and
`make test` run `npm ci` when it is missing) and served by the app, never
from a CDN. The console's content security policy allows only our own
scripts, so the figures travel in a JSON data block, not in inline script.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ..console.pages import NavLink, add_pages, bo_of, render, signed_in
from ..settings import ROOT
from ..web import ApiError, in_session
from . import scorecards
from .api import CONFIG, _format_param, endpoint, scorecards_download, tickets_download

ECHARTS = ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
HERE = Path(__file__).resolve().parent
ASSETS = {"dashboard.js": HERE / "static" / "dashboard.js", "dashboard.css": HERE / "static" / "dashboard.css"}
CACHE = {"Cache-Control": "public, max-age=3600"}
PATH = "/console/dashboard"

pages = web.RouteTableDef()  # HTML pages: the console's area, not the API document


def setup(app: web.Application) -> None:
    add_pages(app, str(HERE / "templates"), NavLink("督办看板", PATH, ("supervisor",)))
    app.router.add_routes(pages)


@pages.get(PATH)
async def dashboard_page(request: web.Request) -> web.Response:
    signed_in(request, "supervisor")
    bo, config = bo_of(request), request.app[CONFIG]
    data = await in_session(request, lambda s: scorecards.dashboard(s, bo.catalog, config, bo.now()), write=False)
    return render(request, "integrity/dashboard.html", {"data": data})


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
