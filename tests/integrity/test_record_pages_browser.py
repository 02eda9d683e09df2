"""The record pages in a real browser (Debian's Chromium): a supervisor works the
lists and a record (认定单位, 公示, 约谈, 责令整改, 异议答复, 容错免责, 从轻, 整改验收);
the recorded department files an objection, applies for repair and reports its
整改 in the portal; an operator registers a promise from a ticket, which the
dashboard shows once it is overdue, beside the 失信被执行人 count. A refused form says why in Chinese and keeps what was typed.
Screenshots go to test-artifacts/."""
import asyncio
import re
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from integrity_work import file, work
from playwright.async_api import async_playwright, expect
from sqlalchemy import text

from intake_store.app import create_app
from intake_store.console.accounts import create_account
from intake_store.db import session_scope
from intake_store.integrity import store
from intake_store.jobs.runner import sweep
from intake_store.settings import Settings

PASSWORD = "信用办-Records-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ACCOUNT_TABLES = ["login_attempt", "login_session", "account"]
PEOPLE = [("sup1", "信用办刘强", "supervisor", None), ("caizheng1", "财政局孙丽", "department", "finance"),
          ("shangwu1", "商务局周涛", "department", "commerce"), ("op1", "话务员张敏", "operator", None)]


def record_ids(bo) -> list[int]:
    with session_scope(bo.engine) as s:
        _, rows = store.list_records(s, store.RecordFilters(), store.Viewer("supervisor", "test"), bo.now())
        return sorted(r.id for r in rows)


@pytest.fixture
async def site(bo):
    server = TestServer(create_app(Settings(database_url="sqlite://", jobs_interval_seconds=3600,
                                            session_cookie_secure=False), backoffice=bo), host="127.0.0.1")
    await server.start_server()

    def prepare():
        work(bo, confirm=False)  # the citizen's word only: waits for a supervisor to attach a body
        work(bo)  # 财政局, confirmed in the 核查
        work(bo, description="市财政局拖欠我们的设备款12万元。", amount_yuan=120000)
        with session_scope(bo.engine) as s:
            for username, name, role, dept in PEOPLE:
                create_account(s, username=username, display_name=name, role=role, department=dept,
                               password=PASSWORD, now=bo.now())

    await asyncio.to_thread(prepare)
    yield str(server.make_url("")).rstrip("/")
    await server.close()
    with bo.engine.begin() as c:
        for table in ACCOUNT_TABLES:
            c.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def chromium():
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_as(chromium, base: str, username: str, then: str):
    context = await chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                         timezone_id="Asia/Shanghai")
    page = await context.new_page()
    await page.goto(base + then)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**" + then)
    return page


async def test_supervisor_and_department_work_records_through_the_pages(site, bo, chromium, artifacts):
    waiting, confirmed, third = record_ids(bo)
    sup = await open_as(chromium, site, "sup1", "/console/records")
    await expect(sup.locator("nav.top-nav a[aria-current=page]")).to_have_text("失信记录")
    await expect(sup.get_by_role("heading", name="待认定单位（1 条）")).to_be_visible()
    await expect(sup.get_by_role("link", name="待公示 2")).to_be_visible()
    await sup.screenshot(path=str(artifacts / "records-list.png"), full_page=True)

    # 认定单位: the record waiting for a confirmed body.
    await sup.click(f"text=记录 {waiting}")
    await sup.locator("#form-attach").get_by_label("被记录单位（必选）").select_option("finance")
    await sup.locator("#form-attach").get_by_role("button", name="认定").click()
    await expect(sup.get_by_role("status")).to_have_text("已完成：认定被记录单位。")
    await expect(sup.locator(".facts")).to_contain_text("烟台市财政局")
    await expect(sup.locator(".clocks")).to_contain_text("公示")
    # 容错免责 with reasons: the record no longer stands, and no form is offered any more.
    await sup.locator("#form-exempt").get_by_label("理由（必填，写明符合哪种容错情形）").fill("先行先试中因政策调整出现的失误")
    await sup.locator("#form-exempt").get_by_role("button", name="容错免责").click()
    await expect(sup.locator(".ticket-title")).to_contain_text("容错免责")
    await expect(sup.locator("#work-title")).to_have_count(0)
    await expect(sup.locator(".history")).to_contain_text("先行先试中因政策调整出现的失误")

    # 公示, 约谈, and 整改 with a deadline; a deadline of today is refused and nothing typed is lost.
    await sup.goto(f"{site}/console/records/{confirmed}")
    await sup.locator("#form-publish").get_by_role("button", name="公示").click()
    await expect(sup.get_by_role("status")).to_have_text("已完成：公示。")
    await expect(sup.locator(".ticket-title")).to_contain_text("已公示")
    await sup.locator("#form-measure").get_by_label("约谈").check()
    await sup.locator("#form-measure").get_by_label("事由（必填）").fill("尾款拖欠逾一年，约谈分管负责人")
    await sup.locator("#form-measure").get_by_role("button", name="记录").click()
    await expect(sup.locator(".steps")).to_contain_text("约谈")
    form = sup.locator("#form-rectify")
    await form.get_by_label("整改期限").fill("2026-11-16")
    await form.get_by_label("整改要求（必填）").fill("12月底前付清尾款38万元")
    await form.get_by_role("button", name="下达整改").click()
    await expect(sup.get_by_role("alert")).to_contain_text("请填写晚于今天的整改期限。")
    await expect(sup.locator("#form-rectify").get_by_label("整改要求（必填）")).to_have_value("12月底前付清尾款38万元")
    await sup.locator("#form-rectify").get_by_label("整改期限").fill("2026-12-31")
    await sup.locator("#form-rectify").get_by_role("button", name="下达整改").click()
    await expect(sup.get_by_role("status")).to_have_text("已完成：责令限期整改。")
    await expect(sup.locator(".clocks")).to_contain_text("2026年12月31日")
    await expect(sup.locator(".history")).to_contain_text("整改期限2026年12月31日")

    # The department: its own records only; an objection with evidence, a 整改 report.
    dept = await open_as(chromium, site, "caizheng1", "/portal/records")
    await expect(dept.locator("nav.top-nav a[aria-current=page]")).to_have_text("本单位失信记录")
    await expect(dept.locator("#records tbody tr")).to_have_count(3)
    await dept.click(f"text=记录 {confirmed}")
    await dept.locator("#form-objection").get_by_label("证明材料（可选）").fill("付款计划批复文件")
    await dept.locator("#form-objection").get_by_label("异议理由（必填）").fill("   ")  # blank to the server
    await dept.locator("#form-objection").get_by_role("button", name="提出异议").click()
    await expect(dept.get_by_role("alert")).to_contain_text("理由：缺少必填字段")
    await expect(dept.locator("#form-objection").get_by_label("证明材料（可选）")).to_have_value("付款计划批复文件")
    await dept.locator("#form-objection").get_by_label("异议理由（必填）").fill("尾款已列入年度预算，未逾期")
    await dept.locator("#form-objection").get_by_role("button", name="提出异议").click()
    await expect(dept.get_by_role("status")).to_have_text("已完成：提出异议。")
    await expect(dept.locator(".steps")).to_contain_text("待答复")
    await dept.screenshot(path=str(artifacts / "record-portal.png"), full_page=True)

    # The supervisor finds it among the objections and answers it.
    await sup.goto(f"{site}/console/records?queue=objection")
    await sup.click(f"text=记录 {confirmed}")
    await sup.locator("#form-objection-reject").get_by_label("答复理由（必填）").fill("合同约定2025年付清，已逾期")
    await sup.locator("#form-objection-reject").get_by_role("button", name="异议不成立").click()
    await expect(sup.locator(".steps")).to_contain_text("异议不成立：合同约定2025年付清，已逾期")

    await dept.reload()
    await dept.locator("#form-rectify-report").get_by_label("整改情况（必填）").fill("尾款38万元已于12月5日支付")
    await dept.locator("#form-rectify-report").get_by_role("button", name="报送").click()
    await expect(dept.get_by_role("status")).to_have_text("已完成：报送整改情况。")
    await dept.locator("#form-repair").get_by_label("整改情况（必填）").fill("尾款已全额支付")
    await dept.locator("#form-repair").get_by_label("整改证明材料（必填）").fill("银行付款回单")
    await dept.locator("#form-repair").get_by_role("button", name="提交").click()
    await expect(dept.get_by_role("status")).to_have_text("已完成：申请信用修复。")

    await sup.reload()
    await sup.locator("#form-rectify-accept").get_by_role("button", name="验收通过").click()
    await expect(sup.locator(".steps")).to_contain_text("整改验收通过")
    await sup.locator("#form-repair-approve").get_by_role("button", name="批准").click()
    await expect(sup.locator(".ticket-title")).to_contain_text("已修复")
    history = sup.locator(".history")
    for step in ("记入政务失信记录", "公示", "提醒、警示或约谈", "责令限期整改", "提出异议", "异议不成立",
                 "报送整改情况", "整改验收通过", "申请信用修复", "批准信用修复"):
        await expect(history).to_contain_text(step)
    await sup.screenshot(path=str(artifacts / "record-console.png"), full_page=True)

    # 从轻: after self-correction, a lighter severity by a recorded decision.
    await sup.goto(f"{site}/console/records/{third}")
    form = sup.locator("#form-lighten")
    await form.get_by_label("主动纠错情况（必填）").fill("接到投诉后三日内主动付清设备款")
    await form.get_by_label("减轻为").select_option("轻微")
    await form.get_by_label("决定理由（必填）").fill("主动挽回损失")
    await form.get_by_role("button", name="决定").click()
    await expect(sup.locator(".facts")).to_contain_text("轻微")


async def test_record_pages_refuse_other_roles_other_bodies_and_forms_without_a_token(site, bo):
    _, confirmed, _ = record_ids(bo)

    async def signed_in(username):
        http = aiohttp.ClientSession(base_url=site, cookie_jar=aiohttp.CookieJar(unsafe=True))
        login = await (await http.get("/login")).text()
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        await http.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        return http

    op, other, dept = await signed_in("op1"), await signed_in("shangwu1"), await signed_in("caizheng1")
    try:
        r = await op.get("/console/records")
        assert r.status == 403 and "您的账号无权打开这个页面。" in await r.text()
        r = await other.get(f"/portal/records/{confirmed}")  # a record about 财政局, not 商务局
        assert r.status == 404 and "没有找到这条政务失信记录。" in await r.text()
        r = await dept.get("/portal/records/abc")
        assert r.status == 404 and "没有找到这条政务失信记录。" in await r.text()
        r = await dept.post(f"/portal/records/{confirmed}/objection", data={"reason": "无令牌"}, allow_redirects=False)
        assert r.status == 403 and "页面已过期或来源不正确" in await r.text()
        page = await (await dept.get(f"/portal/records/{confirmed}")).text()
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = await dept.post(f"/portal/records/{confirmed}/publish", data={"csrf_token": token})
        assert r.status in (403, 404, 405)  # departments have no publish form at all
        r = await dept.post(f"/portal/records/{confirmed}/objection", data={"reason": "x" * 2001, "csrf_token": token})
        assert r.status == 422 and "理由：" in await r.text()
    finally:
        for http in (op, other, dept):
            await http.close()


async def test_operator_registers_a_promise_from_a_ticket_and_supervisors_see_it_overdue(site, bo, clock, chromium,
                                                                                        artifacts):
    number = await asyncio.to_thread(file, bo, promise="信息化项目尾款38万元", reference="YTCG-2024-118")
    op = await open_as(chromium, site, "op1", f"/console/tickets/{number}")
    await op.get_by_role("link", name="据此登记信用承诺或政府合同").click()
    form = op.locator("#form-register")
    await expect(form.get_by_label("承诺内容")).to_have_value("信息化项目尾款38万元")  # from the ticket
    await expect(form.get_by_label("合同或文件编号（可不填）")).to_have_value("YTCG-2024-118")
    await form.get_by_label("政府合同").check()
    await form.get_by_label("承诺单位").select_option("finance")
    await form.get_by_label("承诺对象（对谁承诺，如企业名称）").fill("烟台某信息技术有限公司")
    await form.get_by_label("金额（元，可不填）").fill("三十八万")
    await form.get_by_label("履行期限").fill("2026-11-30")
    await form.get_by_role("button", name="登记").click()
    await expect(op.get_by_role("alert")).to_contain_text("金额（元）：")
    form = op.locator("#form-register")
    await expect(form.get_by_label("承诺对象（对谁承诺，如企业名称）")).to_have_value("烟台某信息技术有限公司")
    await form.get_by_label("金额（元，可不填）").fill("380000")
    await form.get_by_role("button", name="登记").click()
    await expect(op.get_by_role("status")).to_have_text("已完成：登记。")
    await expect(op.locator("#linked-tickets")).to_contain_text(number)
    await expect(op.locator(".history")).to_contain_text("关联投诉工单")
    await op.screenshot(path=str(artifacts / "promise-console.png"), full_page=True)
    await op.goto(f"{site}/console/promises?ticket={number}")  # from the ticket again: its promise is shown
    await expect(op.locator("#ticket-promises")).to_contain_text(re.compile(r"承诺 \d+"))

    clock.set(clock() + timedelta(days=15))  # Tuesday 1 December: past due, nothing recorded
    report = await asyncio.to_thread(sweep, bo)
    assert report.actions["promise_overdue"] == 1
    sup = await open_as(chromium, site, "sup1", "/console/dashboard")
    overdue = sup.locator("#promises-overdue")
    await expect(overdue).to_contain_text("烟台市财政局")
    await expect(overdue).to_contain_text("2026年11月30日")
    listing = sup.locator("#form-listing")
    await listing.get_by_label("单位").select_option("sasac")
    await listing.get_by_label("列入名单日期").fill("2026-11-20")
    await listing.get_by_label("执行案号").fill("(2026)鲁06执123号")
    await listing.get_by_role("button", name="登记").click()
    await expect(sup.locator("#debtors-table")).to_contain_text("烟台市人民政府国有资产监督管理委员会")
    await expect(sup.locator("#debtors-table")).to_contain_text("增加1")
    await sup.screenshot(path=str(artifacts / "dashboard-promises-debtors.png"), full_page=True)
