"""The Rasa server's endpoints file, written from the app's settings at start.

Conversations live in Rasa's SQL tracker store, so a Rasa restart loses no
half-filled form: on the embedded default an SQLite file of its own next to
the app's database; on PostgreSQL a database of its own (`<app db>_rasa`,
created by Rasa on first start through the app's database). With `REDIS_URL`
set, conversations are locked in Redis, so several Rasa servers can serve one
conversation in turn.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlalchemy.engine import make_url

TRACKER_FILE = "rasa_tracker.db"


def tracker_store(database_url: str, var_dir: Path) -> dict:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(url.database).parent if url.database and url.database != ":memory:" else var_dir
        return {"type": "SQL", "dialect": "sqlite", "db": str(folder / TRACKER_FILE)}
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"对话记录只能存放在 SQLite 或 PostgreSQL 中，不支持 {url.get_backend_name()}。")
    store = {"type": "SQL", "dialect": "postgresql", "url": url.host or "127.0.0.1", "port": url.port or 5432,
             "db": f"{url.database}_rasa", "login_db": url.database}
    if url.username:
        store["username"] = url.username
    if url.password:
        store["password"] = url.password
    return store


def lock_store(redis_url: str) -> dict:
    url = urlsplit(redis_url)
    db = url.path.strip("/") or "0"
    if url.scheme != "redis" or not db.isdigit():
        raise ValueError(f"REDIS_URL 应形如 redis://主机:端口/库号，现在是 {redis_url!r}。")
    store = {"type": "redis", "url": url.hostname or "127.0.0.1", "port": url.port or 6379, "db": int(db),
             "key_prefix": "hotline"}
    if url.password:
        store["password"] = url.password
    return store


def endpoints(*, actions_url: str, database_url: str, var_dir: Path, redis_url: str | None = None) -> dict:
    out = {"action_endpoint": {"url": f"{actions_url.rstrip('/')}/webhook"},
           "tracker_store": tracker_store(database_url, var_dir)}
    if redis_url:
        out["lock_store"] = lock_store(redis_url)
    return out


def write(path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(**kwargs), allow_unicode=True, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)  # may hold the database password
    return path
