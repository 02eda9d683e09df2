"""`hotline jobs`: what is scheduled and what ran, and `hotline jobs run-once`,
as an operator runs them in a shell against the real database."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jobs_support import SERVICE, complaint

from intake_store.app import DEADLINE_CHECKS, EVENT_LISTENERS
from intake_store.catalog import default_catalog
from intake_store.db import make_engine, migrate, session_scope
from intake_store.tickets.backoffice import Backoffice
from intake_store.tickets.commands import create_ticket
from intake_store.tickets.seeding import load_defaults
from intake_store.workcalendar import default_calendar

ROOT = Path(__file__).resolve().parents[2]


def hotline(*args, db):
    env = {**os.environ, "DATABASE_URL": db, "HOTLINE_SECRET": "jobs-cli-secret"}
    return subprocess.run([sys.executable, "-m", "intake_store.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_run_once_then_list_what_is_scheduled_and_what_ran(tmp_path):
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    migrate(db)
    engine = make_engine(db)
    with session_scope(engine) as s:
        load_defaults(s, default_catalog())
    # The command runs on the real time: two tickets filed a month ago, never signed
    # for (each owes a yellow and a red card on 签收 and on 答复), and one filed now.
    now = datetime.now(timezone.utc)
    when = [now - timedelta(days=30)]
    bo = Backoffice(engine, default_catalog(), default_calendar(), "jobs-cli-secret", lambda: when[0], EVENT_LISTENERS, DEADLINE_CHECKS)
    numbers = []
    for key, at in (("jobs-cli-1", now - timedelta(days=30)), ("jobs-cli-2", now - timedelta(days=30)), ("jobs-cli-3", now)):
        when[0] = at
        with session_scope(engine) as s:
            numbers.append(create_ticket(bo, s, complaint(key), SERVICE)[0].number)
    engine.dispose()

    before = hotline("jobs", db=db)
    assert before.returncode == 0, before.stderr
    assert "deadline_sweep  到期提醒、督办与回访  每 60 秒一次" in before.stdout
    assert "等待处理的工单：共 3 张，其中 3 张已到时间" in before.stdout
    assert f"{numbers[0]}  黄牌督办（签收）、红牌督办（签收）、黄牌督办（答复）、红牌督办（答复）" in before.stdout
    assert "最近运行：还没有运行记录" in before.stdout

    ran = hotline("jobs", "run-once", db=db)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("本次扫描检查工单 3 张：红牌督办 4，黄牌督办 4；出错 0 张；")

    after = hotline("jobs", db=db)
    assert after.returncode == 0, after.stderr
    assert "等待处理的工单：共 1 张，其中 0 张已到时间" in after.stdout
    assert numbers[2] in after.stdout.split("最近运行")[0] and numbers[0] not in after.stdout
    assert "deadline_sweep  进程 " in after.stdout and "检查 3 张：红牌督办 4，黄牌督办 4；出错 0" in after.stdout
    assert "发件箱：portal 待发送 8 / 已送达 0 / 失败 0" in after.stdout


def test_jobs_is_listed_in_help_and_refuses_an_unknown_action(tmp_path):
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    assert "jobs" in hotline("--help", db=db).stdout
    wrong = hotline("jobs", "run-twice", db=db)
    assert wrong.returncode == 2 and "invalid choice: 'run-twice'" in wrong.stderr
