"""The app's one scheduler for the work it does on a clock: the deadline sweep,
the outbox sender, the gateway's retry of messages Rasa has not answered.

A feature adds its pass with `every(app, seconds, fn, id=..., name=...)` (in
its setup or its cleanup context). The scheduler starts once every context is
up and stops before any is torn down; a pass still running then is waited
for, so it never outlives the database engine or the Rasa client it uses.
A pass that fails is logged and the next one runs as planned; a slow pass is
never run twice at once, and missed runs collapse into one.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .workcalendar import BEIJING

log = logging.getLogger("hotline.periodic")

SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)
PASSES = web.AppKey("periodic_passes", list)


class Pass:
    """One periodic pass as the scheduler calls it."""

    def __init__(self, name: str, fn: Callable[[], Awaitable[object]], on_stop: Callable[[], object] | None = None):
        self.name, self.fn, self.on_stop = name, fn, on_stop
        self._running: asyncio.Future | None = None

    async def run(self) -> None:
        self._running = asyncio.ensure_future(self._guarded())
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            pass  # the scheduler is stopping; `finish` waits for this pass

    async def _guarded(self) -> None:
        try:
            await self.fn()
        except Exception:  # e.g. the database is down: the next run tries again
            log.exception("%s failed; the next run will try again", self.name)

    async def finish(self) -> None:
        if self.on_stop is not None:
            self.on_stop()  # e.g. a long sweep stops between batches
        if self._running is not None and not self._running.done():
            await self._running


def setup(app: web.Application) -> None:
    app[SCHEDULER] = AsyncIOScheduler(timezone=BEIJING)
    app[PASSES] = []
    app.on_startup.append(_start)  # on_startup runs after every cleanup context is up
    app.on_shutdown.append(_stop)  # on_shutdown runs before any is torn down


def every(app: web.Application, seconds: float, fn: Callable[[], Awaitable[object]], *, id: str, name: str,
          on_stop: Callable[[], object] | None = None) -> None:
    """Run `fn` every `seconds`, the first time `seconds` after the start;
    `on_stop` asks a pass in flight to end early when the app stops."""
    job = Pass(name, fn, on_stop)
    app[PASSES].append(job)
    app[SCHEDULER].add_job(job.run, "interval", seconds=seconds, id=id, name=name, coalesce=True, max_instances=1)


async def _start(app: web.Application) -> None:
    app[SCHEDULER].start()


async def _stop(app: web.Application) -> None:
    if app[SCHEDULER].running:
        app[SCHEDULER].shutdown(wait=False)
        await asyncio.sleep(0)  # the scheduler stops in a callback on the loop
    for job in app[PASSES]:
        await job.finish()
