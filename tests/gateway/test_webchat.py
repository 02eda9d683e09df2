"""The web chat as a visitor's browser uses it (WebSocket and the HTTP
fallback), against the real app and store and a scripted assistant."""
from __future__ import annotations

import asyncio
import json

import aiohttp
from gateway_support import next_of, say, settings_for, start_chat

from bot.gateway import texts
from intake_store.app import create_app
from intake_store.db import session_scope
from intake_store.openapi import ENDPOINTS
from intake_store.settings import Settings

PHONE = "13812345678"




async def test_the_page_is_chinese_and_served_with_its_script(chat):
    resp = await chat.client.get("/")
    html = await resp.text()
    assert resp.status == 200 and 'lang="zh-CN"' in html and "发送" in html
    assert any(c.key == "hotline_chat" for c in chat.client.session.cookie_jar)
    script = await chat.client.get("/chat/static/chat.js")
    assert script.status == 200 and "WebSocket" in await script.text()


async def test_a_message_is_stored_before_rasa_sees_it_and_the_answer_after(chat, fake_rasa):
    seen_in_store = []

    async def check_store(body):
        rows = await asyncio.to_thread(chat.transcript, body["sender"])
        seen_in_store.append([(m.direction, m.text) for m in rows])

    fake_rasa.before_answer = check_store
    await chat.client.get("/")
    status, body = await say(chat.client, "你好", "c1")
    assert status == 200
    # Rasa was asked as "web:<sender>", told the channel, and the message was already stored.
    conv_id = chat.conversation_id()
    assert fake_rasa.received[0]["sender"] == conv_id and fake_rasa.received[0]["input_channel"] == "web"
    assert fake_rasa.received[0]["metadata"]["channel"] == "web"
    assert seen_in_store == [[("in", "你好")]]
    assert [(m["direction"], m["text"]) for m in body["messages"]] == [
        ("in", "你好"), ("out", "您好，这里是12345政务失信投诉热线。请说说您遇到的问题。")]
    assert [m.direction for m in chat.transcript()] == ["in", "out"]
    assert chat.pending() == []


async def test_websocket_turn_shows_typing_buttons_and_a_pressed_button_sends_its_payload(chat, fake_rasa):
    await chat.client.get("/")
    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_json({"type": "hello", "after": 0})
    assert (await ws.receive_json()) == {"type": "history", "messages": [], "tickets": []}

    await ws.send_json({"type": "say", "text": "芝罘区向阳街道办欠我们公司工程款三十万", "client_id": "w1"})
    frames = []
    while len([f for f in frames if f["type"] == "messages"]) < 2:
        frames.append(await ws.receive_json())
    kinds = [f["type"] if f["type"] != "typing" else f"typing:{f['on']}" for f in frames]
    assert kinds == ["messages", "typing:True", "messages"]
    assert (await ws.receive_json()) == {"type": "typing", "on": False}  # hidden once the answer is shown
    echo, answer = frames[0]["messages"][0], frames[2]["messages"]
    assert echo["client_id"] == "w1" and echo["direction"] == "in"
    assert answer[-1]["buttons"] == ["确认提交", "修改"]

    await ws.send_json({"type": "say", "button": {"message_id": answer[-1]["id"], "index": 0}, "client_id": "w2"})
    pressed = (await next_of(ws, "messages"))["messages"][0]
    assert pressed["text"] == "确认提交"  # the title is shown ...
    reply = (await next_of(ws, "messages"))["messages"][0]
    assert reply["text"] == "已受理。"
    assert fake_rasa.texts()[-1] == "/affirm"  # ... the payload is sent
    stored = chat.transcript()[-2]
    assert stored.text == "确认提交" and stored.meta["forward"] == "/affirm"
    await ws.close()


async def test_a_button_that_was_never_offered_is_refused_politely(chat, fake_rasa):
    await chat.client.get("/")
    await say(chat.client, "你好", "b0")
    bot_message = chat.transcript()[-1]
    resp = await chat.client.post("/chat/api/messages", json={
        "button": {"message_id": bot_message.id, "index": 3}, "client_id": "b1"})
    assert resp.status == 200
    assert chat.transcript()[-1].text == texts.STALE_BUTTON
    assert fake_rasa.texts() == ["你好"]


async def test_a_resent_message_is_stored_and_answered_once(chat, fake_rasa):
    await chat.client.get("/")
    await say(chat.client, "你好", "same-id")
    status, body = await say(chat.client, "你好", "same-id")
    assert status == 200
    assert fake_rasa.texts() == ["你好"]
    assert [m.direction for m in chat.transcript()] == ["in", "out"]


async def test_a_returning_visitor_sees_the_conversation_masked_and_nobody_else_does(chat):
    await chat.client.get("/")
    await say(chat.client, f"我电话{PHONE}，身份证370602199001011234", "r1")
    # The store keeps what was typed ...
    assert chat.transcript()[0].text == f"我电话{PHONE}，身份证370602199001011234"
    # ... the page shows it again on the next visit, numbers masked.
    again = await (await chat.client.get("/chat/api/messages")).json()
    assert again["messages"][0]["text"] == "我电话138****5678，身份证370602********1234"
    assert again["messages"][1]["text"].startswith("收到：")
    stranger = await chat.another_visitor()
    try:
        assert (await (await stranger.get("/chat/api/messages")).json())["messages"] == []
    finally:
        await stranger.close()


async def test_the_ticket_number_is_shown_once_a_complaint_is_filed(chat, backoffice):
    from intake_store.schemas import TicketIn
    from intake_store.tickets import numbering
    from intake_store.tickets.commands import create_ticket
    from intake_store.tickets.viewer import Viewer

    await chat.client.get("/")
    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_json({"type": "hello", "after": 0})
    await next_of(ws, "history")
    conv_id = chat.conversation_id()

    # What the assistant's submit action does: a ticket linked to this conversation.
    with session_scope(backoffice.engine) as s:
        ticket, _ = create_ticket(backoffice, s, TicketIn(
            idempotency_key="web-banner-0001", channel="web", sender_id=conv_id, conversation_id=conv_id,
            description="街道办欠工程款", category="arrears", category_confidence=0.9), Viewer("service", "assistant"))
        number, code = ticket.number, numbering.query_code(backoffice.secret, ticket.query_nonce)
    await ws.send_json({"type": "say", "text": "/affirm", "client_id": "t1"})
    banner = await next_of(ws, "tickets")
    assert banner["tickets"] == [{"number": number, "query_code": code, "state_name": "已派单"}]
    history = await (await chat.client.get("/chat/api/messages")).json()
    assert history["tickets"][0]["number"] == number
    await ws.close()


async def test_other_sites_cannot_talk_as_the_visitor(chat):
    await chat.client.get("/")
    resp = await chat.client.post("/chat/api/messages", json={"text": "你好", "client_id": "x"},
                                  headers={"Origin": "https://evil.example"})
    assert resp.status == 403 and "来源" in (await resp.json())["error"]
    assert chat.transcript() == []


async def test_malformed_requests_get_chinese_errors_not_500s(chat):
    await chat.client.get("/")
    for body in (b"not json", b"[]", json.dumps({"client_id": "x"}).encode(),
                 json.dumps({"text": "a", "button": {"message_id": 1, "index": 0}, "client_id": "x"}).encode(),
                 json.dumps({"text": "a", "client_id": "含空格 的id"}).encode()):
        resp = await chat.client.post("/chat/api/messages", data=body, headers={"Content-Type": "application/json"})
        assert 400 <= resp.status < 500
        assert any("\u4e00" <= ch <= "\u9fff" for ch in (await resp.json())["error"])
    bad = await chat.client.get("/chat/api/messages?after=-1")
    assert bad.status == 400
    ws = await chat.client.ws_connect("/chat/ws")
    await ws.send_str("{oops")
    assert (await ws.receive_json())["error"] == "消息格式不正确。"
    await ws.close()
    assert chat.transcript() == []


async def test_the_openapi_document_describes_every_route_the_chat_adds(chat):
    doc = await (await chat.client.get("/api/openapi.json")).json()
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {(r.method, r.resource.canonical) for r in chat.app.router.routes()}
    ours = {("GET", "/chat/api/messages"), ("POST", "/chat/api/messages"), ("GET", "/chat/ws"),
            ("GET", "/api/conversations/{conversation_id}")}
    assert ours <= served and ours <= described
    assert "SayIn" in doc["components"]["schemas"] and "TicketIn" in doc["components"]["schemas"]
    # Described because registered in this app; an app without the chat does not describe it.
    assert ours <= {(e.method, e.path) for e in chat.app[ENDPOINTS]}
    backoffice_only = create_app(Settings(database_url="sqlite://"))
    assert [e for e in backoffice_only[ENDPOINTS] if e.path.startswith("/chat/")] == []
    assert ("GET", "/api/tickets/{number}") in {(e.method, e.path) for e in backoffice_only[ENDPOINTS]}


async def test_typed_slash_text_never_reaches_rasa_as_an_intent(chat, fake_rasa):
    await chat.client.get("/")
    status, body = await say(chat.client, '/complain_x{"respondent": "财政局"}', "s1")
    await say(chat.client, " //affirm", "s2", after=body["messages"][-1]["id"])
    assert status == 200
    assert fake_rasa.texts() == ['complain_x{"respondent": "财政局"}', "affirm"]
    # The transcript keeps what was typed.
    assert [m.text for m in chat.transcript() if m.direction == "in"] == ['/complain_x{"respondent": "财政局"}', " //affirm"]


def _cookie(client) -> str | None:
    return next((c.value for c in client.session.cookie_jar if c.key == "hotline_chat"), None)


async def test_a_visitor_cookie_the_server_did_not_sign_is_a_new_visitor(chat):
    await chat.client.get("/")
    await say(chat.client, "我的电话13812345678", "v1")
    mine = chat.conversation_id()
    token, _, signature = _cookie(chat.client).partition(".")
    assert len(signature) == 64
    # Someone plants a well-formed value (unsigned, or signed by someone else) in a browser.
    for forged in (token, f"{token}.{'0' * 64}", "A" * 43):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as other:
            resp = await other.get(chat.client.make_url("/chat/api/messages"), headers={"Cookie": f"hotline_chat={forged}"})
            body = await resp.json()
        assert resp.status == 200 and body["messages"] == [] and body["tickets"] == []
        issued = resp.cookies["hotline_chat"].value  # a fresh identity instead
        assert issued != forged and issued.partition(".")[0] != token
    # The signed cookie is still this visitor.
    again = await chat.client.get("/chat/api/messages")
    assert [m["text"] for m in (await again.json())["messages"]][0] == "我的电话138****5678"
    assert "hotline_chat" not in again.cookies and chat.conversation_id() == mine


async def test_the_visitor_cookie_is_secure_when_the_site_says_so(backoffice, fake_rasa):
    c = await start_chat(backoffice, settings_for(fake_rasa.url, session_cookie_secure=True))
    try:
        resp = await c.client.get("/")
        assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]
    finally:
        await c.client.close()
    resp = await (await start_chat(backoffice, settings_for(fake_rasa.url))).client.get("/")
    assert "Secure" not in resp.headers["Set-Cookie"]


async def test_forget_this_device_the_next_person_starts_afresh(chat):
    await chat.client.get("/")
    _, body = await say(chat.client, "我叫王芳，电话13812345678", "f1")
    assert body["messages"]
    mine = chat.conversation_id()
    page = await chat.client.get("/")
    assert "清除本机记录" in await page.text()
    elsewhere = await chat.client.post("/chat/api/forget", headers={"Origin": "http://evil.example"})
    assert elsewhere.status == 403 and _cookie(chat.client)
    resp = await chat.client.post("/chat/api/forget")
    assert resp.status == 200 and _cookie(chat.client) is None
    after = await (await chat.client.get("/chat/api/messages")).json()
    assert after["messages"] == [] and chat.conversation_id() != mine
    assert [m.text for m in chat.transcript(mine)][0] == "我叫王芳，电话13812345678"  # the hotline keeps it


async def test_the_chat_page_cannot_be_framed_or_run_foreign_scripts(chat):
    from intake_store.headers import HEADERS

    page = await chat.client.get("/")
    assert {k: page.headers[k] for k in HEADERS} == HEADERS
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_a_visitor_sending_too_fast_is_asked_to_wait(backoffice, fake_rasa):
    c = await start_chat(backoffice, settings_for(fake_rasa.url, chat_max_messages_per_minute=3))
    try:
        await c.client.get("/")
        after = 0
        for i in range(3):
            status, body = await say(c.client, f"第{i}条", f"fl{i}", after)
            assert status == 200
        status, body = await say(c.client, "第4条", "fl4")
        assert status == 429 and body["code"] == "too_many_messages"
        assert body["error"] == "您发送消息太快了，请稍等 1 分钟再发。已发送的消息都已保存。"
        ws = await c.client.ws_connect("/chat/ws")
        await ws.send_json({"type": "say", "text": "第5条", "client_id": "fl5"})
        frame = await next_of(ws, "error")
        assert frame["client_id"] == "fl5" and frame["error"].startswith("您发送消息太快了")
        await ws.close()
        # Another visitor is not held up.
        other = await c.another_visitor()
        await other.get("/")
        assert (await say(other, "你好", "o1"))[0] == 200
        assert fake_rasa.texts() == ["第0条", "第1条", "第2条", "你好"]
    finally:
        await c.client.close()
