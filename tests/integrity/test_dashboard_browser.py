"""The supervisor dashboard in a real browser (Debian's Chromium): a supervisor
signs in, the four ECharts charts are drawn from real figures, the warnings and
the ranking are listed; screenshots go to test-artifacts/."""
import asyncio
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from integrity_work import file, work
from playwright.async_api import async_playwright
from sqlalchemy import text

from intake_store.app import create_app
from intake_store.console.accounts import create_account
from intake_store.db import session_scope
from intake_store.settings import Settings
from vocabulary.codes import SATISFACTION

PASSWORD = "督办-Dashboard-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ACCOUNT_TABLES = ["login_attempt", "login_session", "account"]

# Once the page has loaded its deferred scripts have run: a chart box without an
# ECharts instance will never be drawn, so the answer is ready at once; a drawn
# one says so when ECharts reports it finished.
CHARTS_STATE = """
() => new Promise(resolve => {
  const boxes = [...document.querySelectorAll('.chart')];
  const state = () => boxes.map(el => {
    const chart = window.echarts && window.echarts.getInstanceByDom(el);
    const option = chart ? chart.getOption() : null;
    return {id: el.id, drawn: el.dataset.rendered === 'true', instance: !!chart,
            series: option ? option.series.map(s => ({type: s.type, name: s.name || '', data: s.data})) : [],
            y: option && option.yAxis && option.yAxis.length ? option.yAxis[0].data : null};
  });
  const check = () => {
    const now = state();
    if (now.every(c => c.drawn) || now.some(c => !c.instance)) { resolve(now); } else { requestAnimationFrame(check); }
  };
  check();
})
"""


def history(bo, clock):
    """Four months of complaints: finance's substantiated complaints rise in the last 30 days."""
    t0 = clock()
    ratings = list(SATISFACTION)
    for window, finance in enumerate([1, 1, 1, 4]):
        clock.set(t0 + timedelta(days=30 * window + 1))
        for i in range(finance):
            work(bo, result="substantiated", satisfaction=ratings[(window + i) % 3])
        work(bo, result="partly_substantiated", category="wage_arrears", respondent="市住建局", satisfaction=ratings[window])
        work(bo, result="unsubstantiated", category="approval", respondent="行政审批局", satisfaction="satisfied")
        file(bo, category="procurement", respondent="公共资源交易中心")  # never signed for: a missed deadline
    clock.set(t0 + timedelta(days=120))


@pytest.fixture
async def site(bo, clock):
    server = TestServer(create_app(Settings(database_url="sqlite://", jobs_interval_seconds=3600,
                                            session_cookie_secure=False), backoffice=bo), host="127.0.0.1")
    await server.start_server()

    def prepare():
        history(bo, clock)
        with session_scope(bo.engine) as s:
            create_account(s, username="sup1", display_name="督办员刘强", role="supervisor", password=PASSWORD, now=bo.now())
            create_account(s, username="op1", display_name="话务员张敏", role="operator", password=PASSWORD, now=bo.now())

    # Database work off the event loop: the app's outbox sender needs the loop to finish its transactions.
    await asyncio.to_thread(prepare)
    yield str(server.make_url(""))
    await server.close()
    with bo.engine.begin() as c:
        for table in ACCOUNT_TABLES:
            c.execute(text(f"DELETE FROM {table}"))


async def sign_in(page, base: str, username: str, then: str) -> None:
    await page.goto(base + then)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_url("**" + then)


async def test_supervisor_sees_the_charts_drawn_with_data(site, artifacts):
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page = await context.new_page()
            page.set_default_timeout(0)
            problems = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url')}")
                    if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
            await sign_in(page, site, "sup1", "/console/dashboard")
            charts = {c["id"]: c for c in await page.evaluate(CHARTS_STATE)}
            await page.screenshot(path=str(artifacts / "integrity-dashboard.png"), full_page=True)
            await page.set_viewport_size({"width": 820, "height": 1180})
            await page.evaluate(CHARTS_STATE)
            await page.screenshot(path=str(artifacts / "integrity-dashboard-tablet.png"), full_page=True)

            assert problems == []  # no script errors, nothing refused by the content security policy
            assert set(charts) == {"chart-trend", "chart-ranking", "chart-heat", "chart-satisfaction"}
            assert all(c["drawn"] for c in charts.values())
            trend = {s["name"]: s["data"] for s in charts["chart-trend"]["series"]}
            assert {"拖欠企业账款", "拖欠农民工工资", "行政审批超时限、未履行告知、违规操作"} <= set(trend)
            # The 12 weeks start on Monday 28 December: the weeks of 16 January and 15 February.
            assert trend["拖欠企业账款"] == [0, 0, 1, 0, 0, 0, 0, 4, 0, 0, 0, 0]
            ranking = charts["chart-ranking"]
            assert ranking["series"][0]["type"] == "bar" and ranking["y"][-1] == "财政局"  # the lowest on top
            assert [bar["value"] for bar in ranking["series"][0]["data"]][-1] == 0
            heat = charts["chart-heat"]
            # 财政局 never signed for the procurement tickets it leads; 人社局 never signed
            # again for the wage complaint reopened after 不满意.
            assert heat["series"][0]["type"] == "heatmap" and heat["y"] == ["财政局", "人力资源社会保障局"]
            assert sorted(heat["series"][0]["data"]) == [[3, 0, 1], [7, 0, 1], [7, 1, 1], [8, 0, 1], [8, 1, 1]]
            pie = {d["name"]: d["value"] for d in charts["chart-satisfaction"]["series"][0]["data"]}
            assert pie == {"非常满意": 2, "满意": 3, "一般": 3, "不满意": 1}

            warning = page.locator("#warnings tbody tr", has_text="烟台市财政局")
            assert "近30天经核查属实的投诉4件" in await warning.inner_text()
            assert await warning.locator("a").count() >= 4
            assert await page.locator("#ranking tbody tr").count() == len(ranking["y"])
            assert await page.locator("nav.top-nav a[aria-current=page]").inner_text() == "督办看板"
            async with page.expect_download() as download:
                await page.click("text=诚信评价表 XLSX")
            assert (await download.value).suggested_filename.endswith(".xlsx")
        finally:
            await browser.close()


async def test_only_supervisors_open_the_dashboard(site):
    async with aiohttp.ClientSession(base_url=site, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        r = await http.get("/console/dashboard", allow_redirects=False)
        assert r.status == 303 and r.headers["Location"].startswith("/login?next=")
        login = await (await http.get("/login")).text()
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        await http.post("/login", data={"username": "op1", "password": PASSWORD, "csrf_token": token})
        r = await http.get("/console/dashboard")
        assert r.status == 403 and "您的账号无权打开这个页面。" in await r.text()
        r = await http.get("/console/dashboard/scorecards.csv")
        assert r.status == 403
