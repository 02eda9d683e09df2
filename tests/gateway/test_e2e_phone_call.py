"""A complaint taken by phone, then checked and rated by the caller on the web
chat page: an operator files it in the console (新来电) in a real browser, the
department answers, and the caller gives the number and query code read to
them to the real assistant (Rasa server and action server)."""
from __future__ import annotations

import asyncio

import pytest
from page_driver import count, type_and_send, wait_for_answer
from playwright.async_api import expect

from intake_store.console.accounts import create_account
from intake_store.db import session_scope
from intake_store.tickets.commands import act
from intake_store.tickets.history import events_of
from intake_store.tickets.lookup import get_ticket
from intake_store.tickets.viewer import Viewer

pytestmark = pytest.mark.rasa
PASSWORD = "长城-Great-Wall-2026"
CALL = "我们公司给莱山区初家街道办修了小区道路，验收合格，结算八十六万，至今还欠五十二万工程款，街道说没钱。"
WAIT = {"timeout": 0}  # what the page should show, however long it takes


def add_operator(engine, now) -> None:
    with session_scope(engine) as s:
        create_account(s, username="op-phone", display_name="话务员孙丽", role="operator", department=None,
                       password=PASSWORD, now=now)


def department_replies(bo, engine, number: str) -> None:
    """The lead department signs for the ticket, verifies it and replies."""
    operator = Viewer("operator", "话务员孙丽")
    with session_scope(engine) as s:
        ticket = get_ticket(s, number)
        if ticket.state == "submitted":
            lead = events_of(s, ticket)[0].payload["suggested_lead"]
            act(bo, s, number, "dispatch", operator, payload={"lead": lead, "co": []})
    with session_scope(engine) as s:
        ticket = get_ticket(s, number)
        dept = Viewer("department", bo.catalog.name_of(ticket.lead_code), ticket.lead_code)
        act(bo, s, number, "accept", dept)
        act(bo, s, number, "verify", dept, payload={"result": "substantiated", "findings": "工程款未按期支付"})
        act(bo, s, number, "reply", dept, payload={"text": "已协调区财政，工程款12月底前付清。"})


async def test_a_caller_checks_and_rates_by_number_and_query_code_on_the_web_chat(chromium, live, artifacts):
    bo = live.backoffice
    await asyncio.to_thread(add_operator, live.engine, bo.now())
    base = str(live.client.make_url("/")).rstrip("/")

    # The operator takes the call.
    console = await chromium.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    page = await console.new_page()
    try:
        await page.goto(base + "/login")
        await page.get_by_label("用户名").fill("op-phone")
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("link", name="新来电").click()
        await page.get_by_label("来电人反映的事情（可直接粘贴）").fill(CALL)
        await expect(page.get_by_label("涉及金额（元）")).to_have_value("520000", **WAIT)
        await expect(page.get_by_label("被投诉单位")).not_to_have_value("", **WAIT)
        await page.get_by_label("被投诉单位").fill("莱山区初家街道办事处")
        await page.get_by_label("联系电话").fill("13905351234")
        await page.get_by_label("不同意（只有热线工作人员能看到）").check()
        await page.get_by_role("button", name="受理").click()
        await expect(page.get_by_role("heading", name="已受理")).to_be_visible(**WAIT)
        number = (await page.locator("#filed-number").text_content()).strip()
        code = (await page.locator("#filed-code").text_content()).strip()
    finally:
        await console.close()

    await asyncio.to_thread(department_replies, bo, live.engine, number)

    # Days later the caller opens the web chat with what the operator read out.
    chat = await chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = await chat.new_page()
    page.set_default_timeout(0)
    try:
        await page.goto(base + "/")
        await expect(page.locator("#status")).to_contain_text("已连接", **WAIT)
        answer = await type_and_send(page, f"查一下进度，工单号{number}，查询码{code}")
        said = "\n".join(text for text, _ in answer)
        assert number in said and "已协调区财政，工程款12月底前付清。" in said, answer
        assert any("满意" in buttons for _, buttons in answer), answer

        before = await count(page)
        await page.get_by_role("button", name="满意", exact=True).last.click()
        thanks = await wait_for_answer(page, before)
        assert any("感谢您的评价" in text for text, _ in thanks), thanks
        await page.screenshot(path=str(artifacts / "webchat-phone-caller-rates.png"))
    finally:
        await chat.close()

    with session_scope(live.engine) as s:
        ticket = get_ticket(s, number)
        events = events_of(s, ticket)
    assert ticket.channel == "phone" and ticket.state == "closed"
    assert events[-1].action == "follow_up" and events[-1].payload["satisfaction"] == "satisfied"
