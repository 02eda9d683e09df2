"""The app service assembled: the back office's parts and state in one
aiohttp application, with the features that plug into it.

What handlers share (typed state, errors, auth) is in `web.py`; this module
is the only one that knows every feature, and nothing imports it but the
command line, the benchmarks and the tests.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Callable

from aiohttp import web
from sqlmodel import Session, select

from . import api, console, integrity, jobs, logsafe, periodic
from .catalog import Catalog, default_catalog
from .db import make_engine, migrate, session_scope
from .headers import security_headers
from .jobs.runner import ring_alarm
from .models import CalendarOverride
from .notifications import notify_citizen
from .openapi import ENDPOINTS
from .outbox import Sender
from .settings import Settings, get_settings
from .throttle import THROTTLES, Throttles
from .tickets.backoffice import Backoffice
from .tickets.seeding import load_defaults
from .web import BACKOFFICE, SENDER, SETTINGS, auth_middleware, errors_middleware
from .workcalendar import WorkCalendar, load_overrides

# What follows from every ticket event, in the same transaction (see tickets.backoffice.EventListener).
EVENT_LISTENERS = (notify_citizen, ring_alarm, integrity.on_ticket_event)
DEADLINE_CHECKS = integrity.DEADLINE_CHECKS


def calendar_with_db_overrides(session: Session) -> WorkCalendar:
    """The calendar: library + overrides file + the operators' overrides table."""
    overrides = load_overrides()
    for row in session.execute(select(CalendarOverride)).scalars():
        overrides[row.day] = row.working
    return WorkCalendar(overrides=overrides)


def build_backoffice(settings: Settings, *, catalog: Catalog | None = None, now: Callable[[], datetime] | None = None) -> Backoffice:
    """Migrate, load the default catalog, and assemble what handlers need.
    With several replicas, `hotline migrate` does the first two once instead."""
    if settings.migrate_on_start:
        migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    catalog = catalog or default_catalog()
    with session_scope(engine) as session:
        if settings.migrate_on_start:
            load_defaults(session, catalog)
        calendar = calendar_with_db_overrides(session)
    return Backoffice(
        engine=engine,
        catalog=catalog,
        calendar=calendar,
        secret=settings.secret(),
        now=now or (lambda: datetime.now(timezone.utc)),
        listeners=EVENT_LISTENERS,
        checks=DEADLINE_CHECKS,
    )


def create_app(settings: Settings | None = None, *, backoffice: Backoffice | None = None,
               extra_setup: list[Callable[[web.Application], None]] | None = None) -> web.Application:
    """The back office application. `extra_setup` lets the gateway add its routes
    to the same application without the back office knowing about it."""
    settings = settings or get_settings()
    logsafe.hide(settings.hotline_service_token, settings.rasa_api_token, settings.telegram_bot_token,
                 settings.wechat_app_secret, settings.wechat_token, settings.wechat_encoding_aes_key)
    app = web.Application(middlewares=[security_headers, errors_middleware, auth_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[ENDPOINTS] = []  # what /api/openapi.json describes; each feature adds its routes
    app[THROTTLES] = Throttles.from_settings(settings)

    app[SENDER] = Sender(engine=None, now=lambda: datetime.now(timezone.utc))
    periodic.setup(app)  # the one scheduler: outbox, deadline sweep, the gateway's retries

    async def lifecycle_ctx(app: web.Application):
        bo = backoffice or await asyncio.to_thread(build_backoffice, settings)
        logsafe.hide(bo.secret)
        app[BACKOFFICE] = bo
        sender = app[SENDER]
        sender.engine, sender.now = bo.engine, bo.now
        periodic.every(app, settings.outbox_poll_seconds, sender.run_once, id="outbox", name="发送待发消息")
        yield
        if backoffice is None:
            bo.engine.dispose()

    app.cleanup_ctx.append(lifecycle_ctx)
    jobs.setup(app)  # reminders, 督办 and 回访 on a schedule; the "portal" outbox channel
    api.routes.add_to(app)
    console.setup(app)  # the back office's pages: operator console, department portal, sign-in
    integrity.setup(app)  # dishonesty records, scorecards, dashboard, Open311
    for setup in extra_setup or []:
        setup(app)
    return app
