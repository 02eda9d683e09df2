"""The console and the portal in a real browser (Debian's Chromium through
Playwright): an operator reroutes a ticket; a department signs, verifies and
replies; an operator approves an extension; a department cannot open another
department's ticket. Screenshots of the main pages go to the artifacts folder."""
import pytest
from console_site import PASSWORD
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import select

from intake_store.models import Conversation, Message, Notification

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
LAPTOP = {"width": 1366, "height": 860}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="session")
async def chromium():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_as(chromium: Browser, site, username: str | None, viewport=LAPTOP) -> Page:
    context = await chromium.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = await context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.accept()))
    await page.goto(site.base.rstrip("/") + "/login")
    if username:
        # By their labels, as a screen reader user would find them.
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.wait_for_load_state()
    return page


def url(site, path: str) -> str:
    return site.base.rstrip("/") + path


async def no_sideways_scroll(page: Page) -> bool:
    return await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


async def add_conversation(site, backoffice, texts):
    now = backoffice.now()

    def add(s):
        s.add(Conversation(id="web:citizen-1", channel="web", sender_id="citizen-1", started_at=now, last_message_at=now))
        for i, (direction, text) in enumerate(texts):
            s.add(Message(conversation_id="web:citizen-1", direction=direction, text=text, at=now, external_id=f"r{i}"))

    await site.db(add)


async def test_operator_reroutes_a_ticket(site, chromium, artifacts, backoffice):
    await add_conversation(site, backoffice, [
        ("in", "我要反映街道办不兑现承诺的事"),
        ("out", "好的，请说说具体情况。"),
        ("in", "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。"),
        ("out", "请问是哪个单位答应的？"),
        ("in", "是初家街道办答应的，还发过通知"),
        ("out", "涉及金额是多少？"),
        ("in", "每户两万，一共二十户"),
    ])
    number = await site.file(field_sources={
        "respondent": {"message_id": "r4", "text": "是初家街道办答应的，还发过通知"},
        "description": {"message_id": "r2", "text": "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。"},
        "amount_yuan": {"message_id": None, "text": "每户两万，一共二十户"},
    })
    await site.file(idempotency_key="browser-queue-0001", category_confidence=0.3, urgent=True,
                    urgency_reason="春节前农民工工资", category="wage_arrears", respondent="福山区住建局",
                    description="福山区住建局的安置房项目拖欠三十多名农民工工资，快过年了。")
    page = await open_as(chromium, site, "op1")
    await expect(page.get_by_role("heading", name="工单队列")).to_be_visible()
    await page.screenshot(path=str(artifacts / "console-queue.png"), full_page=True)
    await page.get_by_role("link", name="全部工单").click()
    await page.get_by_role("link", name=number).click()
    await expect(page.get_by_role("heading", name="会话记录")).to_be_visible()

    # The extracted field points at the message it came from.
    await page.get_by_role("link", name="被投诉单位的来源消息").click()
    source = page.locator(".msg.highlight")
    await expect(source).to_have_count(1)
    await expect(source).to_contain_text("是初家街道办答应的，还发过通知")
    await page.screenshot(path=str(artifacts / "console-ticket.png"), full_page=True)

    # 回避: the accused cannot lead; the error says why and keeps the reason typed.
    reroute = page.locator("#form-reroute")
    await reroute.get_by_label("新的主办单位").select_option("laishan_chujia")
    await reroute.get_by_label("改派理由（必填）").fill("补贴由民政部门统筹发放")
    await reroute.get_by_role("button", name="改派").click()
    await expect(page.get_by_role("alert")).to_contain_text("回避")
    await expect(page.locator("#form-reroute").get_by_label("改派理由（必填）")).to_have_value("补贴由民政部门统筹发放")

    reroute = page.locator("#form-reroute")
    await reroute.get_by_label("新的主办单位").select_option("civil_affairs")
    await reroute.get_by_role("checkbox", name="莱山区人民政府").check()
    await reroute.get_by_role("button", name="改派").click()
    await expect(page.get_by_role("status")).to_contain_text("已完成：改派。")
    history = page.locator(".history .event-reroute")
    await expect(history).to_contain_text("补贴由民政部门统筹发放")
    await expect(history).to_contain_text("烟台市民政局")
    await expect(page.locator(".facts")).to_contain_text("烟台市民政局")

    tablet = await open_as(chromium, site, "op1", viewport=TABLET)
    await tablet.goto(url(site, f"/console/tickets/{number}"))
    await tablet.screenshot(path=str(artifacts / "console-ticket-tablet.png"), full_page=True)
    assert await no_sideways_scroll(tablet)
    await page.context.close()
    await tablet.context.close()


async def test_department_signs_verifies_replies_and_operator_approves_an_extension(site, chromium, artifacts):
    number = await site.file()
    dept = await open_as(chromium, site, "laishan1")
    await expect(dept.get_by_role("heading", name="烟台市莱山区人民政府 · 工单收件箱")).to_be_visible()
    row = dept.get_by_role("row").filter(has_text=number)
    await expect(row).to_contain_text("2026年11月17日（星期二）24:00前")  # 签收 due, 北京时间
    await dept.screenshot(path=str(artifacts / "portal-inbox.png"), full_page=True)
    await row.get_by_role("link", name=number).click()

    await dept.locator("#form-accept").get_by_role("button", name="签收").click()
    await expect(dept.get_by_role("status")).to_contain_text("已完成：签收。")
    await expect(dept.locator("#form-return")).to_have_count(0)  # no 退单 after 签收

    verify = dept.locator("#form-verify")
    await verify.get_by_label("属实", exact=True).check()
    await verify.get_by_label("核查情况（必填）").fill("经核查，街道确未拨付加装电梯补贴。")
    await verify.get_by_role("button", name="提交核查结果").click()
    await expect(dept.get_by_role("status")).to_contain_text("已完成：核查。")

    extension = dept.locator("#form-extension")
    await extension.get_by_label("新的办理期限").fill("2026-12-18")
    await extension.get_by_label("延期理由（必填，批准后会告知投诉人）").fill("补贴资金需区财政月底统一拨付")
    await extension.get_by_role("button", name="申请延期").click()
    await expect(dept.locator("main")).to_contain_text("延期申请（延至 2026年12月18日）待热线审批")

    op = await open_as(chromium, site, "op1")
    await op.get_by_role("link", name="延期待审批").click()
    await op.get_by_role("link", name=number).click()
    await expect(op.get_by_role("heading", name="延期申请待审批")).to_be_visible()
    await expect(op.locator(".highlight-panel")).to_contain_text("补贴资金需区财政月底统一拨付")
    await op.screenshot(path=str(artifacts / "console-extension.png"), full_page=True)
    await op.get_by_role("button", name="批准延期", exact=True).click()
    await expect(op.get_by_role("status")).to_contain_text("已完成：批准延期。")
    await expect(op.locator(".clocks")).to_contain_text("2026年12月18日（星期五）24:00前")

    await dept.reload()
    reply = dept.locator("#form-reply")
    await reply.get_by_label("答复内容（将发送给投诉人）").fill("补贴将于12月18日前发放到户，如有疑问请联系街道民生办。")
    await reply.get_by_role("button", name="发送答复").click()
    await expect(dept.get_by_role("status")).to_contain_text("已完成：答复。")
    await expect(dept.locator(".ticket-title")).to_contain_text("已答复")
    await expect(dept.locator(".history")).to_contain_text("补贴将于12月18日前发放到户")
    await dept.screenshot(path=str(artifacts / "portal-ticket.png"), full_page=True)

    def citizen_messages(s):
        return s.execute(select(Notification.kind, Notification.body).where(Notification.recipient == "web:citizen-1")
                         .order_by(Notification.id)).all()

    kinds = dict(await site.db(citizen_messages))
    assert "区财政月底统一拨付" in kinds["citizen_extension_approve"]
    assert "补贴将于12月18日前发放到户" in kinds["citizen_reply"]
    await dept.context.close()
    await op.context.close()


async def test_a_department_user_cannot_open_another_departments_ticket(site, chromium, artifacts):
    number = await site.file()
    other = await open_as(chromium, site, "huanbao1")
    await expect(other.get_by_role("heading", name="烟台市生态环境局 · 工单收件箱")).to_be_visible()
    await expect(other.locator("main")).not_to_contain_text(number)
    response = await other.goto(url(site, f"/portal/tickets/{number}"))
    assert response.status == 404
    await expect(other.get_by_role("alert")).to_have_text("没有找到这张工单。")
    await expect(other.locator("main")).not_to_contain_text("加装电梯")
    await other.screenshot(path=str(artifacts / "portal-refused.png"), full_page=True)
    await other.goto(url(site, f"/console/tickets/{number}"))
    await expect(other.get_by_role("alert")).to_have_text("您的账号无权打开这个页面。")

    nobody = await open_as(chromium, site, None)
    await nobody.goto(url(site, f"/portal/tickets/{number}"))
    await expect(nobody.get_by_role("heading", name="工作人员登录")).to_be_visible()
    await nobody.screenshot(path=str(artifacts / "login.png"))
    await other.context.close()
    await nobody.context.close()


async def test_script_in_a_complaint_stays_text_and_long_text_keeps_the_layout(site, chromium):
    attack = '<script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">'
    long_word = "拖欠工程款" * 60 + "A" * 120  # no break opportunity for the browser to use
    number = await site.file(description=f"{attack}{long_word}", respondent=f"初家街道办{attack}{long_word}"[:200],
                             promise=attack, evidence=long_word)
    for who, path in (("op1", f"/console/tickets/{number}"), ("op1", "/console/?tab=all"),
                      ("laishan1", f"/portal/tickets/{number}"), ("laishan1", "/portal/")):
        for viewport in (LAPTOP, TABLET):
            page = await open_as(chromium, site, who, viewport=viewport)
            await page.goto(url(site, path))
            assert await page.evaluate("window.hacked") is None and page.dialogs == []
            await expect(page.locator("main")).to_contain_text("<script>window.hacked = 1</script>")
            assert await no_sideways_scroll(page), (path, viewport)
            await page.context.close()
