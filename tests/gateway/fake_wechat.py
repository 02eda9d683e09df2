"""WeChat's servers for one official account (公众号), faked locally by their
real protocol, written from WeChat's documentation (not with wechatpy, which
the app uses, so that a shared mistake cannot hide):

- pushes to the account's server URL: the query signed with the Token
  (sha1 of the sorted token, timestamp, nonce), the body XML; in safe mode
  the XML is AES-256-CBC encrypted with the EncodingAESKey (random 16 bytes,
  4-byte length, message, AppID; PKCS#7 to 32 bytes) and signed again
  (msg_signature). WeChat waits 5 seconds for the response and pushes the
  same message again (same MsgId) up to three times when none comes. The
  response is "success"/empty, or a passive reply (encrypted in safe mode).
- the HTTP API: GET /cgi-bin/token (AppID + AppSecret → access token, 7200 s)
  and POST /cgi-bin/message/custom/send (客服消息), with WeChat's errcodes:
  40001 for an unknown token, 42001 for an expired one, 45015 when the
  citizen has not written for 48 hours, 43004 when they unfollowed.

The test plays the citizen: `says`, `sends_image`, `follows`, and reads what
the account sent with `seen` / `wait_for`.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fake_rasa import free_port, serve

ACCOUNT = "gh_12345hotline"  # the account's original id (ToUserName)
PUSH_TIMEOUT = 5.0
PUSH_RETRIES = 3


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass
class Seen:
    """A message the citizen got from the account."""

    openid: str
    text: str
    via: str  # "passive" | "custom"


class FakeWeChat:
    def __init__(self, *, app_id: str = "wx5c8e2f7a9b1d3c4e", secret: str = "f3b9c2d1e0a4b5c6d7e8f9a0b1c2d3e4",
                 token: str = "hotline12345", aes_key: str | None = None):
        self.app_id, self.secret, self.token = app_id, secret, token
        self.aes_key = aes_key or base64.b64encode(os.urandom(32)).decode().rstrip("=")
        self.port = free_port()
        self.api_base_url = f"http://127.0.0.1:{self.port}"
        self.server_url: str | None = None  # the account's server URL, as entered in the console
        self.safe_mode = False
        self.tokens: dict[str, float] = {}  # access token -> expires at
        self.token_fetches = 0
        self.api_calls: list[str] = []
        self.seen: list[Seen] = []
        self.silent_for: set[str] = set()  # citizens who have not written for 48 hours
        self.unfollowed: set[str] = set()
        self.pushes: list[int] = []  # HTTP status of every push, retries included
        self._msg_ids = itertools.count(24_000_000_000_000_001)
        self._clock = itertools.count(int(time.time()))
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    async def start(self) -> "FakeWeChat":
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        self._runner = await serve(app, self.port)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # ------------------------------------------------------------ the HTTP API

    async def _token(self, request: web.Request) -> web.Response:
        self.api_calls.append("token")
        q = request.query
        if q.get("grant_type") != "client_credential" or q.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != self.secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        token = secrets.token_urlsafe(96)
        self.tokens[token] = time.time() + 7200
        self.token_fetches += 1
        return web.json_response({"access_token": token, "expires_in": 7200})

    def expire_tokens(self) -> None:
        """As if the tokens ran out (or were replaced) before the app expected."""
        self.tokens = {t: 0.0 for t in self.tokens}

    async def _custom_send(self, request: web.Request) -> web.Response:
        self.api_calls.append("custom_send")
        token = request.query.get("access_token", "")
        if token not in self.tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if self.tokens[token] < time.time():
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        try:
            body = json.loads(await request.read())
            openid, content = body["touser"], body["text"]["content"]
            assert body["msgtype"] == "text" and len(content.encode()) <= 2048
        except (ValueError, KeyError, TypeError, AssertionError):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data or invalid content"})
        if openid in self.unfollowed:
            return web.json_response({"errcode": 43004, "errmsg": "require subscribe"})
        if openid in self.silent_for:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        await self._got(Seen(openid, content, "custom"))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _got(self, seen: Seen) -> None:
        async with self._changed:
            self.seen.append(seen)
            self._changed.notify_all()

    # ------------------------------------------------------------ safe mode

    def _key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def encrypt(self, xml: str) -> str:
        raw = xml.encode()
        data = os.urandom(16) + struct.pack(">I", len(raw)) + raw + self.app_id.encode()
        pad = 32 - len(data) % 32
        data += bytes([pad]) * pad
        key = self._key()
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(enc.update(data) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        key = self._key()
        dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        data = dec.update(base64.b64decode(encrypted)) + dec.finalize()
        data = data[:-data[-1]]
        length = struct.unpack(">I", data[16:20])[0]
        assert data[20 + length:].decode() == self.app_id, "reply encrypted for another account"
        return data[20:20 + length].decode()

    # ------------------------------------------------------------ pushes to the account's server

    def signed_query(self, body: str | None = None, *, safe: bool = False, token: str | None = None) -> dict:
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10 ** 9))
        query = {"signature": sign(token or self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        if safe:
            query.update(encrypt_type="aes", msg_signature=sign(token or self.token, timestamp, nonce, body or ""))
        return query

    async def check_server_url(self, *, token: str | None = None) -> tuple[int, str]:
        """What the 公众号 console does when the server URL is saved."""
        echo = str(secrets.randbelow(10 ** 18))
        async with aiohttp.ClientSession() as http:
            async with http.get(self.server_url, params={**self.signed_query(token=token), "echostr": echo}) as r:
                text = await r.text()
                return r.status, ("echoed" if text == echo else text)

    def _xml(self, openid: str, msg_type: str, fields: dict) -> str:
        body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>"
                       for k, v in fields.items())
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{next(self._clock)}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")

    async def push(self, openid: str, xml: str, *, twice: bool = False) -> str | None:
        """Push a message as WeChat does (again after 5 s without a response,
        up to three times); the passive reply's text, or None."""
        for _ in range(1 + PUSH_RETRIES):
            if self.safe_mode:
                encrypted = self.encrypt(xml)
                query = self.signed_query(encrypted, safe=True)
                body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
            else:
                query, body = self.signed_query(), xml
            try:
                status, text = await self.post(query, body)
            except asyncio.TimeoutError:
                continue
            self.pushes.append(status)
            if status != 200:
                raise AssertionError(f"the account's server answered {status}: {text}")
            if twice:  # the response was lost on the way back: WeChat pushes it again
                twice = False
                status, text = await self.post(query, body)
                self.pushes.append(status)
            reply = self.read_reply(text, openid, safe=self.safe_mode)
            if reply is not None:
                await self._got(Seen(openid, reply, "passive"))
            return reply
        raise AssertionError("the account's server never answered within 5 seconds")

    async def post(self, query: dict, body: str, timeout: float = PUSH_TIMEOUT) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            async with http.post(self.server_url, params=query, data=body.encode(),
                                 headers={"Content-Type": "text/xml"},
                                 timeout=aiohttp.ClientTimeout(total=timeout)) as r:
                return r.status, await r.text()

    def read_reply(self, text: str, openid: str, *, safe: bool) -> str | None:
        if text in ("", "success"):
            return None
        root = ET.fromstring(text)
        if safe:
            encrypted = root.findtext("Encrypt")
            assert root.findtext("MsgSignature") == sign(self.token, root.findtext("TimeStamp"),
                                                         root.findtext("Nonce"), encrypted), "bad reply signature"
            root = ET.fromstring(self.decrypt(encrypted))
        assert root.findtext("ToUserName") == openid and root.findtext("FromUserName") == ACCOUNT
        assert root.findtext("MsgType") == "text"
        return root.findtext("Content")

    # ------------------------------------------------------------ the citizen

    async def says(self, openid: str, text: str, *, twice: bool = False, msg_id: int | None = None) -> str | None:
        msg_id = msg_id or next(self._msg_ids)
        self.silent_for.discard(openid)
        return await self.push(openid, self._xml(openid, "text", {"Content": text, "MsgId": msg_id}), twice=twice)

    async def sends_image(self, openid: str) -> str | None:
        return await self.push(openid, self._xml(openid, "image", {
            "PicUrl": "http://mmbiz.qpic.cn/mmbiz/photo.jpg", "MediaId": "media-photo-1", "MsgId": next(self._msg_ids)}))

    async def sends_voice(self, openid: str) -> str | None:
        return await self.push(openid, self._xml(openid, "voice", {
            "MediaId": "media-voice-1", "Format": "amr", "MsgId": next(self._msg_ids)}))

    async def follows(self, openid: str) -> str | None:
        self.unfollowed.discard(openid)
        return await self.push(openid, self._xml(openid, "event", {"Event": "subscribe", "EventKey": ""}))

    async def unfollows(self, openid: str) -> str | None:
        self.unfollowed.add(openid)
        return await self.push(openid, self._xml(openid, "event", {"Event": "unsubscribe", "EventKey": ""}))

    def seen_by(self, openid: str) -> list[Seen]:
        return [s for s in self.seen if s.openid == openid]

    async def wait_for(self, openid: str, count: int) -> list[Seen]:
        """Wait until the citizen has got `count` messages in all."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.seen_by(openid)) >= count)
        return self.seen_by(openid)
