"""Logging: plain or JSON lines. Personal data never reaches a log: handlers log ids and types.

Each line served inside an API request carries that request's id (the X-Request-ID answer header),
so one request's lines can be found together. Secrets that slip into a message are cut out.

Every logger goes through the one handler set up here: uvicorn's own loggers are emptied and made to
propagate (the server is started with `log_config=None`), SQLAlchemy's too (and its engines hide
statement parameters). A traceback keeps its frames and exception types but never an exception's
text: a database error quotes the statement's parameters (names, birth dates, documents), a
validation error the rejected input.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback

from core.logcontext import request_id

# The bot token inside Telegram URLs; personal API tokens; bearer credentials in a quoted header.
_SECRETS = (
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot<token>"),
    (re.compile(r"sotay_[A-Za-z0-9_-]{32,}"), "sotay_<token>"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1<token>"),
)


# Loggers that libraries configure with handlers of their own; emptied so they reach ours.
_FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "sqlalchemy", "sqlalchemy.engine", "alembic")


def describe_exception(exc_info: tuple) -> str:  # type: ignore[type-arg]
    """A traceback without any exception's text: where it happened and what type, never what values."""
    chain: list[BaseException] = []
    exc: BaseException | None = exc_info[1]
    while exc is not None and exc not in chain and len(chain) < 16:
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts: list[str] = []
    for exc in reversed(chain):  # the cause first, as Python prints it
        kind = type(exc)
        parts.append("Traceback (most recent call last):\n" + "".join(traceback.format_tb(exc.__traceback__))
                     + f"{kind.__module__}.{kind.__qualname__} (message hidden: it may quote personal data)")
    return "\n\nThe above led to:\n\n".join(parts)


class PlainFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def,override]
        return describe_exception(ei)

    def formatStack(self, stack_info: str) -> str:
        return stack_info


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")  # set by the request-id filter, absent elsewhere
        if request_id != "-":
            entry["request_id"] = request_id
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = describe_exception(record.exc_info)
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
    plain = PlainFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
    handler.setFormatter(JsonFormatter() if json_lines else plain)
    handler.addFilter(_RedactTokens())
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "aiogram.event", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in _FOREIGN_LOGGERS:
        foreign = logging.getLogger(name)
        foreign.handlers[:] = []
        foreign.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # sotay.api.access logs requests, by route template
