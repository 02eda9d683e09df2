"""The Rasa server is killed in the middle of a complaint: the citizen is told
at once that the message is saved, the conversation is flagged for an
operator, and when Rasa is back the assistant answers the saved message and
the complaint is filed. Real Rasa, real action server, real store."""
from __future__ import annotations

import asyncio
import itertools

import pytest
from citizen import COMPLAINT, GREETING, next_step, ticket_number
from gateway_support import next_of, settings_for, start_chat
from sqlalchemy import select

from bot.gateway import texts
from intake_store.db import session_scope
from intake_store.models import Ticket

pytestmark = pytest.mark.rasa
MAX_TURNS = 20
client_ids = (f"k{i}" for i in itertools.count())


async def say(ws, step_kind: str, value: str, last_answer: list[dict] | None = None) -> None:
    if step_kind == "button":
        message = next(m for m in reversed(last_answer) if value in m["buttons"])
        button = {"message_id": message["id"], "index": message["buttons"].index(value)}
        await ws.send_json({"type": "say", "button": button, "client_id": next(client_ids)})
    else:
        await ws.send_json({"type": "say", "text": value, "client_id": next(client_ids)})
    await next_of(ws, "messages")  # our own message, stored


async def answer_of(ws) -> list[dict]:
    """The assistant's messages for the last turn (notices are reported separately)."""
    while True:
        frame = await next_of(ws, "messages")
        said = [m for m in frame["messages"] if m["direction"] == "out" and not m["notice"]]
        if said:
            return said


async def test_rasa_killed_mid_conversation(backoffice, real_assistant, live_port):
    live = await start_chat(backoffice, settings_for(
        real_assistant.rasa_url, actions_url=real_assistant.actions_url, rasa_timeout_seconds=10.0,
        rasa_retry_seconds=0.5), port=live_port)
    try:
        await live.client.get("/")
        ws = await live.client.ws_connect("/chat/ws")
        await ws.send_json({"type": "hello", "after": 0})
        await next_of(ws, "history")
        await say(ws, "text", GREETING)
        await answer_of(ws)
        await say(ws, "text", COMPLAINT)
        question = await answer_of(ws)
        step = next_step([(m["text"], m["buttons"]) for m in question])

        real_assistant.kill_rasa()
        await say(ws, step.kind, step.value, question)
        notice = (await next_of(ws, "messages"))["messages"][0]
        assert notice["text"] == texts.SAVED_NOTICE and notice["notice"]
        conv = live.conversation()
        assert conv.needs_operator and conv.handoff_reason == texts.HANDOFF_REASON
        saved = live.transcript()[-2]
        assert saved.direction == "in" and [p.message_id for p in live.pending()] == [saved.id]

        restart = asyncio.create_task(asyncio.to_thread(real_assistant.start_rasa))
        # Nobody sends anything: once Rasa is back, the gateway forwards the saved message
        # and the page gets the answer (read while Rasa starts, as a browser would).
        answer = await answer_of(ws)
        await restart
        assert live.pending() == []
        for _ in range(MAX_TURNS):
            number = ticket_number([m["text"] for m in answer])
            if number:
                break
            step = next_step([(m["text"], m["buttons"]) for m in answer])
            await say(ws, step.kind, step.value, answer)
            answer = await answer_of(ws)
        else:
            raise AssertionError(f"no ticket after {MAX_TURNS} turns: {answer}")

        with session_scope(backoffice.engine) as s:
            ticket = s.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.conversation_id == live.conversation_id()
        transcript = live.transcript()
        assert [m.text for m in transcript].count(texts.SAVED_NOTICE) == 1
        assert saved.id in [m.id for m in transcript]  # what was typed while Rasa was down is there, once
        await ws.close()
    finally:
        if real_assistant.rasa.proc.poll() is not None:
            await asyncio.to_thread(real_assistant.start_rasa)  # the next tests need it
        await live.client.close()
