"""`hotline`: the one entry point (serve, run everything, migrate, tokens, train, classify).

Each command imports what it uses when it runs, so `hotline --help`, `status`
and `classify` start without loading the web app and the database layer."""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

from . import assistant, category_model
from .settings import get_settings, kept_secret


def cmd_serve(args: argparse.Namespace) -> int:
    """The app service: back office API, plus whatever installed parts add to it."""
    from aiohttp import web

    from .app import create_app

    settings = get_settings()
    try:
        settings.secret()
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    # Other parts of the product (the chat gateway) plug in through this entry-point group.
    setups = [ep.load() for ep in entry_points(group="hotline.app")]
    app = create_app(settings, extra_setup=setups)
    web.run_app(app, host=args.host or settings.host, port=args.port or settings.port, print=lambda *_: None,
                access_log=None)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Schema, default data and Rasa's tracker database, once: replicas started with
    MIGRATE_ON_START=false rely on it."""
    from .catalog import default_catalog
    from .db import make_engine, migrate, session_scope
    from .deployment import ensure_tracker_database
    from .tickets.seeding import load_defaults

    url = get_settings().database_url
    migrate(url)
    try:
        ensure_tracker_database(url)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            load_defaults(s, default_catalog())
    finally:
        engine.dispose()
    print("数据库已迁移到最新版本，默认单位和类别已载入。")
    return 0


def cmd_load_defaults(args: argparse.Namespace) -> int:
    from .catalog import default_catalog
    from .db import make_engine, migrate, session_scope
    from .tickets.seeding import load_defaults

    url = get_settings().database_url
    migrate(url)
    with session_scope(make_engine(url)) as s:
        counts = load_defaults(s, default_catalog())
    print(f"已载入 {counts['departments']} 个单位、{counts['categories']} 个投诉类别。")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from .auth import create_token
    from .db import make_engine, migrate, session_scope

    url = get_settings().database_url
    migrate(url)
    try:
        with session_scope(make_engine(url)) as s:
            token = create_token(s, args.name, args.role, args.department)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    try:
        assistant.train()
    except assistant.AssistantUnavailable as e:
        print(e, file=sys.stderr)
        return 2
    model = category_model.ensure_trained()
    print(f"投诉类别模型已就绪：{len(model.categories)} 类，温度 {model.temperature:.3f}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    """The deadline jobs: what is scheduled and what ran, or one sweep now."""
    from .app import build_backoffice
    from .db import session_scope
    from .jobs.report import describe
    from .jobs.runner import sweep

    settings = get_settings()
    bo = build_backoffice(settings)
    try:
        if args.action == "run-once":
            report = sweep(bo, batch_size=settings.jobs_batch_size)
            print("本次扫描" + report.summary())
            for err in report.errors:
                print(f"  工单 {err['ticket']} 出错，稍后重试：{err['error']}")
            return 1 if report.errors else 0
        with session_scope(bo.engine) as s:
            print(describe(bo, s, interval_seconds=settings.jobs_interval_seconds))
        return 0
    finally:
        bo.engine.dispose()


def cmd_integrity_backfill(args: argparse.Namespace) -> int:
    """Scorecard rows for tickets filed before the integrity feature was installed."""
    from .app import build_backoffice
    from .db import session_scope
    from .integrity.store import backfill_facts

    bo = build_backoffice(get_settings())
    total = 0
    try:
        while True:
            with session_scope(bo.engine) as s:
                done = backfill_facts(bo, s)
            total += done
            if not done:
                break
    finally:
        bo.engine.dispose()
    print(f"已为 {total} 张工单补建诚信评价数据。")
    return 0


def _new_password(args: argparse.Namespace) -> str:
    """From stdin (one line, for scripts) or typed twice at a prompt."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("没有终端可输入密码：请用 --password-stdin 从标准输入传入。")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise ValueError("两次输入的密码不一致。")
    return first


def cmd_account(args: argparse.Namespace) -> int:
    """Console and portal accounts: create, reset a password, list."""
    from sqlalchemy import select

    from .console import accounts as A
    from .db import make_engine, migrate, session_scope
    from .models import utcnow

    url = get_settings().database_url
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            if args.action == "list":
                for a in s.execute(select(A.Account).order_by(A.Account.username)).scalars():
                    state = "启用" if a.active else "已停用"
                    print(f"{a.username}\t{a.display_name}\t{A.ROLES[a.role]}\t{a.department_code or '-'}\t{state}")
                return 0
            if args.action == "create":
                A.create_account(s, username=args.username, display_name=args.name, role=args.role,
                                 department=args.department, password=_new_password(args), now=utcnow())
                print(f"已创建账号 {A.normalize_username(args.username)}（{A.ROLES[args.role]}）。")
                return 0
            account = A.find_account(s, args.username)
            if account is None:
                raise A.AccountError(f"没有用户名为 {args.username} 的账号。")
            A.set_password(s, account, _new_password(args), utcnow())
            print(f"已重置 {account.username} 的密码，该账号已登录的会话全部失效。")
            return 0
    except (A.AccountError, ValueError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def cmd_classify(args: argparse.Namespace) -> int:
    from .classify import main as classify_main

    return classify_main(sys.stdin, sys.stdout)


def _service_token() -> str:
    """The token the Rasa actions use, kept across restarts in var/."""
    settings = get_settings()
    if settings.hotline_service_token:
        return settings.hotline_service_token
    return kept_secret(settings.hotline_var_dir / "service_token", lambda: secrets.token_urlsafe(32))


def cmd_run(args: argparse.Namespace) -> int:
    """Everything: app service, Rasa server, action server (N of each with --replicas N), kept running."""
    from . import deployment
    from .supervisor import Supervisor

    settings = get_settings()
    try:
        deployment.check_replicas(settings, args.replicas)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    token = _service_token()
    base = deployment.Ports(args.port or settings.port, args.rasa_port, args.actions_port)
    assistant.require_rasa_env()
    if args.model:
        model = Path(args.model)
    else:
        print("检查并训练对话模型（数据未变时跳过）……", flush=True)
        model = assistant.train(quiet=True)
    category_model.ensure_trained()
    # Once, before any replica starts (they are started with MIGRATE_ON_START=false).
    if cmd_migrate(args) != 0:
        return 2
    run_dir = settings.hotline_var_dir / "run"
    try:
        children = deployment.children(settings, replicas=args.replicas, base=base, model=model, token=token,
                                       environ=dict(os.environ), run_dir=run_dir)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    supervisor = Supervisor(children, run_dir / "status.json")
    supervisor.start_all()
    for i in range(1, args.replicas + 1):
        ports = base.of(i)
        print(f"后台与聊天：http://127.0.0.1:{ports.app}    Rasa：http://{settings.assistant_host}:{ports.rasa}", flush=True)
    print("按 Ctrl+C 停止；hotline status 查看各进程。", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for line in supervisor.check():
                print(line, file=sys.stderr, flush=True)
            time.sleep(0.5)
    finally:
        supervisor.stop_all()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """What `hotline run` is running: each process, its state and how often it was restarted."""
    from .supervisor import describe, read_status

    print(describe(read_status(get_settings().hotline_var_dir / "run" / "status.json")))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 政务失信投诉热线")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="start everything: app service, Rasa server, action server")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--rasa-port", type=int, default=5005)
    p.add_argument("--actions-port", type=int, default=5055)
    p.add_argument("--model", default=None, help="a trained model to serve (default: train when the data changed)")
    p.add_argument("--replicas", type=int, default=1,
                   help="N app services, Rasa servers and action servers on one PostgreSQL and one Redis "
                        "(ports: base, base+1, ...)")
    p.set_defaults(func=cmd_run)
    sub.add_parser("status", help="what `hotline run` is running: processes, restarts").set_defaults(func=cmd_status)

    p = sub.add_parser("serve", help="start the app service only (migrates first)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema and default data up to date (once, before replicas start)").set_defaults(func=cmd_migrate)
    sub.add_parser("load-defaults", help="load the default departments, categories and routing").set_defaults(func=cmd_load_defaults)

    p = sub.add_parser("token", help="issue an API token (printed once, stored hashed)")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["service", "partner", "operator", "department", "supervisor"])
    p.add_argument("--department", default=None, help="department code, for --role department")
    p.set_defaults(func=cmd_token)

    sub.add_parser("train", help="train the Rasa model (skipped when nothing changed)").set_defaults(func=cmd_train)
    sub.add_parser("integrity-backfill", help="scorecard rows for tickets filed before the integrity feature").set_defaults(
        func=cmd_integrity_backfill)
    sub.add_parser("classify", help="JSON Lines {\"text\"} on stdin -> category and routing on stdout").set_defaults(func=cmd_classify)

    p = sub.add_parser("account", help="console and portal accounts: create, reset-password, list")
    acc = p.add_subparsers(dest="action", required=True)
    a = acc.add_parser("create", help="create an account (password prompted, or --password-stdin)")
    a.add_argument("--username", required=True)
    a.add_argument("--name", required=True, help="姓名或单位名称, shown in ticket history")
    a.add_argument("--role", required=True, choices=["operator", "department", "supervisor", "admin"])
    a.add_argument("--department", default=None, help="department code, for --role department")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    a = acc.add_parser("reset-password", help="set a new password; the account's sessions end")
    a.add_argument("--username", required=True)
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    acc.add_parser("list", help="list accounts")
    p.set_defaults(func=cmd_account)

    p = sub.add_parser("jobs", help="deadline jobs (reminders, 督办, 回访): what is scheduled and what ran")
    p.add_argument("action", nargs="?", default="list", choices=["list", "run-once"],
                   help="list (default): scheduled job, waiting tickets, recent runs; run-once: sweep now")
    p.set_defaults(func=cmd_jobs)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The scheduler's passes run every few seconds: log their failures, not each run.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
