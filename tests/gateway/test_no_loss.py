"""Nothing a citizen typed is lost: Rasa down, slow, or its action server
down; odd input; messages the back office sends later."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from fake_rasa import free_port
from gateway_support import next_of, replied_ticket, say, settings_for, start_chat
from sqlalchemy import delete, select

from bot.gateway import texts
from bot.gateway import transcript as tr
from bot.gateway.transcript import original_text
from intake_store.db import session_scope
from intake_store.models import Message, Notification
from vocabulary.conversation import ConversationId


async def test_rasa_down_the_citizen_is_told_it_is_saved_and_the_conversation_continues_when_back(chat, fake_rasa):
    await chat.client.get("/")
    await say(chat.client, "你好", "d1")
    await fake_rasa.stop()

    status, body = await say(chat.client, "芝罘区向阳街道办欠我们公司工程款三十万", "d2", after=2)
    assert status == 200
    assert [m["text"] for m in body["messages"]] == ["芝罘区向阳街道办欠我们公司工程款三十万", texts.SAVED_NOTICE]
    conv = chat.conversation()
    assert conv.needs_operator and conv.handoff_reason == texts.HANDOFF_REASON
    assert [p.message_id for p in chat.pending()] == [chat.transcript()[2].id]

    # Still down: the retry pass leaves it waiting and says nothing more.
    assert await chat.relay.retry_once() == 0
    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_json({"type": "hello", "after": 0})
    await next_of(ws, "history")

    await fake_rasa.start()
    assert await chat.relay.retry_once() == 1
    # The assistant now answers the saved message, on the open page ...
    answer = (await next_of(ws, "messages"))["messages"]
    assert answer[0]["text"] == "请核对您的投诉内容：拖欠企业账款"
    assert fake_rasa.texts() == ["你好", "芝罘区向阳街道办欠我们公司工程款三十万"]
    assert chat.pending() == []
    # ... and the conversation goes on from there.
    await ws.send_json({"type": "say", "button": {"message_id": answer[1]["id"], "index": 0}, "client_id": "d3"})
    await next_of(ws, "messages")
    assert (await next_of(ws, "messages"))["messages"][0]["text"] == "已受理。"
    assert [m.text for m in chat.transcript()].count(texts.SAVED_NOTICE) == 1
    await ws.close()


async def test_a_slow_assistant_the_citizen_hears_within_the_wait_and_gets_the_answer_later(backoffice, fake_rasa):
    chat = await start_chat(backoffice, settings_for(fake_rasa.url, rasa_timeout_seconds=0.3))
    try:
        await chat.client.get("/")
        ws = await chat.client.ws_connect("/chat/ws")
        await ws.send_json({"type": "hello", "after": 0})
        await next_of(ws, "history")
        fake_rasa.gate.clear()  # Rasa takes its time
        await ws.send_json({"type": "say", "text": "你好", "client_id": "s1"})
        await next_of(ws, "messages")  # the echo
        notice = (await next_of(ws, "messages"))["messages"][0]
        assert notice["text"] == texts.SAVED_NOTICE and notice["notice"]
        assert chat.conversation().needs_operator

        fake_rasa.gate.set()
        late = (await next_of(ws, "messages"))["messages"][0]
        assert late["text"].startswith("您好，这里是12345")
        assert chat.pending() == [] and fake_rasa.texts() == ["你好"]
        await ws.close()
    finally:
        await chat.client.close()


async def test_action_server_down_counts_as_assistant_down(backoffice, fake_rasa):
    chat = await start_chat(backoffice, settings_for(fake_rasa.url, actions_url=f"http://127.0.0.1:{free_port()}"))
    try:
        await chat.client.get("/")
        status, body = await say(chat.client, "你好", "a1")
        assert body["messages"][-1]["text"] == texts.SAVED_NOTICE
        assert fake_rasa.received == []  # not half-handled by a Rasa without its actions
        assert len(chat.pending()) == 1 and chat.conversation().needs_operator
    finally:
        await chat.client.close()


async def test_an_assistant_that_says_nothing_does_not_leave_the_citizen_in_silence(chat, fake_rasa):
    # Rasa answers [] when a custom action fails under it (e.g. the action server is overloaded).
    fake_rasa.script = lambda sender, text: []
    await chat.client.get("/")
    status, body = await say(chat.client, "你好", "q1")
    assert [m["text"] for m in body["messages"]] == ["你好", texts.SAVED_NOTICE]
    assert chat.conversation().needs_operator
    assert chat.pending() == []  # Rasa has it: not sent again
    assert await chat.relay.retry_once() == 0 and fake_rasa.texts() == ["你好"]


async def test_messages_typed_while_down_are_answered_in_order_once_back(chat, fake_rasa):
    await chat.client.get("/")
    await fake_rasa.stop()
    for i, text in enumerate(["第一句", "第二句", "第三句"]):
        await say(chat.client, text, f"o{i}")
    assert len(chat.pending()) == 3
    await fake_rasa.start()
    await chat.relay.retry_once()
    assert fake_rasa.texts() == ["第一句", "第二句", "第三句"]
    texts_in_order = [m.text for m in chat.transcript() if m.meta.get("source") != "gateway"]
    assert texts_in_order == ["第一句", "第二句", "第三句", "收到：第一句", "收到：第二句", "收到：第三句"]
    assert chat.pending() == []


async def test_odd_input_is_kept_verbatim_and_answered_sensibly(chat, fake_rasa):
    await chat.client.get("/")
    long_text = "拖欠工程款" * 1200  # 6000 characters, over the 5000 the assistant reads
    odd = {
        "empty": "",
        "blank": "   \n ",
        "emoji": "😀👍🙏",
        "control": "街道办\x00欠款\x07\x1b[31m",
        "html": "<script>alert('x')</script><b>欠款</b>",
        "long": long_text,
    }
    for key, text in odd.items():
        status, _ = await say(chat.client, text, key)
        assert status == 200
    inbound = [m for m in chat.transcript() if m.direction == "in"]
    assert [original_text(m) for m in inbound] == list(odd.values())  # stored exactly as typed
    assert inbound[3].text == "街道办\u2400欠款\x07\x1b[31m"  # (PostgreSQL text cannot hold NUL)
    # Only what an assistant can read reaches Rasa, cleaned and cut to length.
    assert fake_rasa.texts() == ["街道办欠款[31m", "<script>alert('x')</script><b>欠款</b>", long_text[:5000]]
    said = [m.text for m in chat.transcript() if m.direction == "out"]
    assert said.count(texts.EMPTY_HINT) == 2 and texts.SYMBOLS_HINT in said
    assert texts.LONG_NOTE.format(length=6000, limit=5000) in said
    # The page gets the text back as data (it renders with textContent), not as markup.
    history = (await (await chat.client.get("/chat/api/messages")).json())["messages"]
    assert odd["html"] in [m["text"] for m in history if m["direction"] == "in"]

    body = json.dumps({"text": "长" * 20001, "client_id": "huge"}, ensure_ascii=False).encode()  # as a browser sends it
    too_long = await chat.client.post("/chat/api/messages", data=body, headers={"Content-Type": "application/json"})
    assert too_long.status == 422 and (await too_long.json())["details"][0]["problem"] == "内容过长"
    assert [m.text for m in chat.transcript() if m.direction == "in"][-1] == long_text  # nothing half-stored


async def test_a_departments_reply_reaches_the_web_visitor_with_rating_buttons(chat, backoffice):
    await chat.client.get("/")
    await say(chat.client, "你好", "p1")
    conv_id = chat.conversation_id()
    replied_ticket(backoffice, "web", conv_id)

    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_json({"type": "hello", "after": 0})
    await next_of(ws, "history")
    assert await chat.sender.run_once() == 1
    pushed = (await next_of(ws, "messages"))["messages"][0]
    assert "已协调区财政12月底前付清" in pushed["text"] and pushed["buttons"] == ["非常满意", "满意", "一般", "不满意"]
    await ws.close()
    # A visitor who comes back later finds it in the conversation.
    history = (await (await chat.client.get("/chat/api/messages")).json())["messages"]
    assert history[-1]["id"] == pushed["id"]
    with session_scope(backoffice.engine) as s:
        assert s.execute(select(Notification.state)).scalar_one() == "sent"


async def test_the_transcript_api_masks_numbers_for_supervisors_not_operators(chat, backoffice):
    from intake_store.auth import create_token

    await chat.client.get("/")
    await say(chat.client, "我电话13812345678", "m1")
    with session_scope(backoffice.engine) as s:
        operator, supervisor = create_token(s, "话务员", "operator"), create_token(s, "督办", "supervisor")
    url = f"/api/conversations/{chat.conversation_id()}"
    full = await (await chat.client.get(url, headers={"Authorization": f"Bearer {operator}"})).json()
    masked = await (await chat.client.get(url, headers={"Authorization": f"Bearer {supervisor}"})).json()
    assert full["messages"][0]["text"] == "我电话13812345678" and not full["masked"]
    assert masked["messages"][0]["text"] == "我电话138****5678" and masked["masked"]
    assert (await chat.client.get(url)).status == 401
    nobody = await chat.client.get("/api/conversations/web:nobody", headers={"Authorization": f"Bearer {operator}"})
    assert nobody.status == 404


async def test_a_waiting_message_removed_from_the_store_takes_its_wait_along(chat, fake_rasa, backoffice):
    await chat.client.get("/")
    await fake_rasa.stop()
    await say(chat.client, "你好", "z1")
    assert len(chat.pending()) == 1
    with session_scope(backoffice.engine) as s:
        s.execute(delete(Message).where(Message.conversation_id == chat.conversation_id()))
    assert chat.pending() == []


async def test_a_message_sent_again_after_its_app_process_died_is_told_saved(chat, fake_rasa):
    """Another app process stored the message and died before answering (its lease
    on the message runs for minutes): the page sends it again, to this process."""
    from datetime import timedelta

    from bot.gateway import transcript as tr

    await chat.client.get("/")
    await say(chat.client, "你好", "s1")
    conv_id = chat.conversation_id()
    sender = conv_id.split(":", 1)[1]
    until = chat.backoffice.now() + timedelta(minutes=10)
    await chat.relay.store.run(tr.take_inbound, "web", sender, "芝罘区向阳街道办欠我们公司工程款三十万", chat.backoffice.now(),
                               external_id="web:s2", meta={"client_id": "s2"}, lease=("a-process-that-died", until))
    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_json({"type": "hello", "after": 0})
    await next_of(ws, "history")

    status, _ = await say(chat.client, "芝罘区向阳街道办欠我们公司工程款三十万", "s2")
    assert status == 200
    notice = (await next_of(ws, "messages"))["messages"]
    assert [m["text"] for m in notice] == [texts.SAVED_NOTICE]
    texts_stored = [m.text for m in chat.transcript()]
    assert texts_stored.count("芝罘区向阳街道办欠我们公司工程款三十万") == 1 and texts_stored.count(texts.SAVED_NOTICE) == 1
    assert fake_rasa.texts() == ["你好"]  # not forwarded while the dead process's lease holds
    await ws.close()


async def test_a_later_message_never_overtakes_one_still_being_forwarded(chat):
    """Two turns racing (a button press, then a message typed at once): the second
    waits for whoever holds the first, who forwards it next, so the assistant
    hears the conversation in order."""
    store, now = chat.relay.store, chat.relay.now()
    first = await store.run(tr.take_inbound, "web", "racer", "确认提交", now, lease=("one", now + timedelta(minutes=2)))
    second = await store.run(tr.take_inbound, "web", "racer", "谢谢", now, lease=("two", now + timedelta(minutes=2)))
    assert first.next_in_line and not second.next_in_line
    conv_id = str(ConversationId("web", "racer"))

    assert await store.run(tr.claim_pending, conv_id, "two", now, now + timedelta(minutes=2)) == []
    # Once the first holder's lease has run out (it died), both are claimed, oldest first.
    later = now + timedelta(minutes=3)
    claimed = await store.run(tr.claim_pending, conv_id, "two", later, later + timedelta(minutes=2))
    assert [m.text for m in claimed] == ["确认提交", "谢谢"]


async def test_a_dead_processs_message_is_taken_over_once_its_lease_lapses(backoffice, fake_rasa, clock):
    """Two app processes on one store. The one forwarding a message renews its
    short lease while Rasa works, so the other leaves the message alone; when
    it dies the lease lapses and the other forwards the message and stores the
    answer once (the real Rasa answers a message id it has answered before with
    that answer: bot/rest_channel.py)."""
    quick = dict(chat_lease_seconds=0.3, rasa_timeout_seconds=0.2)
    one = await start_chat(backoffice, settings_for(fake_rasa.url, **quick))
    two = await start_chat(backoffice, settings_for(fake_rasa.url, **quick))
    try:
        await one.client.get("/")
        fake_rasa.gate.clear()  # Rasa takes its time
        status, body = await say(one.client, "你好", "t1")
        assert body["messages"][-1]["text"] == texts.SAVED_NOTICE
        conv_id = one.conversation_id()

        clock.advance(seconds=1)  # past the lease taken with the message: the holder renews it
        for _ in range(100):
            if all(p.lease_until > clock() for p in one.pending()):
                break
            await asyncio.sleep(0.05)
        assert await two.relay.retry_once() == 0 and fake_rasa.texts() == ["你好"]

        await one.relay.close()  # the holder dies mid-turn
        clock.advance(seconds=1)
        fake_rasa.gate.set()
        assert await two.relay.retry_once() == 1
        assert fake_rasa.texts() == ["你好", "你好"]
        said = [m.text for m in one.transcript(conv_id) if m.direction == "out"]
        assert said == [texts.SAVED_NOTICE, "您好，这里是12345政务失信投诉热线。请说说您遇到的问题。"]
        assert one.pending() == []
    finally:
        await one.client.close()
        await two.client.close()
