"""Logging: plain or JSON lines. Personal data never reaches a log: handlers log ids and types.

Each line served inside an API request carries that request's id (the X-Request-ID answer header),
so one request's lines can be found together. Secrets that slip into a message are cut out.
"""

from __future__ import annotations

import json
import logging
import re
import sys

from core.logcontext import request_id

# The bot token inside Telegram URLs; personal API tokens; bearer credentials in a quoted header.
_SECRETS = (
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot<token>"),
    (re.compile(r"sotay_[A-Za-z0-9_-]{32,}"), "sotay_<token>"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1<token>"),
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", "-") != "-":
            entry["request_id"] = record.request_id
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


class _RedactTokens(logging.Filter):
    """aiogram and httpx may log request URLs (with the bot token); an exception may quote a header."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in _SECRETS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


def setup_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
    handler.setFormatter(JsonFormatter() if json_lines else plain)
    handler.addFilter(_RedactTokens())
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "aiogram.event", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
