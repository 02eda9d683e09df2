"""The whole system as `hotline run` starts it, for fault tests and bench/faults.py,
and a citizen who files a complaint on the web chat over plain HTTP.

Plain classes, no pytest:

    system = HotlineRun.start(work_dir, model)       # app, Rasa server, action server on free ports
    system.kill("rasa")                              # kill -9, as a crash; `hotline run` restarts it
    citizen = WebCitizen(system.url, session)
    await citizen.file_complaint()                   # walks the form to a ticket number
    system.stop()
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from citizen import COMPLAINT, GREETING, Step, next_step, ticket_number
from e2e_servers import START_TIMEOUT, free_port, http_status

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = [sys.executable, "-m", "intake_store.cli"]


def free_ports(n: int) -> int:
    """The first of n consecutive free ports (replica i listens on base + i - 1)."""
    for _ in range(50):
        base = free_port()
        try:
            for port in range(base, base + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {n} consecutive free ports")


@dataclass
class HotlineRun:
    work: Path
    env: dict[str, str]
    port: int
    rasa_port: int
    actions_port: int
    replicas: int = 1
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port + i}" for i in range(self.replicas)]

    @classmethod
    def start(cls, work: Path, model: Path, replicas: int = 1, **env: str) -> "HotlineRun":
        work.mkdir(parents=True, exist_ok=True)
        base = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'hotline.db'}", "HOTLINE_VAR_DIR": str(work),
                "HOTLINE_SECRET": "fault-test-secret", "RASA_TIMEOUT_SECONDS": "3", "RASA_RETRY_SECONDS": "0.5",
                "OUTBOX_POLL_SECONDS": "1"}
        run = cls(work, {**base, **env}, free_ports(replicas), free_ports(replicas), free_ports(replicas), replicas)
        with open(work / "hotline-run.log", "ab") as log:
            run.proc = subprocess.Popen(
                [*HOTLINE, "run", "--model", str(model), "--port", str(run.port), "--rasa-port", str(run.rasa_port),
                 "--actions-port", str(run.actions_port), "--replicas", str(replicas)],
                cwd=ROOT, env=run.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        run.wait_ready()
        return run

    def ready(self) -> bool:
        return all(http_status(f"http://127.0.0.1:{self.port + i}/api/openapi.json") == 200
                   and http_status(f"http://127.0.0.1:{self.rasa_port + i}/webhooks/rest/") == 200
                   and http_status(f"http://127.0.0.1:{self.actions_port + i}/health") == 200
                   for i in range(self.replicas))

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hotline run exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"hotline run did not come up:\n{self.log_tail()}")

    def status(self) -> dict:
        return json.loads((self.work / "run" / "status.json").read_text(encoding="utf-8"))

    def pid(self, name: str) -> int:
        return next(p["pid"] for p in self.status()["processes"] if p["name"] == name)

    def kill(self, name: str) -> int:
        """kill -9 one of the supervised processes (and what it started); returns its pid."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        return pid

    def status_text(self) -> str:
        out = subprocess.run([*HOTLINE, "status"], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60)
        return out.stdout

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.work / "hotline-run.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class WebCitizen:
    """One visitor of the chat page, over the page's HTTP fallback (no WebSocket).
    Given several app services, each message goes to the next one in turn."""

    def __init__(self, url: str | list[str], name: str = "c"):
        self.urls = [url] if isinstance(url, str) else list(url)
        self.name = name
        self.after = 0
        self.sent = 0
        self.client_ids = 0
        self.questions: list[str] = []  # every question the assistant asked, in order
        self.waits: list[float] = []  # per message: seconds until the citizen heard something
        self.answer_waits: list[float] = []  # per message: seconds until the assistant's answer
        self.notices = 0
        self.failovers = 0  # requests that failed and went again to another app service
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "WebCitizen":
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with self.session.get(self.urls[0] + "/") as r:
            r.raise_for_status()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    async def say(self, step: Step, last: list[dict] | None = None, *, timeout: float = 600) -> list[dict]:
        """Send one message; return the assistant's answer (after a saved-notice if it was down)."""
        self.client_ids += 1
        body: dict = {"client_id": f"{self.name}-{self.client_ids}", "after": self.after}
        if step.kind == "button":
            message = next(m for m in reversed(last or []) if step.value in m["buttons"])
            body["button"] = {"message_id": message["id"], "index": message["buttons"].index(step.value)}
        else:
            body["text"] = step.value
        started = time.monotonic()
        deadline = started + timeout
        heard: float | None = None
        url, new = await self._post(body, deadline)
        self.sent += 1
        while True:
            out = [m for m in new if m["direction"] == "out"]
            if out and heard is None:
                heard = time.monotonic() - started
                self.waits.append(heard)
            self.notices += sum(1 for m in out if m["notice"])
            if new:
                self.after = max(m["id"] for m in new)
            said = [m for m in out if not m["notice"]]
            if said:
                self.questions.append(said[-1]["text"])
                self.answer_waits.append(time.monotonic() - started)
                return said
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no answer within {timeout:.0f} s")
            await asyncio.sleep(0.3)
            try:
                async with self.session.get(url + "/chat/api/messages", params={"after": str(self.after)}) as r:
                    r.raise_for_status()
                    new = (await r.json())["messages"]
            except aiohttp.ClientError:  # this app service is down: ask another
                self.failovers += 1
                url, new = self.urls[(self.urls.index(url) + 1) % len(self.urls)], []

    async def _post(self, body: dict, deadline: float) -> tuple[str, list[dict]]:
        """Send until an app service takes the message, as a page behind a load balancer
        would: on a failure the same message (same client id) goes again, to the next one."""
        i = self.sent
        while True:
            url = self.urls[i % len(self.urls)]
            try:
                async with self.session.post(url + "/chat/api/messages", json=body) as r:
                    r.raise_for_status()
                    return url, (await r.json())["messages"]
            except aiohttp.ClientError:
                self.failovers += 1
                if time.monotonic() > deadline:
                    raise
                i += 1
                await asyncio.sleep(0.5)

    async def start_complaint(self) -> list[dict]:
        await self.say(Step("text", GREETING))
        return await self.say(Step("text", COMPLAINT))

    async def finish(self, answer: list[dict], max_turns: int = 20) -> str:
        """Answer whatever is asked until the ticket number comes."""
        for _ in range(max_turns):
            number = ticket_number([m["text"] for m in answer])
            if number:
                return number
            answer = await self.say(next_step([(m["text"], m["buttons"]) for m in answer]), answer)
        raise AssertionError(f"{self.name}: no ticket after {max_turns} turns: {answer}")

    async def tickets(self, url: str) -> list[dict]:
        """The tickets of this conversation as the page shows them, from one app service."""
        async with self.session.get(url + "/chat/api/messages", params={"after": str(self.after)}) as r:
            r.raise_for_status()
            return (await r.json())["tickets"]

    async def step(self, answer: list[dict]) -> list[dict]:
        return await self.say(next_step([(m["text"], m["buttons"]) for m in answer]), answer)
