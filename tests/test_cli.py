"""The `hotline` entry point and the set-up scripts, as a newcomer meets them."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = [sys.executable, "-m", "intake_store.cli"]


def run(args, **env):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)


def test_help_lists_every_command():
    out = run([*HOTLINE, "--help"]).stdout
    for command in ("run", "serve", "migrate", "load-defaults", "token", "train", "classify"):
        assert command in out


def test_load_defaults_and_issue_a_token(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    loaded = run([*HOTLINE, "load-defaults"], DATABASE_URL=db)
    assert loaded.returncode == 0 and "19 个投诉类别" in loaded.stdout
    token = run([*HOTLINE, "token", "--name", "财政局", "--role", "department", "--department", "finance"], DATABASE_URL=db)
    assert token.returncode == 0 and len(token.stdout.strip()) >= 40
    partner = run([*HOTLINE, "token", "--name", "省12345平台", "--role", "partner"], DATABASE_URL=db)
    assert partner.returncode == 0 and len(partner.stdout.strip()) >= 40
    bad = run([*HOTLINE, "token", "--name", "x", "--role", "department", "--department", "nowhere"], DATABASE_URL=db)
    assert bad.returncode == 2 and "department" in bad.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as c:
        stored = c.execute("select token_hash from api_token").fetchone()[0]
    assert stored != token.stdout.strip() and len(stored) == 64  # only the hash is kept


def test_missing_python_310_is_one_clear_sentence(tmp_path):
    # No pyenv and no python3.10 on PATH: the set-up says what to install.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run([str(ROOT / "scripts" / "find-python310")], capture_output=True, text=True, env=env)
    if r.returncode == 0:  # this machine has a system python3.10 on /usr/bin
        assert r.stdout.strip().endswith("python3.10")
        return
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "Python 3.10" in r.stderr and "install" in r.stderr
