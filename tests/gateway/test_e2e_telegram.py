"""A whole complaint on Telegram: the real python-telegram-bot client against
the local fake Bot API server, the real assistant. Then the department
replies, the citizen gets it on Telegram and rates it with a button."""
from __future__ import annotations

import pytest
from citizen import COMPLAINT, next_step, ticket_number
from fake_telegram import FakeTelegram
from gateway_support import settings_for, start_chat
from sqlalchemy import select

from intake_store.db import session_scope
from intake_store.models import Ticket
from intake_store.tickets.commands import act
from intake_store.tickets.numbering import query_code
from intake_store.tickets.viewer import Viewer

pytestmark = pytest.mark.rasa
# One Rasa server serves the whole run, and each database numbers its messages
# from 1: a chat of its own per database keeps Rasa's once-only answers (keyed by
# the gateway's message id within a conversation) from answering this run with
# the other database's conversation.
CHATS = iter(range(8800123, 8800200))
MAX_TURNS = 20


class TelegramUser:
    """Says something or presses a button, and reads everything the bot answered."""

    def __init__(self, tg: FakeTelegram, chat_id: int, relay):
        self.tg, self.chat_id, self.relay, self.seen = tg, chat_id, relay, 0

    async def answer(self) -> list[dict]:
        await self.tg.wait_for_bot(self.chat_id, self.seen + 1)
        await self.relay.settle()  # the rest of the turn's messages are sent too
        messages = self.tg.bot_messages(self.chat_id)
        new, self.seen = messages[self.seen:], len(messages)
        return new

    async def says(self, text: str) -> list[dict]:
        await self.tg.user_says(self.chat_id, text)
        return await self.answer()

    async def presses(self, title: str, answer: list[dict]) -> list[dict]:
        message = next(m for m in reversed(answer) if m.get("reply_markup") and any(
            b["text"] == title for row in m["reply_markup"]["inline_keyboard"] for b in row))
        await self.tg.user_presses(self.chat_id, message, title)
        return await self.answer()


def as_seen(messages: list[dict]) -> list[tuple[str, list[str]]]:
    return [(m["text"], [b["text"] for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row])
            for m in messages]


@pytest.fixture
async def tg():
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


async def test_a_citizen_files_a_complaint_on_telegram_and_rates_the_reply(backoffice, real_assistant, live_port, tg):
    live = await start_chat(backoffice, settings_for(
        real_assistant.rasa_url, actions_url=real_assistant.actions_url, rasa_timeout_seconds=10.0,
        telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url), port=live_port)
    chat = next(CHATS)
    user = TelegramUser(tg, chat, live.relay)
    try:
        await user.says("/start")
        answer = await user.says(COMPLAINT)
        for _ in range(MAX_TURNS):
            number = ticket_number([m["text"] for m in answer])
            if number:
                break
            step = next_step(as_seen(answer))
            answer = await (user.presses(step.value, answer) if step.kind == "button" else user.says(step.value))
        else:
            raise AssertionError(f"no ticket after {MAX_TURNS} turns: {as_seen(answer)}")

        with session_scope(backoffice.engine) as s:
            ticket = s.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
            assert ticket.channel == "telegram" and ticket.conversation_id == f"telegram:{chat}"

        # The department replies; the citizen hears it on Telegram, with the rating buttons.
        with session_scope(backoffice.engine) as s:
            if ticket.state == "submitted":  # not confident enough to dispatch itself: an operator does
                ticket, _ = act(backoffice, s, number, "dispatch", Viewer("operator", "话务员"))
            lead = Viewer("department", "承办人", ticket.lead_code)
            act(backoffice, s, number, "accept", lead)
            act(backoffice, s, number, "verify", lead, payload={"result": "substantiated", "findings": "确有拖欠"})
            act(backoffice, s, number, "reply", lead, payload={"text": "已协调街道办12月底前付清工程款。"})
        assert await live.sender.run_once() >= 1
        reply = next(m for m in await user.answer() if "已协调街道办12月底前付清工程款" in m["text"])

        said = await user.presses("满意", [reply])
        code = query_code(backoffice.secret, ticket.query_nonce)
        for _ in range(3):  # the assistant may ask for the ticket number and the query code
            if not any(word in said[-1]["text"] for word in ("工单号", "查询码")):
                break
            said += await user.says(number if "工单号" in said[-1]["text"] else code)
        with session_scope(backoffice.engine) as s:
            assert s.execute(select(Ticket.state).where(Ticket.number == number)).scalar_one() == "closed"
        assert "感谢您的评价" in "".join(m["text"] for m in said)
    finally:
        await live.client.close()
