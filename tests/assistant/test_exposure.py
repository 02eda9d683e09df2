"""`hotline run` as an operator starts it: nothing answers from outside this
machine, and Rasa's HTTP API (a conversation's tracker holds the ticket
number, the query code and everything the citizen typed) needs its token.

Starts the real three processes on free ports, so it needs the trained model.
"""
from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from e2e_servers import START_TIMEOUT, free_port, http_status

from intake_store import assistant

pytestmark = pytest.mark.rasa
API_TOKEN = "rasa-api-token-for-the-test"


def outside_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=False).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            address = fields[fields.index("inet") + 1].split("/")[0]
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def tracker_status(url: str, token: str | None = None) -> int | None:
    if token:
        url += f"?token={token}"
    return http_status(url)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """`hotline run` with Rasa's API asked for (so the token is what keeps it closed)."""
    work = tmp_path_factory.mktemp("run")
    ports = {"app": free_port(), "rasa": free_port(), "actions": free_port()}
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'hotline.db'}", "HOTLINE_SECRET": "s" * 64,
           "HOTLINE_SERVICE_TOKEN": "service-token-for-the-test", "RASA_API_TOKEN": API_TOKEN,
           "TELEGRAM_BOT_TOKEN": "", "JOBS_INTERVAL_SECONDS": "3600"}
    if os.environ.get("ASSISTANT_TEST_MODEL"):
        pytest.skip("`hotline run` uses the model in models/")
    log = open(work / "run.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "intake_store.cli", "run", "--port", str(ports["app"]),
         "--rasa-port", str(ports["rasa"]), "--actions-port", str(ports["actions"])],
        cwd=assistant.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    ready = [f"http://127.0.0.1:{ports['app']}/api/openapi.json",
             f"http://127.0.0.1:{ports['rasa']}/webhooks/rest/", f"http://127.0.0.1:{ports['actions']}/health"]
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while not all(http_status(url) == 200 for url in ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("hotline run did not come up:\n" + (work / "run.log").read_text(errors="replace")[-4000:])
            time.sleep(1)
        yield ports
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_no_project_port_answers_on_an_outside_address(running):
    addresses = outside_addresses()
    if not addresses:
        pytest.skip("this machine has no address other than loopback")
    assert all(answers("127.0.0.1", port) for port in running.values())
    reachable = [(a, name) for a in addresses for name, port in running.items() if answers(a, port)]
    assert reachable == []


def test_rasa_tracker_needs_the_token(running):
    rasa = f"http://127.0.0.1:{running['rasa']}"
    with urllib.request.urlopen(urllib.request.Request(
            f"{rasa}/webhooks/rest/webhook", data='{"sender": "s1", "message": "你好"}'.encode(),
            headers={"Content-Type": "application/json"}), timeout=120) as r:
        assert r.status == 200
    tracker = f"{rasa}/conversations/s1/tracker"
    assert tracker_status(tracker) == 401
    assert tracker_status(tracker, "wrong") == 401
    assert tracker_status(tracker, API_TOKEN) == 200
    assert http_status(f"{rasa}/status") == 401


def test_rasa_api_is_off_unless_asked():
    command = assistant.server_command(5005)
    assert "--enable-api" not in command
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    asked = assistant.server_command(5005, api_token="t0ken")
    assert asked[asked.index("--enable-api") + 1:asked.index("--enable-api") + 3] == ["--auth-token", "t0ken"]
    assert assistant.rasa_env()["SANIC_HOST"] == "127.0.0.1"
