"""What `hotline run` starts: one app service, Rasa server and action server,
or N of each sharing one PostgreSQL and one Redis (`--replicas N`).

Replica i (1-based) listens on the base ports + i - 1: its app service talks
to its own Rasa server, which calls its own action server, which calls back
its own app service. Any of them can serve any turn of any conversation: the
back office and the transcripts are in PostgreSQL, Rasa's trackers in their
own database beside it, and Redis locks a conversation while one Rasa server
works on it. A load balancer in front of the app services spreads citizens.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from . import assistant, rasa_endpoints
from .settings import Settings
from .supervisor import Child


@dataclass(frozen=True)
class Ports:
    app: int
    rasa: int
    actions: int

    def of(self, replica: int) -> "Ports":
        return Ports(self.app + replica - 1, self.rasa + replica - 1, self.actions + replica - 1)


def check_replicas(settings: Settings, replicas: int) -> None:
    """Several replicas need what they share; say clearly what is missing."""
    if replicas < 1:
        raise ValueError("副本数至少为 1。 --replicas must be at least 1.")
    if replicas == 1:
        return
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        raise ValueError("多个副本需要共用一个 PostgreSQL 数据库：请设置 DATABASE_URL=postgresql+psycopg://…。"
                         " Several replicas share one PostgreSQL database: set DATABASE_URL.")
    if not settings.redis_url:
        raise ValueError("多个副本需要 Redis 为对话加锁：请设置 REDIS_URL=redis://主机:端口/库号。"
                         " Several replicas lock conversations in Redis: set REDIS_URL.")
    settings.model_copy(update={"hotline_replicas": replicas}).secret()  # refuses without a shared secret


def ensure_tracker_database(database_url: str) -> None:
    """On PostgreSQL, Rasa's trackers get a database of their own, made here once
    so that Rasa servers starting together do not race to create it."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    name = rasa_endpoints.tracker_store(database_url, Path("."))["db"]
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            if not c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                c.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as e:
        raise ValueError(f"无法创建对话记录数据库 {name}：请让数据库管理员创建它，或给 {url.username or '该用户'} "
                         f"CREATEDB 权限（{type(e.orig).__name__}）。") from e
    finally:
        engine.dispose()


def children(settings: Settings, *, replicas: int, base: Ports, model: Path, token: str, environ: dict[str, str],
             run_dir: Path) -> list[Child]:
    """The processes to supervise, in start order (the app first: the actions call it)."""
    out: list[Child] = []
    for i in range(1, replicas + 1):
        ports = base.of(i)
        suffix = f"-{i}" if replicas > 1 else ""
        api_url = f"http://127.0.0.1:{ports.app}"
        actions_url = f"http://{settings.assistant_host}:{ports.actions}"
        endpoints = rasa_endpoints.write(run_dir / f"endpoints{suffix}.yml", actions_url=actions_url,
                                         database_url=settings.database_url, var_dir=settings.hotline_var_dir,
                                         redis_url=settings.redis_url)
        app_env = {**environ, "HOTLINE_SERVICE_TOKEN": token, "RASA_URL": f"http://{settings.assistant_host}:{ports.rasa}",
                   "ACTIONS_URL": actions_url, "MIGRATE_ON_START": "false", "HOTLINE_REPLICAS": str(replicas)}
        rasa_env = {**assistant.rasa_env(settings.assistant_host), "HOTLINE_API_URL": api_url,
                    "HOTLINE_SERVICE_TOKEN": token}
        out += [
            Child(f"app{suffix}", [sys.executable, "-m", "intake_store.cli", "serve", "--port", str(ports.app)], app_env),
            Child(f"actions{suffix}", assistant.action_server_command(ports.actions), rasa_env, cwd=assistant.ROOT),
            Child(f"rasa{suffix}", assistant.server_command(ports.rasa, endpoints=endpoints, model=model,
                                                            host=settings.assistant_host,
                                                            api_token=settings.rasa_api_token),
                  rasa_env, cwd=assistant.ROOT),
        ]
    return out
