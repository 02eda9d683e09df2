"""WeChat official account (公众号): the same assistant in a WeChat chat,
through wechatpy (signatures, AES, message XML) and WeChat's HTTP API.

WeChat posts what a citizen sends to the server URL (`/wechat`), signed with
the account's Token (and in safe mode encrypted with its EncodingAESKey),
and waits 5 seconds for the answer; without one it posts the same message
again, up to three times, with the same MsgId. So:

- the message is stored before anything else; a repeated push finds it
  stored and is neither stored nor forwarded again;
- when the assistant answers within `wechat_reply_seconds`, the answer goes
  back in the response (a passive reply); otherwise the response is empty
  and the answer follows as a customer-service message (客服消息), as do
  the back office's messages (a department's reply, the 回访 question);
- the messages of one answer go out as one WeChat message (WeChat lets an
  account send only a few per message of the citizen), buttons as numbered
  choices that the citizen answers with the digit.
"""
from __future__ import annotations

import asyncio
import logging
import unicodedata
import uuid
from datetime import datetime, timedelta
from typing import Callable, Mapping

from aiohttp import web
from sqlalchemy import select
from sqlmodel import Session
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from intake_store.models import Message
from intake_store.openapi import ApiRoutes
from intake_store.outbox import DeliveryDeferred, PermanentDeliveryError, bring_forward
from intake_store.settings import Settings
from intake_store.throttle import Window, chat_refused
from intake_store.web import ApiError

from . import texts
from . import transcript as tr
from .delivery import queue_unsent
from .rasa_client import Button, Reply
from .relay import Relay
from .wechat_api import OUT_OF_WINDOW, UNREACHABLE, WeChatApi, WeChatApiError

log = logging.getLogger("hotline.gateway.wechat")
WEBHOOK_PATH = "/wechat"
MAX_BYTES = 2048  # one WeChat text message, in UTF-8 bytes
RETRY_LATER = timedelta(days=7)  # a message WeChat refuses until the citizen writes again
NON_TEXT = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "shortvideo": "[视频]", "location": "[位置]",
            "link": "[链接]"}
SUBSCRIBED, UNSUBSCRIBED = "[关注公众号]", "[取消关注]"
GREETING = "你好"  # what a new follower says to the assistant, to be greeted


# ---------------------------------------------------------------- what the citizen reads

def render(replies: list[Reply]) -> str:
    """One WeChat message for an answer; buttons numbered from 1 across it."""
    parts, n = [], 0
    for reply in replies:
        lines = [reply.text.strip()] if reply.text.strip() else []
        if reply.buttons:
            choices = []
            for button in reply.buttons:
                n += 1
                choices.append(f"{n}. {button.title}")
            lines.append(texts.WECHAT_CHOOSE + "\n" + "\n".join(choices))
        if lines:
            parts.append("\n\n".join(lines))
    return "\n\n".join(parts)


def split_text(text: str, limit: int = MAX_BYTES) -> list[str]:
    """Parts of at most `limit` UTF-8 bytes, cut at line breaks where possible."""
    parts = []
    while len(text.encode()) > limit:
        cut = len(text.encode()[:limit].decode(errors="ignore"))
        line_end = text.rfind("\n", 0, cut)
        cut = line_end if line_end > 0 else cut
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts


def choice_of(text: str, offered: list[Button]) -> Button | None:
    """The button a citizen chose by typing its number ("2", "２", "2。")."""
    typed = unicodedata.normalize("NFKC", text).strip().rstrip("。.、")
    if typed.isdigit() and len(typed) <= 2 and 1 <= int(typed) <= len(offered):
        return offered[int(typed) - 1]
    return None


# ---------------------------------------------------------------- the transcript

def offered_buttons(session: Session, conv_id: str) -> list[Button]:
    """The numbered choices of the last WeChat message the citizen was sent
    (the gateway's own notices offer none and are passed over)."""
    recent = session.execute(
        select(Message).where(Message.conversation_id == conv_id, Message.direction == "out")
        .order_by(Message.id.desc()).limit(20)
    ).scalars().all()
    sent = next((m.meta.get("wechat_send") for m in recent if (m.meta or {}).get("source") != "gateway"), None)
    if sent is None:
        return []
    together = [m for m in reversed(recent) if (m.meta or {}).get("wechat_send") == sent]
    return [Button(b["title"], b["payload"]) for m in together for b in m.meta.get("buttons") or []]


def passive_answer(session: Session, conv_id: str, external_id: str) -> list[Reply]:
    """What was answered in the response to a push, to answer its repeat alike
    (WeChat repeats a push whose response it did not get)."""
    asked = session.execute(
        select(Message.id).where(Message.conversation_id == conv_id, Message.external_id == external_id)
    ).scalar()
    if asked is None:
        return []
    after = session.execute(
        select(Message).where(Message.conversation_id == conv_id, Message.direction == "out", Message.id > asked)
        .order_by(Message.id).limit(20)
    ).scalars().all()
    return [Reply(m.text, tuple(Button(b["title"], b["payload"]) for b in m.meta.get("buttons") or []))
            for m in after if (m.meta or {}).get("answers") == asked]


# ---------------------------------------------------------------- the channel

class WeChatChannel:
    name = "wechat"

    def __init__(self, api: WeChatApi, token: str, crypto: WeChatCrypto | None, store: tr.Store, relay: Relay,
                 now: Callable[[], datetime], reply_seconds: float):
        self.api, self.token, self.crypto = api, token, crypto
        self.store, self.relay, self.now, self.reply_seconds = store, relay, now, reply_seconds
        # Pushes waiting for the assistant, by the stored message's id.
        self._passive: dict[int, asyncio.Future] = {}
        self.flood: Window | None = None  # messages per citizen

    # ------------------------------------------------------------ out

    async def deliver(self, conv_id: str, replies: list[Reply], *, answered: int | None = None,
                      meta: dict | None = None, key: str | None = None, session: Session | None = None) -> list[Message]:
        waiting = self._passive.get(answered) if answered is not None else None
        if waiting is not None and not waiting.done() and len(render(replies).encode()) <= MAX_BYTES:
            waiting.set_result(replies)  # the push's response carries them (stored there)
            return []
        return await self._send(conv_id, replies, answered=answered, meta=meta, key=key, session=session)

    async def _send(self, conv_id: str, replies: list[Reply], *, answered: int | None, meta: dict | None,
                    key: str | None, session: Session | None) -> list[Message]:
        """Customer-service messages, then stored. What cannot be sent during a
        conversation goes to the outbox, which retries it."""
        db = self.store.within(session) if session is not None else self.store
        openid = tr.split_recipient(self.name, conv_id)
        text = render(replies)
        async with self.relay.in_order(conv_id):
            try:
                for part in split_text(text) if text else []:
                    await self.api.send_text(openid, part)
            except WeChatApiError as e:
                if answered is None:
                    self._raise_for_outbox(e)
                log.warning("wechat send failed for %s (%s); queued in the outbox", conv_id, e)
                await self.store.run(queue_unsent, self.name, conv_id, [text], answered, self.now())
                return []
            return await db.run(tr.record_outbound, conv_id, replies, self.now(), answered=answered,
                                meta={**(meta or {}), "wechat_send": uuid.uuid4().hex[:12]},
                                external_ids=[key] if key else None)

    def _raise_for_outbox(self, e: WeChatApiError) -> None:
        """Tell the outbox whether to wait for the citizen, give up, or retry soon."""
        if e.errcode in OUT_OF_WINDOW:
            raise DeliveryDeferred(f"{e}; 等群众再次发消息后发送", self.now() + RETRY_LATER) from e
        if e.errcode in UNREACHABLE:
            raise PermanentDeliveryError(str(e)) from e
        raise e

    async def typing(self, conv_id: str, on: bool) -> None:
        """WeChat shows nothing while the assistant writes."""

    # ------------------------------------------------------------ in

    def check_signature(self, query: Mapping[str, str]) -> None:
        try:
            check_signature(self.token, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        except InvalidSignatureException:
            raise ApiError(403, "签名校验失败：这不是来自微信服务器的请求。", "bad_signature") from None

    def open(self, body: bytes, query: Mapping[str, str]):
        """The pushed message, decrypted in safe mode (its own signature checked)."""
        try:
            if query.get("encrypt_type") == "aes":
                if self.crypto is None:
                    raise ApiError(400, "收到加密消息，但服务器没有设置 EncodingAESKey。", "no_aes_key")
                body = self.crypto.decrypt_message(body, query.get("msg_signature", ""), query.get("timestamp", ""),
                                                   query.get("nonce", ""))
            message = parse_message(body)
        except (InvalidSignatureException, InvalidAppIdException):
            raise ApiError(403, "签名校验失败：这不是来自微信服务器的请求。", "bad_signature") from None
        except ApiError:
            raise
        except Exception:  # noqa: BLE001 - any way an untrusted blob fails to decrypt or parse
            raise ApiError(400, "不是合法的微信消息。", "bad_message") from None
        if message is None or not message.source:
            raise ApiError(400, "不是合法的微信消息。", "bad_message")
        return message

    def response(self, text: str | None, message, query: Mapping[str, str]) -> web.Response:
        """A passive reply (encrypted in safe mode), or "success": nothing to say now."""
        if not text:
            return web.Response(text="success")
        xml = create_reply(text, message, render=True)
        if query.get("encrypt_type") == "aes":
            xml = self.crypto.encrypt_message(xml, query.get("nonce", ""))
        return web.Response(text=xml, content_type="application/xml")

    async def accept(self, message, deadline: float) -> str | None:
        """Store a pushed message (once) and return what to answer in the response."""
        openid = message.source
        conv_id = tr.conversation_id(self.name, openid)
        if message.type == "event":
            return await self._on_event(message, openid, deadline)
        if message.type != "text":
            return await self._on_non_text(message, openid, conv_id)
        text = message.content or ""
        async with self.relay.in_order(conv_id):  # the choices may be sent and not yet stored
            offered = await self.store.run(offered_buttons, conv_id)
        meta: dict = {"wechat_msg_id": message.id}
        chosen = choice_of(text, offered)
        if chosen is not None:
            meta.update(forward=chosen.payload, choice=chosen.title)
        return await self._take(openid, text, _external_id(message), meta, deadline)

    async def _take(self, openid: str, text: str, external_id: str, meta: dict, deadline: float) -> str | None:
        conv_id = tr.conversation_id(self.name, openid)
        wait = self.flood.take(openid) if self.flood else 0
        if wait:
            return chat_refused(wait)  # not kept: a flood must not fill the store
        taken = await self.relay.take(self.name, openid, text, external_id=external_id, meta=meta)
        if taken is None:  # a repeated push: answer it as the first one was answered
            return render(await self.store.run(passive_answer, conv_id, external_id)) or None
        # WeChat lets the account write again: what the back office had for them goes out now.
        await self.store.run(bring_forward, self.name, [openid, conv_id], self.now())
        return await self._answer_in_time(conv_id, taken, deadline)

    async def _answer_in_time(self, conv_id: str, taken: tr.Taken, deadline: float) -> str | None:
        loop = asyncio.get_running_loop()
        slot = loop.create_future()
        asked = taken.message.id
        self._passive[asked] = slot
        turn = self.relay.spawn(self.relay.answer(taken))
        try:
            await asyncio.wait({slot, turn}, timeout=max(0.0, deadline - loop.time()),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._passive.pop(asked, None)
        if not slot.done():
            slot.cancel()  # from now on the answer goes as a customer-service message
            return None
        replies = slot.result()
        async with self.relay.in_order(conv_id):
            await self.store.run(tr.record_outbound, conv_id, replies, self.now(), answered=asked,
                                 meta={"answers": asked, "wechat_send": uuid.uuid4().hex[:12]})
        return render(replies) or None

    async def _on_event(self, message, openid: str, deadline: float) -> str | None:
        external_id = f"event:{message.time}:{message.event}"
        if message.event in ("subscribe", "subscribe_scan"):
            return await self._take(openid, SUBSCRIBED, external_id, {"forward": GREETING}, deadline)
        if message.event == "unsubscribe":
            await self.relay.take(self.name, openid, UNSUBSCRIBED, external_id=external_id, meta={"forward": None})
        return None  # menu clicks, location reports: nothing a person said

    async def _on_non_text(self, message, openid: str, conv_id: str) -> str:
        """A photo or a voice message is kept as a placeholder, with what WeChat
        says of it; the citizen is asked for words (the assistant reads text only)."""
        kind = message.type
        meta = {"kind": kind, "wechat_msg_id": message.id, "forward": None}
        for field, key in (("media_id", "media_id"), ("image", "pic_url"), ("recognition", "recognition"),
                           ("label", "place"), ("url", "url")):
            if getattr(message, field, None):
                meta[key] = getattr(message, field)
        taken = await self.relay.take(self.name, openid, NON_TEXT.get(kind, "[其他消息]"),
                                      external_id=_external_id(message), meta=meta)
        hint = Reply(texts.NON_TEXT_HINT)
        if taken is not None:
            async with self.relay.in_order(conv_id):
                await self.store.run(tr.record_outbound, conv_id, [hint], self.now(),
                                     meta={"source": "gateway", "answers": taken.message.id})
        return render([hint])


def _external_id(message) -> str:
    """WeChat's MsgId, the same in every repeat of a push."""
    return f"msg:{message.id}" if message.id else f"msg:{message.time}:{message.type}"


def enabled(settings: Settings) -> bool:
    return bool(settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_token)


def from_settings(settings: Settings, store: tr.Store, relay: Relay, now: Callable[[], datetime]) -> WeChatChannel:
    key = settings.wechat_encoding_aes_key
    crypto = WeChatCrypto(settings.wechat_token, key, settings.wechat_app_id) if key else None
    api = WeChatApi(settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base_url)
    return WeChatChannel(api, settings.wechat_token, crypto, store, relay, now, settings.wechat_reply_seconds)


WECHAT = web.AppKey("wechat", WeChatChannel)
routes = ApiRoutes()  # served only when the channel is on


def _channel(request: web.Request) -> WeChatChannel:
    channel = request.app.get(WECHAT)
    if channel is None:
        raise ApiError(404, "没有这个地址。", "http_404")
    return channel


@routes.endpoint("GET", WEBHOOK_PATH, "微信公众号服务器地址校验（signature、timestamp、nonce、echostr）")
async def check_url(request: web.Request) -> web.Response:
    """The 公众号 console checks the server URL: echo `echostr` if the signature is ours."""
    channel = _channel(request)
    channel.check_signature(request.query)
    return web.Response(text=request.query.get("echostr", ""))


@routes.endpoint("POST", WEBHOOK_PATH, "微信公众号推送消息（明文或安全模式 XML）；被动回复或 success")
async def receive(request: web.Request) -> web.Response:
    channel = _channel(request)
    deadline = asyncio.get_running_loop().time() + channel.reply_seconds
    channel.check_signature(request.query)
    message = channel.open(await request.read(), request.query)
    return channel.response(await channel.accept(message, deadline), message, request.query)
