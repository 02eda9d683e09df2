"""The WeChat official account channel against a local fake of WeChat's
servers (signed and encrypted pushes in, the token and customer-service
API served locally), with the scripted assistant. The walk with the real
assistant is in test_e2e_wechat.py."""
from __future__ import annotations

import logging

import pytest
from fake_wechat import FakeWeChat, sign
from gateway_support import Chat, replied_ticket, settings_for, start_chat
from sqlalchemy import select

from bot.gateway import texts
from intake_store.db import session_scope
from intake_store.models import Message, Notification

CITIZEN = "oX1a2b3c4d5e6f7g8h9i0jklmnop"
CONV = f"wechat:{CITIZEN}"


def wechat_settings(rasa_url: str, wx: FakeWeChat, **overrides):
    values = dict(wechat_app_id=wx.app_id, wechat_app_secret=wx.secret, wechat_token=wx.token,
                  wechat_encoding_aes_key=wx.aes_key, wechat_api_base_url=wx.api_base_url, wechat_reply_seconds=1.0)
    return settings_for(rasa_url, **{**values, **overrides})


@pytest.fixture
async def wx():
    fake = await FakeWeChat().start()
    yield fake
    await fake.stop()


async def wechat_chat(backoffice, rasa_url: str, wx: FakeWeChat, **overrides) -> Chat:
    chat = await start_chat(backoffice, wechat_settings(rasa_url, wx, **overrides))
    wx.server_url = str(chat.client.make_url("/wechat"))
    return chat


@pytest.fixture
async def wx_chat(backoffice, fake_rasa, wx):
    chat = await wechat_chat(backoffice, fake_rasa.url, wx)
    yield chat
    await chat.client.close()


async def stored(chat: Chat) -> list[Message]:
    await chat.relay.settle()
    return chat.transcript(CONV)


async def test_the_console_checks_the_server_url_and_a_wrong_token_is_refused(wx_chat, wx):
    assert await wx.check_server_url() == (200, "echoed")
    status, text = await wx.check_server_url(token="someoneelse")
    assert status == 403 and "签名校验失败" in text and "Traceback" not in text


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
async def test_a_conversation_answered_in_time_with_buttons_as_numbered_choices(wx_chat, wx, fake_rasa, safe_mode):
    wx.safe_mode = safe_mode
    assert (await wx.says(CITIZEN, "你好")).startswith("您好，这里是12345")
    confirm = await wx.says(CITIZEN, "芝罘区向阳街道办欠我们公司工程款三十万")
    assert confirm == ("请核对您的投诉内容：拖欠企业账款\n\n没有问题请点“确认提交”。\n\n"
                       "请回复数字选择：\n1. 确认提交\n2. 修改")
    assert await wx.says(CITIZEN, "１") == "已受理。"  # a full-width digit is the same choice
    assert fake_rasa.texts() == ["你好", "芝罘区向阳街道办欠我们公司工程款三十万", "/affirm"]
    assert fake_rasa.received[-1]["sender"] == CONV and fake_rasa.received[-1]["metadata"]["channel"] == "wechat"
    # Everything went back in the responses: no access token, no customer-service message.
    assert wx.api_calls == [] and {s.via for s in wx.seen} == {"passive"}
    transcript = [(m.direction, m.text) for m in await stored(wx_chat)]
    assert transcript == [
        ("in", "你好"), ("out", "您好，这里是12345政务失信投诉热线。请说说您遇到的问题。"),
        ("in", "芝罘区向阳街道办欠我们公司工程款三十万"), ("out", "请核对您的投诉内容：拖欠企业账款"),
        ("out", "没有问题请点“确认提交”。"), ("in", "１"), ("out", "已受理。")]
    assert wx_chat.transcript(CONV)[5].meta["choice"] == "确认提交"
    assert wx_chat.pending() == []


async def test_a_digit_with_no_choices_offered_goes_to_the_assistant_as_typed(wx_chat, wx, fake_rasa):
    await wx.says(CITIZEN, "你好")
    assert await wx.says(CITIZEN, "2") == "收到：2"
    assert fake_rasa.texts() == ["你好", "2"]


async def test_a_slow_answer_comes_as_a_customer_service_message_with_one_cached_token(backoffice, fake_rasa, wx):
    chat = await wechat_chat(backoffice, fake_rasa.url, wx, rasa_timeout_seconds=60.0)
    try:
        for i, text in enumerate(["你好", "谢谢"]):
            fake_rasa.gate.clear()  # the assistant takes longer than WeChat waits
            assert await wx.says(CITIZEN, text) is None  # "success": nothing to say in the response
            fake_rasa.gate.set()
            late = (await wx.wait_for(CITIZEN, i + 1))[i]
            assert late.via == "custom"
        assert [s.text for s in wx.seen] == ["您好，这里是12345政务失信投诉热线。请说说您遇到的问题。", "收到：谢谢"]
        assert wx.token_fetches == 1 and wx.api_calls == ["token", "custom_send", "custom_send"]
        assert [m.text for m in await stored(chat) if m.direction == "out"] == [s.text for s in wx.seen]
        assert chat.pending() == []
    finally:
        await chat.client.close()


async def test_an_expired_token_is_replaced_and_the_message_still_sent(backoffice, fake_rasa, wx):
    chat = await wechat_chat(backoffice, fake_rasa.url, wx, rasa_timeout_seconds=60.0)
    try:
        await wx.says(CITIZEN, "你好")
        replied_ticket(backoffice, "wechat", CONV)
        assert await chat.sender.run_once() == 1 and wx.token_fetches == 1
        wx.expire_tokens()
        fake_rasa.gate.clear()
        await wx.says(CITIZEN, "谢谢")
        fake_rasa.gate.set()
        assert (await wx.wait_for(CITIZEN, 3))[2].text == "收到：谢谢"
        assert wx.token_fetches == 2
        assert wx.api_calls[-4:] == ["custom_send", "custom_send", "token", "custom_send"]  # 42001, then again
    finally:
        await chat.client.close()


async def test_a_push_repeated_by_wechat_is_stored_and_answered_once(wx_chat, wx, fake_rasa):
    first = await wx.says(CITIZEN, "你好", twice=True)  # the response was lost: WeChat pushes again
    assert first.startswith("您好") and wx.pushes == [200, 200]
    again = await wx.says(CITIZEN, "你好", msg_id=777)
    assert await wx.says(CITIZEN, "你好", msg_id=777) == again  # the repeat gets the same passive reply
    assert fake_rasa.texts() == ["你好", "你好"]
    assert [m.text for m in await stored(wx_chat) if m.direction == "in"] == ["你好", "你好"]


async def test_photos_voice_and_following_are_answered_politely(wx_chat, wx, fake_rasa):
    assert await wx.follows(CITIZEN) == "您好，这里是12345政务失信投诉热线。请说说您遇到的问题。"
    assert await wx.sends_image(CITIZEN) == texts.NON_TEXT_HINT
    assert await wx.sends_voice(CITIZEN) == texts.NON_TEXT_HINT
    assert await wx.unfollows(CITIZEN) is None
    assert fake_rasa.texts() == ["你好"]  # following greets; the rest is not for the assistant
    inbound = [m for m in await stored(wx_chat) if m.direction == "in"]
    assert [m.text for m in inbound] == ["[关注公众号]", "[图片]", "[语音]", "[取消关注]"]
    assert inbound[1].meta["pic_url"].endswith("photo.jpg") and inbound[2].meta["media_id"] == "media-voice-1"


async def test_bad_pushes_are_refused_without_a_trace(wx_chat, wx):
    plain = wx._xml(CITIZEN, "text", {"Content": "你好", "MsgId": 1})
    forged = {**wx.signed_query(), "signature": sign("guess", "1", "2")}
    status, text = await wx.post(forged, plain)
    assert status == 403 and "签名校验失败" in text
    encrypted = wx.encrypt(plain)
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    tampered = {**wx.signed_query(encrypted, safe=True), "msg_signature": "0" * 40}
    assert (await wx.post(tampered, body))[0] == 403
    status, text = await wx.post(wx.signed_query(), "<xml><unclosed>")
    assert status == 400 and "不是合法的微信消息" in text
    status, text = await wx.post(wx.signed_query("bm90IGFlcw==", safe=True), "<xml><Encrypt>bm90IGFlcw==</Encrypt></xml>")
    assert status == 400 and "Traceback" not in text
    assert wx_chat.transcript(CONV) == []


async def test_encrypted_pushes_need_the_aes_key(backoffice, fake_rasa, wx):
    chat = await wechat_chat(backoffice, fake_rasa.url, wx, wechat_encoding_aes_key=None)
    try:
        wx.safe_mode = True
        with pytest.raises(AssertionError, match="EncodingAESKey"):
            await wx.says(CITIZEN, "你好")
        wx.safe_mode = False
        assert (await wx.says(CITIZEN, "你好")).startswith("您好")
    finally:
        await chat.client.close()


async def test_a_departments_reply_comes_with_numbered_ratings_answered_by_digit(wx_chat, wx, fake_rasa, backoffice):
    await wx.says(CITIZEN, "你好")
    number = replied_ticket(backoffice, "wechat", CONV)
    assert await wx_chat.sender.run_once() == 1
    reply = (await wx.wait_for(CITIZEN, 2))[1]
    assert reply.via == "custom" and number in reply.text and "已协调区财政12月底前付清" in reply.text
    assert reply.text.endswith("请回复数字选择：\n1. 非常满意\n2. 满意\n3. 一般\n4. 不满意")
    await wx.says(CITIZEN, "2")
    assert fake_rasa.texts()[-1] == "/rate_satisfied"


async def test_a_reply_after_48_hours_waits_until_the_citizen_writes_again(wx_chat, wx, backoffice, clock):
    replied_ticket(backoffice, "wechat", CONV)
    wx.silent_for.add(CITIZEN)  # WeChat no longer lets the account write to them
    assert await wx_chat.sender.run_once() == 0
    with session_scope(backoffice.engine) as s:
        row = s.execute(select(Notification)).scalar_one()
    assert row.state == "pending" and row.next_attempt_at > clock() and "45015" in row.last_error
    assert await wx.says(CITIZEN, "你好") is not None
    assert await wx_chat.sender.run_once() == 1
    assert "已协调区财政12月底前付清" in (await wx.wait_for(CITIZEN, 2))[1].text


async def test_rasa_down_the_citizen_is_told_and_answered_when_it_is_back(wx_chat, wx, fake_rasa):
    await fake_rasa.stop()
    assert await wx.says(CITIZEN, "你好") is None
    assert (await wx.wait_for(CITIZEN, 1))[0].text == texts.SAVED_NOTICE
    assert wx_chat.conversation(CONV).needs_operator
    await fake_rasa.start()
    await wx_chat.relay.retry_once()
    late = (await wx.wait_for(CITIZEN, 2))[1]
    assert late.via == "custom" and late.text.startswith("您好，这里是12345")


async def test_the_openapi_document_describes_the_wechat_server_url(wx_chat):
    doc = await (await wx_chat.client.get("/api/openapi.json")).json()
    assert {"get", "post"} <= set(doc["paths"]["/wechat"])


async def test_an_answer_longer_than_one_wechat_message_comes_in_parts(wx_chat, wx):
    long_text = "事情经过如下。\n" + "工程二〇二三年验收，街道办一直没有付款。\n" * 120
    assert await wx.says(CITIZEN, long_text) is None  # too long for the response
    await stored(wx_chat)  # the whole answer sent
    parts = wx.seen_by(CITIZEN)
    assert len(parts) == 4 and {p.via for p in parts} == {"custom"}  # each part within WeChat's 2048 bytes (the fake checks)
    assert "\n".join(p.text for p in parts) == f"收到：{long_text.strip()}"


async def test_a_citizen_who_unfollowed_is_not_retried(wx_chat, wx, backoffice):
    await wx.unfollows(CITIZEN)
    replied_ticket(backoffice, "wechat", CONV)
    assert await wx_chat.sender.run_once() == 0
    with session_scope(backoffice.engine) as s:
        row = s.execute(select(Notification)).scalar_one()
    assert row.state == "failed" and "43004" in row.last_error


async def test_a_citizen_sending_too_fast_is_asked_to_wait_and_slash_text_is_no_intent(backoffice, fake_rasa, wx):
    chat = await wechat_chat(backoffice, fake_rasa.url, wx, chat_max_messages_per_minute=2)
    try:
        await wx.says(CITIZEN, "/affirm")
        await wx.says(CITIZEN, "在吗")
        assert (await wx.says(CITIZEN, "快回答")).startswith("您发送消息太快了")
        assert fake_rasa.texts() == ["affirm", "在吗"]
    finally:
        await chat.client.close()


async def test_the_app_secret_is_in_no_log_line(backoffice, fake_rasa, wx, caplog):
    caplog.set_level(logging.DEBUG)
    chat = await wechat_chat(backoffice, fake_rasa.url, wx, wechat_reply_seconds=0.05)
    try:
        fake_rasa.gate.clear()  # a slow answer: sent later as a customer-service message, with a token
        await wx.says(CITIZEN, "你好")
        fake_rasa.gate.set()
        await chat.relay.settle()
    finally:
        await chat.client.close()
    assert wx.secret not in caplog.text and wx.token not in caplog.text
