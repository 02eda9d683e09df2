"""`hotline run` with the real Rasa server and action server: a citizen is half-way
through the complaint form when the Rasa server is killed (kill -9), and later
the action server. Each time the page says at once that the message is saved,
`hotline run` starts the process again, the assistant answers the saved message,
and the form goes on where it was: no question answered before is asked again,
and the complaint ends as one ticket."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select
from supervised import HotlineRun, WebCitizen

from intake_store.models import Ticket

pytestmark = pytest.mark.rasa
NOTICE_WITHIN = 5.0  # seconds: RASA_TIMEOUT_SECONDS (3) plus the store


async def test_killed_processes_come_back_and_the_form_goes_on(tmp_path, model):
    system = HotlineRun.start(tmp_path, model)
    try:
        async with WebCitizen(system.url) as citizen:
            answer = await citizen.start_complaint()
            answer = await citizen.step(answer)
            asked_before = list(citizen.questions[1:])  # the form's questions so far

            dead = system.kill("rasa")
            answer = await citizen.step(answer)  # the page says "saved" at once; the answer comes when Rasa is back
            assert citizen.notices == 1 and citizen.waits[-1] < NOTICE_WITHIN
            assert system.pid("rasa") != dead
            assert not set(citizen.questions[-1:]) & set(asked_before), "the form started again"

            system.kill("actions")
            answer = await citizen.step(answer)
            assert citizen.notices == 2 and citizen.waits[-1] < NOTICE_WITHIN
            number = await citizen.finish(answer)
            assert not set(citizen.questions[len(asked_before) + 1:]) & set(asked_before)

        status = {p["name"]: p for p in system.status()["processes"]}
        assert status["rasa"]["restarts"] == 1 and status["actions"]["restarts"] == 1
        assert status["app"]["restarts"] == 0
        assert all(p["state"] == "running" for p in status.values())
        text = system.status_text()
        assert "rasa" in text and "重启 1 次" in text and "上次退出代码 -9" in text
    finally:
        assert system.stop() == 0
    engine = create_engine(system.env["DATABASE_URL"])
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(Ticket).where(Ticket.number == number)).scalar_one() == 1
    engine.dispose()
    assert (tmp_path / "rasa_tracker.db").exists()  # conversations were kept beside the app's database
    assert "系统没有在运行" in system.status_text()


async def test_a_dead_app_process_comes_back_too(tmp_path, model):
    system = HotlineRun.start(tmp_path, model)
    try:
        system.kill("app")
        deadline = time.monotonic() + 300
        while not system.ready() and time.monotonic() < deadline:
            time.sleep(0.5)
        async with WebCitizen(system.url) as citizen:
            await citizen.start_complaint()
        assert {p["name"]: p["restarts"] for p in system.status()["processes"]} == {"app": 1, "actions": 0, "rasa": 0}
    finally:
        system.stop()
