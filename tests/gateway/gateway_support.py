"""What the gateway tests share: the running app as a visitor's browser and
the tests see it, and the two ways of sending a message."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.gateway import setup as gateway_setup
from bot.gateway.webchat import COOKIE
from bot.gateway.wiring import RELAY
from intake_store.app import create_app
from intake_store.db import session_scope
from intake_store.models import Conversation, Message, PendingMessage
from intake_store.schemas import TicketIn
from intake_store.settings import Settings
from intake_store.tickets.commands import act, create_ticket
from intake_store.tickets.viewer import Viewer
from intake_store.web import SENDER

SERVICE_TOKEN = "gateway-service-token"


def settings_for(rasa_url: str, **overrides) -> Settings:
    values = dict(
        database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, rasa_url=rasa_url, actions_url="",
        rasa_timeout_seconds=2.0, rasa_give_up_seconds=60.0, chat_lease_seconds=10.0,
        # The tests run the retry pass and the outbox by hand.
        rasa_retry_seconds=3600.0, outbox_poll_seconds=3600.0,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Chat:
    """The running app as a web visitor's browser and the tests see it."""

    client: TestClient
    backoffice: object

    @property
    def app(self):
        return self.client.server.app

    @property
    def relay(self):
        return self.app[RELAY]

    @property
    def sender(self):
        return self.app[SENDER]

    @property
    def engine(self):
        return self.backoffice.engine

    def conversation_id(self, client: TestClient | None = None) -> str:
        """The conversation of the visitor whose cookie `client` holds."""
        client = client or self.client
        token = next(c.value for c in client.session.cookie_jar if c.key == COOKIE).rpartition(".")[0]
        sender = hmac.new(self.backoffice.secret.encode(), f"web-visitor:{token}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"web:{sender}"

    def transcript(self, conv_id: str | None = None) -> list[Message]:
        conv_id = conv_id or self.conversation_id()
        with session_scope(self.engine) as s:
            return list(s.execute(select(Message).where(Message.conversation_id == conv_id).order_by(Message.id)).scalars())

    def conversation(self, conv_id: str | None = None) -> Conversation:
        with session_scope(self.engine) as s:
            return s.get(Conversation, conv_id or self.conversation_id())

    def pending(self) -> list[PendingMessage]:
        with session_scope(self.engine) as s:
            return list(s.execute(select(PendingMessage)).scalars())

    async def another_visitor(self) -> TestClient:
        other = TestClient(self.client.server)
        await other.start_server()
        return other


async def start_chat(backoffice, settings: Settings, port: int | None = None) -> Chat:
    app = create_app(settings, backoffice=backoffice, extra_setup=[gateway_setup])
    client = TestClient(TestServer(app, **({"port": port} if port else {})))
    await client.start_server()
    return Chat(client, backoffice)


async def say(client: TestClient, text: str, client_id: str, after: int = 0) -> tuple[int, dict]:
    """The HTTP fallback: one message, and what the page gets back."""
    resp = await client.post("/chat/api/messages", json={"text": text, "client_id": client_id, "after": after})
    return resp.status, await resp.json()


async def next_of(ws, kind: str) -> dict:
    """The next WebSocket frame of a kind, skipping others (typing, tickets ...)."""
    while True:
        frame = await ws.receive_json()
        if frame["type"] == kind:
            return frame


def replied_ticket(backoffice, channel: str, sender_id: str) -> str:
    """A ticket filed from a chat, answered by its department: the 回访 question is queued."""
    service, lead = Viewer("service", "assistant"), Viewer("department", "gxj", "industry")
    with session_scope(backoffice.engine) as s:
        ticket, _ = create_ticket(backoffice, s, TicketIn(
            idempotency_key=f"{channel}-{sender_id}", channel=channel, sender_id=sender_id, conversation_id=sender_id,
            description="区政府欠我们货款", category="arrears", category_confidence=0.95), service)
        number = ticket.number
    with session_scope(backoffice.engine) as s:
        act(backoffice, s, number, "accept", lead)
        act(backoffice, s, number, "verify", lead, payload={"result": "substantiated", "findings": "确有拖欠"})
        act(backoffice, s, number, "reply", lead, payload={"text": "已协调区财政12月底前付清。"})
    return number
