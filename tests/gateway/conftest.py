"""Fixtures for the gateway's unit-level tests: the real app (back office and
gateway in one aiohttp application) on real SQLite and PostgreSQL, talking
to a scripted stand-in for Rasa over HTTP."""
from __future__ import annotations

import pytest
from fake_rasa import FakeRasa
from gateway_support import settings_for, start_chat


@pytest.fixture
async def fake_rasa():
    rasa = await FakeRasa().start()
    yield rasa
    rasa.gate.set()
    await rasa.stop()


@pytest.fixture
async def chat(backoffice, fake_rasa):
    c = await start_chat(backoffice, settings_for(fake_rasa.url))
    yield c
    await c.client.close()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PHONE_SCREEN = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="session")
async def chromium():
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=0)  # wait for what the page should show, however long it takes
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def served(backoffice, fake_rasa):
    """The app on a real port, for the browser (scripted assistant)."""
    c = await start_chat(backoffice, settings_for(fake_rasa.url))
    yield c
    await c.client.close()


# ---------------------------------------------------------------- the real assistant

@pytest.fixture(scope="session")
def live_port() -> int:
    """Where the app listens in the end-to-end tests: the action server calls it back here."""
    from e2e_servers import free_port

    return free_port()


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory, live_port):
    """The real Rasa server and action server, trained model, once per run."""
    from e2e_servers import RealAssistant, trained_model
    from gateway_support import SERVICE_TOKEN

    stack = RealAssistant.start(tmp_path_factory.mktemp("assistant"), f"http://127.0.0.1:{live_port}",
                                SERVICE_TOKEN, trained_model())
    yield stack
    stack.stop()


@pytest.fixture
async def live(backoffice, real_assistant, live_port):
    """The app (back office and gateway) on the port the actions call, with the real assistant."""
    c = await start_chat(backoffice, settings_for(real_assistant.rasa_url, actions_url=real_assistant.actions_url,
                                                  rasa_timeout_seconds=10.0), port=live_port)
    yield c
    await c.client.close()
