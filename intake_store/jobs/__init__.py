"""Deadlines that run themselves: reminders, 督办 cards and 回访, exactly once.

`setup(app)` wires them into the app service: a "portal" channel on the app's
outbox sender (messages to departments and supervisors, read in the
department portal) and a pass of the app's scheduler (`periodic`) that runs `runner.sweep`.
The decisions are plain functions in `rules.py`; `runner.py` carries them out.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from aiohttp import web
from sqlalchemy import select
from sqlmodel import Session

from .. import periodic
from ..models import Notification
from ..periodic import SCHEDULER  # noqa: F401 - where the sweep is scheduled
from ..tickets.backoffice import Backoffice
from ..web import BACKOFFICE, SENDER, SETTINGS
from .runner import PORTAL, SWEEP_JOB, sweep

log = logging.getLogger("hotline.jobs")

SWEEP_JOB_NAME = "到期提醒、督办与回访"


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
    """One sweep in a worker thread (the database driver is synchronous); on
    shutdown the sweep stops between batches instead of finishing them all."""

    def __init__(self, bo: Backoffice, batch_size: int):
        self.bo, self.batch_size = bo, batch_size
        self.stop = threading.Event()

    async def run(self) -> None:
        await asyncio.to_thread(sweep, self.bo, batch_size=self.batch_size, stop=self.stop)


def setup(app: web.Application) -> None:
    app[SENDER].register(PORTAL, deliver_to_portal)
    app.cleanup_ctx.append(_sweep_ctx)


async def _sweep_ctx(app: web.Application):
    settings = app[SETTINGS]
    job = SweepJob(app[BACKOFFICE], settings.jobs_batch_size)
    periodic.every(app, settings.jobs_interval_seconds, job.run, id=SWEEP_JOB, name=SWEEP_JOB_NAME,
                   on_stop=job.stop.set)
    yield
