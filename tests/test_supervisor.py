"""Supervision and the generated Rasa endpoints, with real processes and no Rasa:
a process that dies is started again after a back-off and `hotline status`
says so; the endpoints file keeps conversations in a store of their own."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import yaml

from intake_store import rasa_endpoints
from intake_store.cli import main
from intake_store.settings import Settings, get_settings
from intake_store.supervisor import Child, Supervisor, backoff_seconds, describe, read_status

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_back_off_doubles_up_to_a_minute():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 7, 20)] == [1, 2, 4, 8, 60, 60]


def test_a_killed_process_is_started_again_after_its_back_off_and_the_status_says_so(tmp_path):
    clock = Clock()
    children = [Child("rasa", SLEEPER, dict(os.environ)), Child("app", SLEEPER, dict(os.environ))]
    sup = Supervisor(children, tmp_path / "status.json", clock=clock)
    sup.start_all()
    try:
        rasa, app = children
        first_pid = rasa.proc.pid
        os.kill(first_pid, signal.SIGKILL)
        rasa.proc.wait()
        events = sup.check()
        assert events == ["rasa 进程已退出（代码 -9），1 秒后重启。"]
        assert rasa.state == "waiting" and app.state == "running"  # the others go on
        assert "等待重启" in describe(read_status(tmp_path / "status.json"))

        clock.t += 1
        assert sup.check()[0].startswith("rasa 进程已重启（第 1 次")
        assert rasa.state == "running" and rasa.proc.pid != first_pid

        # It dies again at once: the wait doubles.
        os.kill(rasa.proc.pid, signal.SIGKILL)
        rasa.proc.wait()
        assert sup.check() == ["rasa 进程已退出（代码 -9），2 秒后重启。"]
        clock.t += 1
        assert sup.check() == []
        clock.t += 1
        sup.check()
        text = describe(read_status(tmp_path / "status.json"))
        assert "rasa" in text and "运行中" in text and "重启 2 次" in text and "上次退出代码 -9" in text
    finally:
        sup.stop_all()
    assert all(c.proc.poll() is not None for c in children)
    assert describe(read_status(tmp_path / "status.json")) == "系统没有在运行（用 hotline run 启动）。"


def test_hotline_status_when_nothing_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["status"]) == 0
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().out.strip() == "系统没有在运行（用 hotline run 启动）。"


def test_conversations_are_kept_next_to_the_app_database_on_sqlite(tmp_path):
    doc = rasa_endpoints.endpoints(actions_url="http://127.0.0.1:5055", database_url=f"sqlite:///{tmp_path}/h.db",
                                   var_dir=Path("/elsewhere"))
    assert doc == {"action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
                   "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db")}}


def test_on_postgresql_conversations_get_their_own_database_and_redis_locks_them():
    doc = rasa_endpoints.endpoints(actions_url="http://127.0.0.1:5056/", var_dir=Path("/v"),
                                   database_url="postgresql+psycopg://hot:pw@db.local:5433/hotline",
                                   redis_url="redis://:secret@127.0.0.1:6380/2")
    assert doc["tracker_store"] == {"type": "SQL", "dialect": "postgresql", "url": "db.local", "port": 5433,
                                    "db": "hotline_rasa", "login_db": "hotline", "username": "hot", "password": "pw"}
    assert doc["lock_store"] == {"type": "redis", "url": "127.0.0.1", "port": 6380, "db": 2, "key_prefix": "hotline",
                                 "password": "secret"}


def test_a_bad_redis_url_is_refused_in_chinese(tmp_path):
    with pytest.raises(ValueError, match="REDIS_URL 应形如"):
        rasa_endpoints.write(tmp_path / "e.yml", actions_url="http://x", database_url="sqlite://", var_dir=tmp_path,
                             redis_url="http://127.0.0.1:6379")


def test_the_written_file_is_yaml_rasa_reads(tmp_path):
    path = rasa_endpoints.write(tmp_path / "run" / "endpoints.yml", actions_url="http://127.0.0.1:5055",
                                database_url="sqlite:///" + str(tmp_path / "h.db"), var_dir=tmp_path)
    assert yaml.safe_load(path.read_text())["tracker_store"]["db"] == str(tmp_path / "rasa_tracker.db")


def test_several_replicas_without_a_shared_secret_are_refused(tmp_path):
    settings = Settings(hotline_replicas=2, hotline_secret=None, hotline_var_dir=tmp_path)
    with pytest.raises(ValueError, match="HOTLINE_SECRET") as e:
        settings.secret()
    assert "多个副本" in str(e.value) and "shared" in str(e.value)
    assert Settings(hotline_replicas=2, hotline_secret="s" * 64).secret() == "s" * 64


def test_serve_says_what_is_missing_for_replicas(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_REPLICAS", "2")
    monkeypatch.delenv("HOTLINE_SECRET", raising=False)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["serve"]) == 2
    finally:
        get_settings.cache_clear()
    assert "必须设置同一个 HOTLINE_SECRET" in capsys.readouterr().err
