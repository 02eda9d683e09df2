"""Upgrading a database that already holds tickets: every open ticket is looked
at by the first sweep, so nothing opened before the deadline jobs is forgotten."""
import pytest
from alembic import command
from jobs_support import HRSS, OPERATOR, SERVICE, bj, complaint, just_after
from sqlalchemy import select

from intake_store.catalog import default_catalog
from intake_store.db import alembic_config, make_engine, migrate, session_scope
from intake_store.jobs.models import TicketAlarm
from intake_store.jobs.runner import sweep
from intake_store.models import Ticket
from intake_store.tickets.backoffice import Backoffice
from intake_store.tickets.commands import act, create_ticket
from intake_store.tickets.seeding import load_defaults
from intake_store.workcalendar import default_calendar


@pytest.fixture
def core_schema_only(empty_db_url):
    """A database at the core schema (0001), before any feature's migration."""
    command.upgrade(alembic_config(empty_db_url), "0001")
    return empty_db_url


def test_open_tickets_from_before_the_upgrade_get_their_reminders(core_schema_only):
    url = core_schema_only
    engine = make_engine(url)
    now = [bj(2026, 11, 16, 10)]
    catalog = default_catalog()
    old = Backoffice(engine, catalog, default_calendar(), "s", lambda: now[0], listeners=())  # the app before the jobs
    with session_scope(engine) as s:
        load_defaults(s, catalog)
        open_number = create_ticket(old, s, complaint("old-open-1"), SERVICE)[0].number
        done = create_ticket(old, s, complaint("old-done-1"), SERVICE)[0].number
        for action, payload in (("accept", {}), ("verify", {"result": "unsubstantiated", "findings": "已结清"}),
                                ("reply", {"text": "经核查工资已结清。"})):
            act(old, s, done, action, HRSS, payload=payload)
        act(old, s, done, "close", OPERATOR)

    migrate(url)  # to every head, the deadline jobs' 0003 among them

    with session_scope(engine) as s:
        waiting = s.execute(select(Ticket.number).join(TicketAlarm, TicketAlarm.ticket_id == Ticket.id)).scalars().all()
    assert waiting == [open_number]  # the closed one needs nothing
    now[0] = just_after(2026, 11, 17)
    report = sweep(old)
    assert dict(report.actions) == {"remind": 1}
    engine.dispose()
