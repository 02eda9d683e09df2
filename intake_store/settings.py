"""One settings object, read from the environment (and `.env` if present)."""
from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite under var/ by default; postgresql+psycopg://... in production.
    database_url: str = f"sqlite:///{VAR_DIR / 'hotline.db'}"
    host: str = "127.0.0.1"
    port: int = 8000
    # Token the Rasa actions use; also accepted from the api_token table.
    hotline_service_token: str | None = None
    # Server secret behind the query codes; kept in var/secret when not given.
    hotline_secret: str | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    # `hotline run`: the address Rasa and the action server listen on (loopback:
    # only this machine reaches them), and the token that turns Rasa's HTTP API
    # on (unset: off; it reads and rewrites any conversation).
    assistant_host: str = "127.0.0.1"
    rasa_api_token: str | None = None
    # Chat gateway (bot/gateway): the action server is probed before a message
    # is forwarded (empty: not probed); a citizen waits at most rasa_timeout_seconds
    # before hearing that the message is saved; a Rasa request is abandoned after
    # rasa_give_up_seconds and retried every rasa_retry_seconds once Rasa is back.
    # The app process forwarding a message holds a lease on it for
    # chat_lease_seconds and renews it while it works; when the process dies the
    # lease lapses and another process forwards the message.
    actions_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 4.0
    rasa_give_up_seconds: float = 120.0
    rasa_retry_seconds: float = 5.0
    chat_lease_seconds: float = 10.0
    # Telegram: off unless a token is set; long polling unless a public webhook URL is set.
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None  # e.g. a local Bot API server: http://host:port/bot
    telegram_webhook_url: str | None = None  # public https URL the app answers on, e.g. https://12345.example.cn
    # WeChat official account (公众号): off unless AppID, AppSecret and Token are set.
    # The server URL to enter in the account's console is <public https address>/wechat;
    # the EncodingAESKey is needed for its safe (安全) and compatible (兼容) modes.
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{3,32}$")
    wechat_encoding_aes_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]{43}$")
    wechat_api_base_url: str = "https://api.weixin.qq.com"  # or a local stand-in (the tests' one)
    # WeChat waits 5 s for the answer to a push; within this the assistant's answer
    # goes back in the response (passive reply), later as a customer-service message.
    wechat_reply_seconds: float = 4.0
    # Console and portal sign-in. Secure cookies: unset = only when the request came
    # over HTTPS; set true behind a proxy that terminates TLS.
    session_cookie_secure: bool | None = None
    session_idle_minutes: int = 120
    session_max_hours: int = 12
    login_max_failures: int = 5  # per username within login_window_minutes
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    # Behind a proxy: its address(es) or networks, comma-separated; only their
    # X-Forwarded-For is believed (the sign-in and lookup limits count by address).
    trusted_proxies: str = ""
    # Wrong query codes (POST /api/status, the chat lookup, 回访) per ticket and per
    # caller within status_window_minutes; past them lookups are refused with 429.
    status_max_failures_per_ticket: int = 5
    status_max_failures_per_caller: int = 20
    status_window_minutes: int = 15
    chat_max_messages_per_minute: int = 20  # per web visitor or Telegram chat
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 5000
    outbox_poll_seconds: float = 2.0
    # Deadline jobs: how often each app process sweeps for reminders, 督办 and 回访,
    # and how many tickets one transaction claims.
    jobs_interval_seconds: float = 60.0
    jobs_batch_size: int = 100
    # Where `hotline run` keeps what it generates (secrets, the Rasa endpoints file, the status file).
    hotline_var_dir: Path = VAR_DIR
    # Redis, for locking conversations when several Rasa servers share them (redis://host:port/db).
    redis_url: str | None = None
    # Replicas: migrations and default data run once (`hotline migrate`), not on every start, and
    # every replica needs the same HOTLINE_SECRET so query codes agree.
    migrate_on_start: bool = True
    hotline_replicas: int = 1

    def secret(self) -> str:
        if self.hotline_secret:
            return self.hotline_secret
        if self.hotline_replicas > 1:
            raise ValueError(
                "多个副本同时运行时必须设置同一个 HOTLINE_SECRET，否则各副本算出的查询码不同。"
                " Several replicas need one shared HOTLINE_SECRET (set the same value on every replica).")
        return kept_secret(self.hotline_var_dir / "secret", lambda: secrets.token_hex(32))


def kept_secret(path: Path, make) -> str:
    """The secret in `path`, created on first use. It is written to a private
    (0600) temporary file and linked into place, so the file is never readable
    by others, never half-written, and two processes starting at once agree on
    one value (the second link fails and that process reads the first's)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(make())
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
