"""WeChat with the real assistant, against the local fake of WeChat's servers:
a whole complaint filed in the official account and its reply rated by
digit; and a caller's ticket (taken on the phone) looked up and rated in
WeChat by its number and query code."""
from __future__ import annotations

import uuid

import pytest
from citizen import COMPLAINT, next_step, ticket_number
from fake_wechat import FakeWeChat
from gateway_support import settings_for, start_chat
from sqlalchemy import select

from bot.gateway import texts
from intake_store.db import session_scope
from intake_store.models import Ticket
from intake_store.schemas import TicketIn
from intake_store.tickets.commands import act, create_ticket
from intake_store.tickets.numbering import query_code
from intake_store.tickets.viewer import Viewer

pytestmark = pytest.mark.rasa
MAX_TURNS = 20


class WeChatUser:
    """Writes in the official account and reads everything the account sent back."""

    def __init__(self, wx: FakeWeChat, openid: str, relay):
        self.wx, self.openid, self.relay, self.read = wx, openid, relay, 0

    async def says(self, text: str) -> list[str]:
        await self.wx.says(self.openid, text)
        return await self.answer()

    async def answer(self) -> list[str]:
        await self.wx.wait_for(self.openid, self.read + 1)
        await self.relay.settle()  # an answer later than WeChat waits comes as a customer-service message
        seen = [s.text for s in self.wx.seen_by(self.openid)]
        new, self.read = seen[self.read:], len(seen)
        return new

    async def chooses(self, title: str, answer: list[str]) -> list[str]:
        """A person reads the numbered choices and types the number."""
        text = next(t for t in reversed(answer) if title in choices(t))
        return await self.says(str(choices(text).index(title) + 1))


def new_openid() -> str:
    """A citizen the assistant has not met (Rasa keeps its conversations for the whole run)."""
    return f"oE2e{uuid.uuid4().hex[:24]}"


def choices(text: str) -> list[str]:
    if texts.WECHAT_CHOOSE not in text:
        return []
    lines = text.split(texts.WECHAT_CHOOSE, 1)[1].strip().splitlines()
    return [line.split(". ", 1)[1] for line in lines if ". " in line]


def as_seen(messages: list[str]) -> list[tuple[str, list[str]]]:
    return [(m, choices(m)) for m in messages]


@pytest.fixture
async def wx():
    fake = await FakeWeChat().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def wx_live(backoffice, real_assistant, live_port, wx):
    live = await start_chat(backoffice, settings_for(
        real_assistant.rasa_url, actions_url=real_assistant.actions_url, rasa_timeout_seconds=10.0,
        wechat_app_id=wx.app_id, wechat_app_secret=wx.secret, wechat_token=wx.token,
        wechat_encoding_aes_key=wx.aes_key, wechat_api_base_url=wx.api_base_url), port=live_port)
    wx.server_url = str(live.client.make_url("/wechat"))
    wx.safe_mode = True
    yield live
    await live.client.close()


def department_replies(backoffice, number: str, text: str) -> Ticket:
    with session_scope(backoffice.engine) as s:
        ticket = s.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        if ticket.state == "submitted":  # not confident enough to dispatch itself: an operator does
            ticket, _ = act(backoffice, s, number, "dispatch", Viewer("operator", "话务员"))
        lead = Viewer("department", "承办人", ticket.lead_code)
        act(backoffice, s, number, "accept", lead)
        act(backoffice, s, number, "verify", lead, payload={"result": "substantiated", "findings": "确有拖欠"})
        ticket, _ = act(backoffice, s, number, "reply", lead, payload={"text": text})
        s.expunge(ticket)
        return ticket


async def rate(user: WeChatUser, said: list[str], number: str, code: str) -> list[str]:
    """Choose 满意 by its number; give the number and the code if the assistant asks."""
    said = await user.chooses("满意", said)
    for _ in range(3):
        if not any(word in said[-1] for word in ("工单号", "查询码")) or "感谢" in said[-1]:
            break
        said += await user.says(number if "工单号" in said[-1] else code)
    return said


def state_of(backoffice, number: str) -> str:
    with session_scope(backoffice.engine) as s:
        return s.execute(select(Ticket.state).where(Ticket.number == number)).scalar_one()


async def test_a_citizen_files_a_complaint_in_the_official_account_and_rates_the_reply(backoffice, wx_live, wx):
    citizen = new_openid()
    user = WeChatUser(wx, citizen, wx_live.relay)
    await wx.follows(citizen)
    assert "12345" in (await user.answer())[0]  # following greets
    answer = await user.says(COMPLAINT)
    for _ in range(MAX_TURNS):
        number = ticket_number(answer)
        if number:
            break
        step = next_step(as_seen(answer))
        answer = await (user.chooses(step.value, answer) if step.kind == "button" else user.says(step.value))
    else:
        raise AssertionError(f"no ticket after {MAX_TURNS} turns: {answer}")

    with session_scope(backoffice.engine) as s:
        ticket = s.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.channel == "wechat" and ticket.conversation_id == f"wechat:{citizen}"

    department_replies(backoffice, number, "已协调街道办12月底前付清工程款。")
    assert await wx_live.sender.run_once() >= 1
    reply = next(m for m in await user.answer() if "已协调街道办12月底前付清工程款" in m)
    assert choices(reply) == ["非常满意", "满意", "一般", "不满意"]

    said = await rate(user, [reply], number, query_code(backoffice.secret, ticket.query_nonce))
    assert state_of(backoffice, number) == "closed" and "感谢您的评价" in "".join(said)


async def test_a_caller_checks_and_rates_a_phone_ticket_in_wechat(backoffice, wx_live, wx):
    with session_scope(backoffice.engine) as s:
        ticket, _ = create_ticket(backoffice, s, TicketIn(
            idempotency_key="phone-call-0001", channel="phone", description="区财政局拖欠我们公司货款八十万，两年没给",
            category="arrears", category_confidence=0.9, contact_name="李先生", contact_phone="13912345678"),
            Viewer("operator", "话务员"))
        number, code = ticket.number, query_code(backoffice.secret, ticket.query_nonce)
    department_replies(backoffice, number, "已督促区财政局本月底前支付货款。")
    assert await wx_live.sender.run_once() == 0  # nothing to send to a caller's chat

    user = WeChatUser(wx, new_openid(), wx_live.relay)
    said = await user.says("查一下我的工单进度")
    for _ in range(3):
        if "工单号" in said[-1] and number not in said[-1]:
            said += await user.says(number)
        elif "查询码" in said[-1]:
            said += await user.says(code)
        else:
            break
    status = next(m for m in said if f"工单号：{number}" in m)
    assert "已督促区财政局本月底前支付货款" in status and choices(said[-1]) == ["非常满意", "满意", "一般", "不满意"]

    said = await rate(user, said, number, code)
    assert state_of(backoffice, number) == "closed" and "感谢您的评价" in "".join(said)
