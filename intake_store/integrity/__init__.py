"""Government integrity in view: dishonesty records (政务失信记录) with
objection (异议) and repair (信用修复), scorecards and early warning, the
supervisor dashboard, exports, and the Open311 GeoReport v2 API.

Wiring: `on_ticket_event` is a ticket event listener (`app.EVENT_LISTENERS`);
`setup(app)` adds the routes, the dashboard and the record pages (called from
`app.create_app`, after the console, whose sign-in and layout the page uses).
"""
from __future__ import annotations

from aiohttp import web

from . import api, dashboard, open311, promise_pages, record_pages  # noqa: F401 - open311 declares its routes on api's table
from .promises import flag_overdue
from .rules import default_config
from .store import on_ticket_event

# The deadline checks of this part that belong to no ticket (`Backoffice.checks`).
DEADLINE_CHECKS = (("promise_overdue", flag_overdue),)

__all__ = ["DEADLINE_CHECKS", "on_ticket_event", "setup"]


def setup(app: web.Application) -> None:
    app[api.CONFIG] = default_config()
    api.routes.add_to(app)
    dashboard.setup(app)
    record_pages.setup(app)
    promise_pages.setup(app)
