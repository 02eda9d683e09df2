"""The back office's own web pages: the operator console (/console/) and the
department portal (/portal/), with sign-in at /login.

Server-rendered Jinja2 templates; session cookies and CSRF tokens instead of
the REST API's bearer tokens. Every ticket change goes through
`tickets.commands.act` / `amend`, exactly as the API's do.

Other back office pages can use the same sign-in and layout: see
`pages.signed_in`, `pages.render` and `pages.add_pages`.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from . import views_accounts, views_department, views_intake, views_operator
from .pages import console_middleware, make_environment

HERE = Path(__file__).resolve().parent


def setup(app: web.Application) -> None:
    make_environment(app, HERE / "templates")
    app.middlewares.append(console_middleware)
    app.router.add_static("/console/static/", HERE / "static", name="console_static")
    for module in (views_accounts, views_operator, views_department):
        app.router.add_routes(module.routes)
    views_intake.setup(app)  # 新来电: complaints taken by phone
