"""The chat page in a real browser (Debian's Chromium), with the scripted
assistant: what a person sees and can do with keyboard, phone and desktop."""
from __future__ import annotations

import pytest
from conftest import DESKTOP, PHONE_SCREEN
from fake_rasa import free_port
from gateway_support import settings_for, start_chat
from page_driver import ANY_REPLY, count, type_and_send, wait_for_answer
from playwright.async_api import expect

from bot.gateway import texts


async def open_page(chromium, served, viewport=DESKTOP, *, websocket=True):
    context = await chromium.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    if not websocket:
        await context.add_init_script("delete window.WebSocket")  # an old browser or a proxy that drops it
    page = await context.new_page()
    page.set_default_timeout(0)
    await page.goto(str(served.client.make_url("/")))
    await expect(page.locator("#status")).to_contain_text("已连接")
    return page


@pytest.mark.parametrize("websocket", [True, False], ids=["websocket", "http-fallback"])
async def test_a_visitor_chats_with_the_keyboard_and_buttons(chromium, served, fake_rasa, websocket):
    page = await open_page(chromium, served, websocket=websocket)
    answer = await type_and_send(page, "你好")
    assert answer == [("您好，这里是12345政务失信投诉热线。请说说您遇到的问题。", [])]
    answer = await type_and_send(page, "街道办欠我们工程款")
    assert answer[-1][1] == ["确认提交", "修改"]
    # Buttons are reached with the keyboard too.
    button = page.get_by_role("button", name="确认提交")
    await button.focus()
    before = await count(page)
    await page.keyboard.press("Enter")
    assert (await wait_for_answer(page, before)) == [("已受理。", [])]
    assert fake_rasa.texts() == ["你好", "街道办欠我们工程款", "/affirm"]
    await expect(page.locator("#log .msg.in .bubble").last).to_have_text("确认提交")
    await page.context.close()


async def test_markup_and_control_characters_are_shown_as_text(chromium, served, fake_rasa, artifacts):
    page = await open_page(chromium, served)
    typed = "<b>加粗</b><img src=x onerror=\"document.title='hacked'\">\u0007"
    answer = await type_and_send(page, typed)
    assert answer[0][0] == "收到：<b>加粗</b><img src=x onerror=\"document.title='hacked'\">"
    assert await page.locator("#log b, #log img").count() == 0 and await page.title() != "hacked"
    await expect(page.locator("#log .msg.in .bubble").last).to_have_text(typed.replace("\u0007", "\u2407"))
    # Empty and emoji-only messages get a sensible answer, not silence.
    await page.locator("#input").fill("   ")
    await page.locator("#input").press("Enter")
    await expect(page.locator("#error")).to_have_text("请输入要发送的内容。")
    assert (await type_and_send(page, "👍👍", ANY_REPLY))[0][0] == texts.SYMBOLS_HINT
    await page.screenshot(path=str(artifacts / "webchat-odd-input.png"))
    await page.context.close()


async def test_on_a_phone_the_page_fits_and_a_returning_visitor_sees_the_conversation(chromium, served, artifacts):
    page = await open_page(chromium, served, PHONE_SCREEN)
    await type_and_send(page, "你好，我电话13812345678")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_SCREEN["width"]  # nothing wider than the screen
    box = await page.locator("#send").bounding_box()
    assert box["x"] + box["width"] <= PHONE_SCREEN["width"] and box["height"] >= 44  # a thumb-sized button
    await page.reload()
    await expect(page.locator("#log .msg.in .bubble").first).to_have_text("你好，我电话138****5678")
    await page.screenshot(path=str(artifacts / "webchat-phone-returning.png"))
    await page.context.close()


async def test_a_message_typed_while_the_app_is_unreachable_is_sent_when_it_is_back(
        chromium, backoffice, fake_rasa):
    served = await start_chat(backoffice, settings_for(fake_rasa.url), port=free_port())
    page = await open_page(chromium, served)
    port = served.client.server.port
    await served.client.close()
    await expect(page.locator("#status")).to_contain_text("连接中断")
    await page.locator("#input").fill("你好")
    await page.locator("#input").press("Enter")
    await expect(page.locator("#log .msg.in.sending")).to_have_count(1)  # kept on the device
    assert "你好" in await page.evaluate("localStorage.getItem('hotline-chat-pending')")

    back = await start_chat(backoffice, settings_for(fake_rasa.url), port=port)
    try:
        assert (await wait_for_answer(page, 0))[0][0].startswith("您好")
        await expect(page.locator("#log .msg.in.sending")).to_have_count(0)
        assert fake_rasa.texts() == ["你好"] and await page.evaluate("localStorage.getItem('hotline-chat-pending')") == "[]"
    finally:
        await page.context.close()
        await back.client.close()
