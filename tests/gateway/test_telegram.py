"""Telegram through python-telegram-bot against a local fake Bot API server
(Telegram's servers are the one thing not on this machine), with the
scripted assistant. The walk with the real assistant is in test_e2e_telegram.py."""
from __future__ import annotations

import hashlib
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fake_rasa import free_port
from fake_telegram import FakeTelegram
from gateway_support import Chat, replied_ticket, settings_for, start_chat
from sqlalchemy import select

from bot.gateway import setup as gateway_setup
from bot.gateway import texts
from intake_store.app import create_app
from intake_store.db import session_scope
from intake_store.models import Message, Notification

CHAT = 5551234
CONV = f"telegram:{CHAT}"


@pytest.fixture
async def tg():
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def tg_chat(backoffice, fake_rasa, tg):
    chat = await start_chat(backoffice, settings_for(
        fake_rasa.url, telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url))
    yield chat
    await chat.client.close()


async def stored(chat: Chat, conv_id: str = CONV) -> list[Message]:
    """The transcript once every message taken is answered (a reply is stored
    right after Telegram accepted it, so a test can see it sent a moment earlier)."""
    await chat.relay.settle()
    return chat.transcript(conv_id)


async def test_a_telegram_conversation_with_buttons_as_an_inline_keyboard(tg_chat, tg, fake_rasa):
    await tg.user_says(CHAT, "/start")
    greeting = (await tg.wait_for_bot(CHAT, 1))[0]
    assert greeting["text"].startswith("您好，这里是12345") and fake_rasa.texts() == ["你好"]

    await tg.user_says(CHAT, "芝罘区向阳街道办欠我们公司工程款三十万")
    sent = await tg.wait_for_bot(CHAT, 3)
    confirm = sent[2]
    assert confirm["reply_markup"]["inline_keyboard"] == [
        [{"text": "确认提交", "callback_data": "0"}], [{"text": "修改", "callback_data": "1"}]]
    assert fake_rasa.received[-1]["sender"] == CONV and fake_rasa.received[-1]["metadata"]["channel"] == "telegram"

    press = await tg.user_presses(CHAT, confirm, "确认提交")
    assert (await tg.wait_for_bot(CHAT, 4))[3]["text"] == "已受理。"
    assert press["callback_query"]["id"] in tg.answered_callbacks
    assert fake_rasa.texts()[-1] == "/affirm"

    transcript = [(m.direction, m.text) for m in (await stored(tg_chat))]
    assert transcript == [
        ("in", "/start"), ("out", greeting["text"]),
        ("in", "芝罘区向阳街道办欠我们公司工程款三十万"), ("out", sent[1]["text"]), ("out", confirm["text"]),
        ("in", "确认提交"), ("out", "已受理。")]
    # Each outbound message is stored with the id Telegram gave it, after it was sent.
    assert [m.external_id for m in (await stored(tg_chat)) if m.direction == "out"] == [
        f"message:{m['message_id']}" for m in tg.bot_messages(CHAT)]


async def test_an_update_delivered_twice_is_handled_once(tg_chat, tg, fake_rasa):
    await tg.user_says(CHAT, "你好", twice=True)
    await tg.wait_for_bot(CHAT, 1)
    await tg.user_says(CHAT, "欠款的事")
    sent = await tg.wait_for_bot(CHAT, 3)
    await tg.user_presses(CHAT, sent[2], "确认提交", twice=True)
    await tg.user_says(CHAT, "谢谢")
    await tg.wait_for_bot(CHAT, 5)
    assert fake_rasa.texts() == ["你好", "欠款的事", "/affirm", "谢谢"]
    assert [m.text for m in (await stored(tg_chat)) if m.direction == "in"] == ["你好", "欠款的事", "确认提交", "谢谢"]
    assert len(tg.bot_messages(CHAT)) == 5


async def test_a_photo_is_kept_and_the_citizen_is_asked_for_words(tg_chat, tg, fake_rasa):
    await tg.user_sends_photo(CHAT)
    assert (await tg.wait_for_bot(CHAT, 1))[0]["text"] == texts.NON_TEXT_HINT
    await tg.user_sends_photo(CHAT, caption="这是欠条")
    sent = await tg.wait_for_bot(CHAT, 4)
    assert fake_rasa.texts() == ["这是欠条"] and sent[2]["text"].startswith("请核对")
    photos = [m for m in (await stored(tg_chat)) if m.direction == "in"]
    assert [m.text for m in photos] == ["[图片]", "[图片] 这是欠条"]
    assert photos[0].meta["file_id"] == "photo-large"


async def test_rasa_down_the_telegram_user_is_told_and_answered_when_it_is_back(tg_chat, tg, fake_rasa):
    await fake_rasa.stop()
    await tg.user_says(CHAT, "你好")
    assert (await tg.wait_for_bot(CHAT, 1))[0]["text"] == texts.SAVED_NOTICE
    assert tg_chat.conversation(CONV).needs_operator
    await fake_rasa.start()
    await tg_chat.relay.retry_once()
    assert (await tg.wait_for_bot(CHAT, 2))[1]["text"].startswith("您好，这里是12345")


async def test_a_departments_reply_is_sent_on_telegram_with_rating_buttons(tg_chat, tg, backoffice):
    number = replied_ticket(backoffice, "telegram", CONV)
    assert await tg_chat.sender.run_once() == 1
    message = (await tg.wait_for_bot(CHAT, 1))[0]
    assert number in message["text"] and "已协调区财政12月底前付清" in message["text"]
    assert [row[0]["text"] for row in message["reply_markup"]["inline_keyboard"]] == ["非常满意", "满意", "一般", "不满意"]
    out = (await stored(tg_chat))[-1]
    assert out.external_id == f"message:{message['message_id']}" and out.meta["kind"] == "citizen_reply"


async def test_a_user_who_blocked_the_bot_is_not_retried(tg_chat, tg, backoffice):
    tg.blocked.add(CHAT)
    replied_ticket(backoffice, "telegram", CONV)
    assert await tg_chat.sender.run_once() == 0
    with session_scope(backoffice.engine) as s:
        row = s.execute(select(Notification)).scalar_one()
    assert row.state == "failed" and "blocked" in row.last_error


async def test_webhook_mode_checks_the_secret_and_handles_each_update_once(backoffice, fake_rasa, tg):
    port = free_port()
    settings = settings_for(fake_rasa.url, telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                            telegram_webhook_url=f"http://127.0.0.1:{port}")
    client = TestClient(TestServer(create_app(settings, backoffice=backoffice, extra_setup=[gateway_setup]), port=port))
    await client.start_server()
    try:
        assert tg.webhook["url"] == f"http://127.0.0.1:{port}/telegram/webhook" and "getUpdates" not in tg.calls
        # Not made from the bot token: knowing the token does not open the webhook.
        assert tg.webhook["secret_token"] != hashlib.sha256(f"hotline-webhook:{tg.token}".encode()).hexdigest()
        assert tg.token not in tg.webhook["secret_token"]
        update = await tg.user_says(CHAT, "你好")
        tg.queue.clear()  # Telegram pushes it instead of waiting to be asked
        assert await tg.post_to_webhook(update, secret="wrong") == 403
        assert await tg.post_to_webhook(update, secret="") == 403
        assert await tg.post_to_webhook(update) == 200
        assert await tg.post_to_webhook(update) == 200  # delivered again
        await tg.wait_for_bot(CHAT, 1)
        later = await tg.user_says(CHAT, "谢谢")
        assert await tg.post_to_webhook(later) == 200
        await tg.wait_for_bot(CHAT, 2)
        assert fake_rasa.texts() == ["你好", "谢谢"]
        chat = Chat(client, backoffice)
        assert [m.text for m in chat.transcript(CONV) if m.direction == "in"] == ["你好", "谢谢"]
    finally:
        await client.close()


async def test_the_bot_token_is_in_no_log_line(backoffice, fake_rasa, tg, caplog):
    caplog.set_level(logging.DEBUG)
    chat = await start_chat(backoffice, settings_for(
        fake_rasa.url, telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url))
    try:
        await tg.user_says(CHAT, "你好")
        await tg.wait_for_bot(CHAT, 1)
        await chat.relay.settle()
    finally:
        await chat.client.close()
    assert "getUpdates" in caplog.text  # the client's request lines are there, without the token
    assert tg.token not in caplog.text


async def test_a_group_chat_is_refused_politely_and_nothing_is_kept(tg_chat, tg, fake_rasa):
    group = -1009876
    await tg.user_says(group, "我要投诉区财政局欠款，电话13812345678", chat_type="supergroup")
    assert (await tg.wait_for_bot(group, 1))[0]["text"] == texts.GROUP_REFUSED
    await tg.user_says(CHAT, "你好")
    await tg.wait_for_bot(CHAT, 1)
    await tg_chat.relay.settle()
    assert fake_rasa.texts() == ["你好"]
    assert tg_chat.transcript(f"telegram:{group}") == []


async def test_a_telegram_chat_sending_too_fast_is_asked_to_wait(backoffice, fake_rasa, tg):
    chat = await start_chat(backoffice, settings_for(
        fake_rasa.url, telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url, chat_max_messages_per_minute=2))
    try:
        await tg.user_says(CHAT, "你好")
        await tg.user_says(CHAT, "在吗")
        await tg.user_says(CHAT, "快回答")
        sent = await tg.wait_for_bot(CHAT, 3)
        assert any(m["text"].startswith("您发送消息太快了") for m in sent)
        await chat.relay.settle()
        assert fake_rasa.texts() == ["你好", "在吗"]
    finally:
        await chat.client.close()
