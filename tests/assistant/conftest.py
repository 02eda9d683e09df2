"""Fixtures for the assistant tests: the back office, the action server and
the Rasa server, each started once per test session on free ports and
stopped at the end.

The action unit tests (test_actions_units.py) import rasa_sdk, which only the
Rasa environment has; in the app environment they run through
test_action_units_wrapper.py instead of being collected here.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest

from intake_store import assistant

if importlib.util.find_spec("rasa_sdk") is None:
    collect_ignore = ["test_actions_units.py"]

HOTLINE = assistant.ROOT / ".venv" / "bin" / "hotline"
# Loading the model takes ~25 s on an idle machine, minutes on a busy one.
START_TIMEOUT = float(os.environ.get("ASSISTANT_START_TIMEOUT", "600"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 3.0) -> Optional[int]:
    """The HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def post_json(url: str, body: Dict, timeout: float = 90.0):
    req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8") or "null")


@dataclass
class Service:
    """A server process in its own process group, logging to a file."""

    name: str
    command: List[str]
    env: Dict[str, str]
    cwd: Path
    log: Path
    ready_url: str
    proc: Optional[subprocess.Popen] = field(default=None, repr=False)

    def start(self, timeout: float = START_TIMEOUT) -> "Service":
        handle = open(self.log, "ab")
        self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if http_status(self.ready_url) == 200:
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.ready_url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Backoffice:
    service: Service
    url: str
    token: str
    db_path: Path

    def tickets(self, where: str = "", params: tuple = ()) -> List[sqlite3.Row]:
        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            return db.execute(f"SELECT * FROM ticket {where}", params).fetchall()

    def stop(self) -> None:
        self.service.stop()

    def start(self) -> None:
        self.service.start()


@pytest.fixture(scope="session")
def backoffice(tmp_path_factory) -> Backoffice:
    """The real back office on a fresh SQLite file (it migrates on start)."""
    if not HOTLINE.exists():
        pytest.fail(f"{HOTLINE.name} is missing: run 'make app-env'")
    work = tmp_path_factory.mktemp("backoffice")
    port = free_port()
    token = secrets.token_hex(16)
    db = work / "t.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "HOTLINE_SERVICE_TOKEN": token,
        "HOTLINE_SECRET": secrets.token_hex(16),
    }
    service = Service("back office", [str(HOTLINE), "serve", "--port", str(port)], env, work,
                      work / "backoffice.log", f"http://127.0.0.1:{port}/api/health")
    service.start()
    yield Backoffice(service, f"http://127.0.0.1:{port}", token, db)
    service.stop()


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained model (Rasa skips training when nothing changed).
    ASSISTANT_TEST_MODEL=<file.tar.gz> uses an already trained model instead."""
    given = os.environ.get("ASSISTANT_TEST_MODEL")
    if given:
        return Path(given)
    try:
        return assistant.train(quiet=True)
    except assistant.AssistantUnavailable as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def action_server(backoffice, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = {**assistant.rasa_env(), "HOTLINE_API_URL": backoffice.url, "HOTLINE_SERVICE_TOKEN": backoffice.token}
    service = Service("action server", assistant.action_server_command(port), env, assistant.ROOT,
                      work / "actions.log", f"http://127.0.0.1:{port}/health")
    service.start()
    yield f"http://127.0.0.1:{port}/webhook"
    service.stop()


@pytest.fixture(scope="session")
def rasa_server(rasa_model, action_server, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("rasa")
    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_server}"\n', encoding="utf-8")
    port = free_port()
    command = assistant.server_command(port, endpoints=endpoints)
    command[command.index("--model") + 1] = str(rasa_model)
    service = Service("Rasa server", command, assistant.rasa_env(),
                      assistant.ROOT, work / "rasa.log", f"http://127.0.0.1:{port}/webhooks/rest/")
    service.start()
    yield f"http://127.0.0.1:{port}"
    service.stop()


@pytest.fixture(scope="session")
def chat(rasa_server) -> Callable[[str, str], List[Dict]]:
    """chat(sender, message) → the bot's messages, through the REST channel."""

    def send(sender: str, message: str) -> List[Dict]:
        return post_json(f"{rasa_server}/webhooks/rest/webhook", {"sender": sender, "message": message}) or []

    return send
