"""The real assistant for end-to-end tests and benchmarks: the Rasa server and
the action server (both in the Rasa environment), started as processes on
free ports and pointed at an app that the caller runs.

Plain functions and classes, no pytest: any test folder's fixtures (and
bench/) can use them.

    model = trained_model()
    stack = RealAssistant.start(work_dir, api_url, service_token, model)
    ... stack.rasa_url, stack.actions_url ...
    stack.kill_rasa(); stack.start_rasa()     # Rasa dies and comes back
    stack.stop()

Rasa keeps its conversations in an SQLite tracker store in `work_dir`, so a
conversation survives a Rasa restart as it would on PostgreSQL in production.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from intake_store import assistant

# Loading the model takes ~25 s on an idle machine, minutes on a busy one;
# this only bounds a server that never comes up.
START_TIMEOUT = float(os.environ.get("ASSISTANT_START_TIMEOUT", "600"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str, timeout: float = 3.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def trained_model() -> Path:
    """The model: ASSISTANT_TEST_MODEL if set, else trained (Rasa skips the work when nothing changed)."""
    given = os.environ.get("ASSISTANT_TEST_MODEL")
    return Path(given) if given else assistant.train(quiet=True)


@dataclass
class Service:
    """A server process in its own process group, logging to a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    ready_url: str
    cwd: Path = assistant.ROOT
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = START_TIMEOUT) -> "Service":
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=handle,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if http_status(self.ready_url) == 200:
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.ready_url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
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
class RealAssistant:
    work: Path
    model: Path
    actions: Service
    rasa: Service
    rasa_port: int

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return self.actions.ready_url.rsplit("/", 1)[0]

    @classmethod
    def start(cls, work: Path, api_url: str, service_token: str, model: Path,
              api_token: str | None = None) -> "RealAssistant":
        """As `hotline run` starts them: on loopback, Rasa's HTTP API on only with `api_token`."""
        work.mkdir(parents=True, exist_ok=True)
        actions_port, rasa_port = free_port(), free_port()
        env = {**assistant.rasa_env(), "HOTLINE_API_URL": api_url, "HOTLINE_SERVICE_TOKEN": service_token}
        actions = Service("action server", assistant.action_server_command(actions_port), env,
                          work / "actions.log", f"http://127.0.0.1:{actions_port}/health")
        endpoints = work / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
            f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{work / "tracker.db"}"\n',
            encoding="utf-8")
        command = assistant.server_command(rasa_port, endpoints=endpoints, api_token=api_token)
        command[command.index("--model") + 1] = str(model)
        rasa = Service("Rasa server", command, env, work / "rasa.log",
                       f"http://127.0.0.1:{rasa_port}/webhooks/rest/")
        stack = cls(work, model, actions, rasa, rasa_port)
        actions.start()
        try:
            rasa.start()
        except Exception:
            actions.stop()
            raise
        return stack

    def kill_rasa(self) -> None:
        """As if the Rasa process crashed."""
        self.rasa.stop(signal.SIGKILL)

    def start_rasa(self) -> None:
        self.rasa.start()

    def stop(self) -> None:
        self.rasa.stop()
        self.actions.stop()
