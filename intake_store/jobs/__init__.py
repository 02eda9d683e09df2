"""Deadlines that run themselves: reminders, 督办 cards and 回访, exactly once.

`setup(app)` wires them into the app service: a "portal" channel on the app's
outbox sender (messages to departments and supervisors, read in the
department portal) and an APScheduler interval job that runs `runner.sweep`.
The decisions are plain functions in `rules.py`; `runner.py` carries them out.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlmodel import Session

from ..models import Notification
from ..tickets import Backoffice
from ..workcalendar import BEIJING
from .runner import PORTAL, SWEEP_JOB, sweep

log = logging.getLogger("hotline.jobs")

SWEEP_JOB_NAME = "到期提醒、督办与回访"
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)


async def deliver_to_portal(notification: Notification) -> None:
    """The portal reads its inbox from the outbox itself (`portal_inbox`), so
    delivering a message is marking it delivered, which the sender does."""


def portal_inbox(session: Session, department: str, limit: int = 50) -> list[Notification]:
    """Messages delivered to a department's (or supervisor's) portal inbox, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.channel == PORTAL, Notification.recipient == department, Notification.state == "sent")
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


class SweepJob:
    """What the scheduler calls: one sweep in a worker thread (the database
    driver is synchronous); on shutdown the sweep stops between batches and
    is waited for, so it never outlives the database engine."""

    def __init__(self, bo: Backoffice, batch_size: int):
        self.bo, self.batch_size = bo, batch_size
        self._stop = threading.Event()
        self._running: asyncio.Future | None = None

    async def run(self) -> None:
        self._running = asyncio.ensure_future(asyncio.to_thread(self._sweep))
        try:
            await asyncio.shield(self._running)
        except asyncio.CancelledError:
            pass  # the scheduler is shutting down; `stop` waits for the sweep to finish its batch

    def _sweep(self) -> None:
        try:
            sweep(self.bo, batch_size=self.batch_size, stop=self._stop)
        except Exception:  # noqa: BLE001 - e.g. the database is down: the next run tries again
            log.exception("deadline sweep failed; the next run will try again")

    async def stop(self) -> None:
        self._stop.set()
        if self._running is not None and not self._running.done():
            await self._running


def setup(app: web.Application) -> None:
    from ..web import SENDER  # noqa: PLC0415 - web imports this package's listener

    app[SENDER].register(PORTAL, deliver_to_portal)
    app.cleanup_ctx.append(_scheduler_ctx)


async def _scheduler_ctx(app: web.Application):
    from ..web import BACKOFFICE, SETTINGS  # noqa: PLC0415

    settings = app[SETTINGS]
    job = SweepJob(app[BACKOFFICE], settings.jobs_batch_size)
    scheduler = AsyncIOScheduler(timezone=BEIJING)
    # coalesce + max_instances=1: a slow sweep is never run twice at once, missed runs collapse into one.
    scheduler.add_job(job.run, "interval", seconds=settings.jobs_interval_seconds, id=SWEEP_JOB, name=SWEEP_JOB_NAME,
                      coalesce=True, max_instances=1)
    scheduler.start()
    app[SCHEDULER] = scheduler
    yield
    scheduler.shutdown(wait=False)
    await job.stop()
