"""Government integrity in view: dishonesty records (政务失信记录) with
objection (异议) and repair (信用修复), scorecards and early warning, the
supervisor dashboard, exports, and the Open311 GeoReport v2 API.

Wiring: `on_ticket_event` is a ticket event listener (`web.EVENT_LISTENERS`);
`setup(app)` adds the routes, the dashboard and the record pages (called from
`web.create_app`, after the console, whose sign-in and layout the page uses).
"""
from __future__ import annotations

from aiohttp import web

from ..jobs.runner import OTHER_CHECKS
from .promises import flag_overdue
from .store import on_ticket_event

OTHER_CHECKS["promise_overdue"] = flag_overdue

__all__ = ["on_ticket_event", "setup"]


def setup(app: web.Application) -> None:
    # Imported here: the handlers use `web`, which imports this package for the listener.
    from . import api, dashboard, open311, promise_pages, record_pages  # noqa: F401, PLC0415 - importing registers the routes
    from .rules import default_config  # noqa: PLC0415

    app[api.CONFIG] = default_config()
    app.router.add_routes(api.routes)
    dashboard.setup(app)
    record_pages.setup(app)
    promise_pages.setup(app)
