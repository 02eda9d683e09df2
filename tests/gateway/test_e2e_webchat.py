"""A whole complaint on the web chat page in a real browser, against the real
Rasa server and action server; the screenshot of the finished conversation
is saved in test-artifacts/."""
from __future__ import annotations

import pytest
from citizen import COMPLAINT, GREETING, PHONE, next_step, ticket_number
from conftest import DESKTOP, PHONE_SCREEN
from page_driver import press, type_and_send
from playwright.async_api import expect
from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.models import Complainant, Ticket

pytestmark = pytest.mark.rasa
MAX_TURNS = 20  # a complaint takes about ten; more means the assistant is going round in circles


async def file_a_complaint(page) -> tuple[str, list]:
    """Greet, tell the complaint, answer what is asked; returns the ticket number."""
    await type_and_send(page, GREETING)
    answer = await type_and_send(page, COMPLAINT)
    for _ in range(MAX_TURNS):
        number = ticket_number([text for text, _ in answer])
        if number:
            return number, answer
        step = next_step(answer)
        answer = await (press(page, step.value) if step.kind == "button" else type_and_send(page, step.value))
    raise AssertionError(f"no ticket after {MAX_TURNS} turns; last answer: {answer}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_SCREEN], ids=["desktop", "phone"])
async def test_a_citizen_files_a_complaint_on_the_web_page(chromium, live, artifacts, viewport, request):
    context = await chromium.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = await context.new_page()
    page.set_default_timeout(0)
    try:
        await page.goto(str(live.client.make_url("/")))
        await expect(page.locator("#status")).to_contain_text("已连接")
        number, _ = await file_a_complaint(page)

        # The ticket number stands out once the complaint is filed.
        await expect(page.locator("#tickets")).to_be_visible()
        await expect(page.locator("#tickets .ticket-number")).to_have_text(f"工单号 {number}")
        name = request.node.callspec.id.replace("-", "_")
        await page.screenshot(path=str(artifacts / f"webchat-complaint-{name}.png"))

        # The ticket is linked to this conversation, and the transcript has every message.
        with session_scope(live.engine) as s:
            ticket = s.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
            person = s.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalar_one()
        assert ticket.channel == "web" and ticket.conversation_id.startswith("web:")
        assert person.phone == PHONE
        transcript = live.transcript(ticket.conversation_id)
        shown = await page.locator("#log .msg .bubble").count()
        assert len(transcript) == shown
        assert [m.text for m in transcript if m.direction == "in"][:2] == [GREETING, COMPLAINT]

        # A returning visitor on the same device sees the conversation again, numbers masked.
        await page.reload()
        await expect(page.locator("#tickets .ticket-number")).to_have_text(f"工单号 {number}")
        await expect(page.locator("#log .msg .bubble")).to_have_count(shown)
        await expect(page.locator("#log .msg.in .bubble").filter(has_text="138****5678")).to_have_count(1)
    finally:
        await context.close()
