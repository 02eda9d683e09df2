"""Fixtures for the assistant tests: the back office, the action server and
the Rasa server, each started once per test session on free ports and
stopped at the end.

The action unit tests (test_actions_units.py) and the REST channel's
(test_rest_channel_units.py) import rasa_sdk and rasa, which only the Rasa
environment has; in the app environment they run through
test_action_units_wrapper.py instead of being collected here.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sqlite3
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from e2e_servers import START_TIMEOUT, Service, free_port, trained_model

from intake_store import assistant, category_model

if importlib.util.find_spec("rasa_sdk") is None:
    collect_ignore = ["test_actions_units.py", "test_rest_channel_units.py"]

HOTLINE = assistant.ROOT / ".venv" / "bin" / "hotline"


def post_json(url: str, body: Dict, timeout: float = 90.0):
    req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8") or "null")


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
    # the category model the assistant asks through /api/understand, trained
    # before the first conversation needs it
    category_model.ensure_trained()
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
    service = Service("back office", [str(HOTLINE), "serve", "--port", str(port)], env,
                      work / "backoffice.log", f"http://127.0.0.1:{port}/api/health", cwd=work)
    service.start()
    # the first answer loads the model: done here, not in a citizen's turn
    warm = urllib.request.Request(f"http://127.0.0.1:{port}/api/understand", method="POST",
                                  data=json.dumps({"text": "区住建局欠工程款"}).encode("utf-8"),
                                  headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    urllib.request.urlopen(warm, timeout=START_TIMEOUT).close()
    yield Backoffice(service, f"http://127.0.0.1:{port}", token, db)
    service.stop()


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained model (Rasa skips training when nothing changed).
    ASSISTANT_TEST_MODEL=<file.tar.gz> uses an already trained model instead."""
    try:
        return trained_model()
    except assistant.AssistantUnavailable as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def action_server(backoffice, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = {**assistant.rasa_env(), "HOTLINE_API_URL": backoffice.url, "HOTLINE_SERVICE_TOKEN": backoffice.token}
    service = Service("action server", assistant.action_server_command(port), env,
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
                      work / "rasa.log", f"http://127.0.0.1:{port}/webhooks/rest/")
    service.start()
    yield f"http://127.0.0.1:{port}"
    service.stop()


@pytest.fixture(scope="session")
def chat(rasa_server) -> Callable[[str, str], List[Dict]]:
    """chat(sender, message) → the bot's messages, through the REST channel."""

    def send(sender: str, message: str) -> List[Dict]:
        return post_json(f"{rasa_server}/webhooks/rest/webhook", {"sender": sender, "message": message}) or []

    return send
