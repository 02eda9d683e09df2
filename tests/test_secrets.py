"""The server secret and the service token: private from the first byte, one value."""
import stat
import sys
import threading

import intake_store.settings as settings_module
from intake_store.settings import Settings

_watch: dict = {"dir": None, "opened": []}


def _audit(event, args):
    if event == "open" and _watch["dir"] and isinstance(args[0], str) and args[0].startswith(_watch["dir"]):
        _watch["opened"].append((args[0], args[1], args[2]))


sys.addaudithook(_audit)


def test_the_secret_file_is_never_open_to_others(tmp_path, monkeypatch):
    var = tmp_path / "var"
    monkeypatch.setattr(settings_module, "VAR_DIR", var)
    _watch.update(dir=str(var), opened=[])
    try:
        secret = Settings(hotline_secret=None).secret()
    finally:
        _watch["dir"] = None
    path = var / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The final name is only ever read: what is written goes to a private file first.
    written = [(p, mode) for p, mode, flags in _watch["opened"] if p == str(path) and mode not in (None, "r", "rb")]
    assert written == []
    assert len(secret) == 64 and Settings(hotline_secret=None).secret() == secret
    assert [p.name for p in var.iterdir()] == ["secret"]


def test_processes_starting_at_once_agree_on_one_secret(tmp_path, monkeypatch):
    monkeypatch.setattr(settings_module, "VAR_DIR", tmp_path)
    seen, start = [], threading.Barrier(8)

    def one():
        start.wait()
        seen.append(Settings(hotline_secret=None).secret())

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and len(seen) == 8


def test_env_files_are_not_committed():
    from pathlib import Path

    ignored = (Path(__file__).resolve().parent.parent / ".gitignore").read_text().split()
    assert ".env" in ignored
