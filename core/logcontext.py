"""Context that log records pick up without being passed around: the id of the request being served."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("sotay_request_id", default=None)
