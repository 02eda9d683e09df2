"""Keeps the system's processes running: a process that dies is started again.

`hotline run` hands its processes (app service, Rasa server, action server)
to a `Supervisor`. A process that exits is logged and started again after a
back-off (1 s, 2 s, 4 s … at most a minute; back to 1 s once it has run a
minute), so one crash never stops the others: while the Rasa server or the
action server is away, the gateway tells citizens their messages are saved
and forwards them when it is back. The supervisor writes what it sees to a
status file that `hotline status` reads.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

log = logging.getLogger("hotline.supervisor")

STABLE_SECONDS = 60.0  # a process that ran this long starts its back-off again from the shortest wait
MAX_BACKOFF_SECONDS = 60.0
STATE_NAMES = {"running": "运行中", "waiting": "等待重启", "stopped": "已停止"}


def backoff_seconds(failures: int) -> float:
    """The wait before the n-th restart in a row: 1, 2, 4 … seconds, at most a minute."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, failures - 1))


@dataclass
class Child:
    """One supervised process: how to start it and what happened to it."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    log_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    restart_at: float | None = None
    last_exit: int | None = None

    @property
    def state(self) -> str:
        if self.proc is not None and self.proc.poll() is None:
            return "running"
        return "waiting" if self.restart_at is not None else "stopped"


class Supervisor:
    def __init__(self, children: list[Child], status_path: Path, *, clock: Callable[[], float] = time.monotonic):
        self.children = children
        self.status_path = status_path
        self.clock = clock

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)
        self.write_status()

    def _start(self, child: Child) -> None:
        out = open(child.log_path, "ab") if child.log_path else None  # noqa: SIM115 - handed to the child
        try:
            # Its own process group, so a restart or a stop reaches whatever the process started.
            child.proc = subprocess.Popen(child.command, cwd=child.cwd, env=child.env, stdout=out,
                                          stderr=subprocess.STDOUT if out else None, start_new_session=True)
        finally:
            if out:
                out.close()
        child.started_at, child.restart_at = self.clock(), None

    def check(self) -> list[str]:
        """One look at every process: note the ones that died, start the ones whose wait is over.
        Returns what happened, one line each (also logged)."""
        now, events = self.clock(), []
        for child in self.children:
            if child.proc is not None and child.restart_at is None and child.proc.poll() is not None:
                child.last_exit = child.proc.returncode
                _kill_group(child.proc)  # anything it left behind would hold its port
                ran = now - child.started_at
                child.failures_in_a_row = 1 if ran >= STABLE_SECONDS else child.failures_in_a_row + 1
                wait = backoff_seconds(child.failures_in_a_row)
                child.restart_at = now + wait
                events.append(f"{child.name} 进程已退出（代码 {child.last_exit}），{wait:g} 秒后重启。")
                log.warning(events[-1])
            if child.restart_at is not None and now >= child.restart_at:
                self._start(child)
                child.restarts += 1
                events.append(f"{child.name} 进程已重启（第 {child.restarts} 次，进程号 {child.proc.pid}）。")
                log.warning(events[-1])
        if events:
            self.write_status()
        return events

    def stop_all(self, timeout: float = 15.0) -> None:
        for child in self.children:
            child.restart_at = None
            if child.proc is not None and child.proc.poll() is None:
                _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(child.proc)
                child.proc.wait(timeout=10)
        self.write_status(stopped=True)

    def status(self) -> dict:
        return {
            "supervisor_pid": os.getpid(),
            "processes": [{
                "name": c.name,
                "state": c.state,
                "pid": c.proc.pid if c.proc is not None and c.state == "running" else None,
                "restarts": c.restarts,
                "last_exit": c.last_exit,
                "log": str(c.log_path) if c.log_path else None,
            } for c in self.children],
        }

    def write_status(self, stopped: bool = False) -> None:
        data = self.status()
        if stopped:
            data["supervisor_pid"] = None
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.status_path)  # readers never see half a file


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    _signal_group(proc, signal.SIGKILL)


def read_status(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def describe(status: dict | None) -> str:
    """What `hotline status` prints."""
    if not status or not status.get("supervisor_pid") or not _alive(status["supervisor_pid"]):
        return "系统没有在运行（用 hotline run 启动）。"
    lines = [f"hotline run 正在运行（进程号 {status['supervisor_pid']}）："]
    for p in status["processes"]:
        state = STATE_NAMES.get(p["state"], p["state"])
        pid = f"进程号 {p['pid']}" if p["pid"] else "—"
        last = f"，上次退出代码 {p['last_exit']}" if p["last_exit"] is not None else ""
        lines.append(f"  {p['name']:<8} {state}  {pid}  重启 {p['restarts']} 次{last}")
    return "\n".join(lines)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
