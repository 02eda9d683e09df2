"""The WeChat official account's HTTP API, through wechatpy's client: the
access token and customer-service messages (客服消息).

The token is fetched with AppID and AppSecret, kept in this process and
fetched again a minute before it runs out, and at once when WeChat answers
that it expired or was replaced (errcode 40001, 40014, 42001), after which
the call is made once more. wechatpy's client is synchronous (requests):
each call runs in a worker thread; a refused token is replaced only if no
other thread replaced it already.
"""
from __future__ import annotations

import asyncio
import threading
import time

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

TIMEOUT_SECONDS = 10.0
TOKEN_REFUSED = {40001, 40014, 42001}  # invalid, malformed, expired access token
# WeChat writes to a citizen only within 48 hours of their last message, and at
# most 5 messages per message of theirs: the rest waits until they write again.
OUT_OF_WINDOW = {45015, 45047}
# The citizen unfollowed the account, blocked it, or the id is not one of ours.
UNREACHABLE = {40003, 43004, 43019}


class WeChatApiError(Exception):
    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class _TimedSession(requests.Session):
    """wechatpy fetches the token without a timeout; never wait forever."""

    def request(self, method, url, **kwargs):
        kwargs["timeout"] = kwargs.get("timeout") or TIMEOUT_SECONDS
        return super().request(method, url, **kwargs)


class _Client(WeChatClient):
    def __init__(self, app_id: str, secret: str, base_url: str):
        # Our own retry below replaces wechatpy's, which repeats without a bound.
        super().__init__(app_id, secret, timeout=TIMEOUT_SECONDS, auto_retry=False)
        self.API_BASE_URL = f"{base_url.rstrip('/')}/cgi-bin/"
        self._http = _TimedSession()
        self._fetching = threading.Lock()

    def fetch_access_token(self):
        with self._fetching:
            if self.session.get(self.access_token_key) and (self.expires_at or 0) - time.time() > 60:
                return None  # another thread fetched it while this one waited
            return self._fetch_access_token(
                url=f"{self.API_BASE_URL}token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    def replace_token(self, refused: str | None) -> None:
        """WeChat refused this token: fetch another, unless a thread already did."""
        with self._fetching:
            if self.session.get(self.access_token_key) == refused:
                self.session.delete(self.access_token_key)
        _ = self.access_token  # fetched here when it was dropped


class WeChatApi:
    def __init__(self, app_id: str, secret: str, base_url: str):
        self.client = _Client(app_id, secret, base_url)

    async def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message to a citizen."""
        await asyncio.to_thread(self._call, self.client.message.send_text, openid, text)

    def _call(self, fn, *args):
        refused = None
        for attempt in (1, 2):
            token = None
            try:
                if attempt == 2:
                    self.client.replace_token(refused)
                token = self.client.access_token  # cached; fetched when missing or about to run out
                return fn(*args)
            except WeChatClientException as e:
                if attempt == 1 and e.errcode in TOKEN_REFUSED:
                    refused = token
                    continue
                raise WeChatApiError(e.errcode, str(e.errmsg)) from e
            except (requests.RequestException, ValueError) as e:
                raise WeChatApiError(None, f"{type(e).__name__}: {e}") from e
