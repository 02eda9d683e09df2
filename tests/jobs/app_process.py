"""One copy of the app service for the two-process test: the app `hotline serve`
runs (scheduler, outbox sender, API), configured from the environment, whose
channel deliverers report every delivery to a counting server over HTTP, so the
test sees each delivery — and would see a second one.

Usage: python app_process.py PORT   (COUNTER_URL and DATABASE_URL in the environment)
"""
from __future__ import annotations

import os
import sys

from aiohttp import ClientSession, web

from intake_store.app import create_app
from intake_store.models import Notification
from intake_store.settings import Settings
from intake_store.web import SENDER

HTTP = web.AppKey("counter_http", ClientSession)


def report_deliveries(app: web.Application) -> None:
    sender = app[SENDER]
    portal = sender.channels["portal"]

    async def deliver(n: Notification) -> None:
        if n.channel == "portal":
            await portal(n)
        async with app[HTTP].post(os.environ["COUNTER_URL"], json={"key": n.key, "pid": os.getpid()}) as r:
            r.raise_for_status()

    for channel in ("portal", "web", "telegram"):
        sender.register(channel, deliver)

    async def http(app: web.Application):
        app[HTTP] = ClientSession()
        yield
        await app[HTTP].close()

    # Before the app's own contexts: the client outlives the sender that uses it.
    app.cleanup_ctx.insert(0, http)


if __name__ == "__main__":
    app = create_app(Settings(), extra_setup=[report_deliveries])
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
