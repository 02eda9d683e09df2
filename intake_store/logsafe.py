"""No secret in a log line, whoever writes it.

Libraries log what they see: the HTTP client under python-telegram-bot logs
every request URL at INFO, and a Bot API URL carries the bot token; the access
log writes query strings, where an Open311 `api_key` may be. Every log record
of the process is made through one record factory that blanks the registered
secrets (and `api_key=`/`token=` query values) out of the message and of the
traceback, so no handler, level or logger can print them.
"""
from __future__ import annotations

import logging
import re
import threading
import traceback

MASK = "***"
_QUERY_SECRET = re.compile(r"(?i)\b(api_key|token|secret_token|auth_token|access_token|secret)=[^&\s\"']+")
_secrets: set[str] = set()
_lock = threading.Lock()
_base_factory = None


def hide(*secrets: str | None) -> None:
    """Register secrets (tokens, keys) that must never appear in a log line."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)
        _install()


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", text)


def _install() -> None:
    global _base_factory
    if _base_factory is not None:
        return
    _base_factory = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = _base_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the logging module's to report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
