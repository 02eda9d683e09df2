"""The `hotline` entry point and the set-up scripts, as a newcomer meets them."""
import os
import shutil
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


def _bare_path(tmp_path: Path) -> Path:
    """A PATH with only what scripts/find-python310 needs, and no Python of this machine."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "ls", "sort"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return bin_dir


def _fake_python(path: Path, answers_310: bool) -> None:
    """An interpreter that says whether it is 3.10 (the script asks it, it never trusts the name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if answers_310 else 1}\n")
    path.chmod(0o755)


def test_missing_python_310_is_one_clear_sentence(tmp_path):
    # No pyenv; the only python3.10 on PATH is not 3.10 (a leftover shim): the set-up says what to install.
    bin_dir = _bare_path(tmp_path)
    _fake_python(bin_dir / "python3.10", answers_310=False)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    r = subprocess.run([str(ROOT / "scripts" / "find-python310")], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Python 3.10" in r.stderr and "install" in r.stderr


def test_the_newest_python_310_under_pyenv_is_found_before_one_on_path(tmp_path):
    bin_dir = _bare_path(tmp_path)
    _fake_python(bin_dir / "python3.10", answers_310=True)
    versions = tmp_path / ".pyenv" / "versions"  # pyenv's default root when `pyenv` itself is not on PATH
    for version in ("3.10.2", "3.10.13", "3.10.9"):
        _fake_python(versions / version / "bin" / "python3.10", answers_310=True)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    r = subprocess.run([str(ROOT / "scripts" / "find-python310")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(versions / "3.10.13" / "bin" / "python3.10")  # 3.10.13 is newer than 3.10.9
    shutil.rmtree(versions)
    r = subprocess.run([str(ROOT / "scripts" / "find-python310")], capture_output=True, text=True, env=env)
    assert r.stdout.strip() == str(bin_dir / "python3.10")  # no pyenv version left: the one on PATH
