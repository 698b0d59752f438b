"""ASGI middleware: a request id on every request and log line, an access log and request metrics
by route template (never the raw URL or its query string), and upload size limits per path."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BODY_TOO_LARGE_SCOPE_KEY, error_body
from core import metrics, texts
from core.logcontext import request_id

access_log = logging.getLogger("sotay.api.access")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _route_label(scope: Scope) -> str:
    # FastAPI keeps included routers nested: the matched route's own path lacks the "/api/v1" prefix,
    # the effective route context (set while routing) has the full template.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    # Unmatched paths are whatever a scanner typed: one label for all of them keeps the series bounded.
    return f"{scope.get('method', '')} {template}" if template else "unmatched"


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        rid = offered if _CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500  # what the client gets if the application raises
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = _route_label(scope)
            metrics.API_REQUESTS.labels(route=route, status=str(status)).inc()
            # Health checks and scrapes come every few seconds from machines: DEBUG, not INFO.
            level = logging.DEBUG if scope.get("path") in QUIET_PATHS and status < 400 else logging.INFO
            access_log.log(level, "%s %s %.1fms", route, status, (time.perf_counter() - started) * 1000)
            request_id.reset(token)


class BodySizeLimit:
    """Refuses request bodies over a per-path limit with 413 and the error body.

    Paths are exact or route templates (`/api/v1/meetings/{meeting_id}/documents`); any other path
    under `default_prefix` gets `default_limit`. A declared Content-Length is refused before
    reading; a streamed body is cut off when it passes the limit, and the error handler turns the
    resulting parse failure into the same 413.
    """

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int], default_prefix: str = "", default_limit: int | None = None) -> None:
        self.app = app
        self.limits = {path: limit for path, limit in limits.items() if "{" not in path}
        self.templates = [(re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"), limit)
                          for path, limit in limits.items() if "{" in path]
        self.default_prefix = default_prefix
        self.default_limit = default_limit

    def limit_for(self, path: str) -> int | None:
        if path in self.limits:
            return self.limits[path]
        for pattern, limit in self.templates:
            if pattern.match(path):
                return limit
        return self.default_limit if self.default_limit is not None and path.startswith(self.default_prefix) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[BODY_TOO_LARGE_SCOPE_KEY] = limit
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            # Whoever was reading the body (a middleware, a parser that does not turn errors into
            # 400) let the cut-off through: the answer is still 413, never a 500.
            if started:
                raise
            await _send_too_large(send, limit)


class RejectNulCharacters:
    """Refuses, under a path prefix, what would fail deep inside a route as a 500, with 422 invalid_input:

    - NUL (U+0000) in the path, the query string or a JSON body: PostgreSQL cannot store NUL in text
      columns, and no name, reason or search term needs one (form fields and file names: see
      `reject_nul_in_form`, which reads the parsed form);
    - a JSON body nested deeper than `MAX_JSON_DEPTH` (no request of this API nests more than a few
      levels; thousands of levels would exhaust the parser's recursion), or one the parser cannot
      take at all.

    JSON bodies are what FastAPI reads as JSON: an `application/json` or `+json` type, or none.
    """

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await _send_invalid(send, ["query"], "text must not contain NUL characters")
            return
        content_type = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), None)
        media = content_type.split(b";")[0].strip().lower() if content_type is not None else b""
        if content_type is not None and not media.endswith(b"json"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        problem = _json_problem(body) if body else None
        if problem is not None:
            await _send_invalid(send, ["body"], problem)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


MAX_JSON_DEPTH = 32


def _json_problem(body: bytes) -> str | None:
    """Why this JSON body must not reach a route, or None (not JSON at all: the route's validation answers)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    except ValueError:
        return None
    # Walked with a stack, not recursion: the depth is what is being checked.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text must not contain NUL characters"
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return None


async def _send_invalid(send: Send, loc: list[str], reason: str) -> None:
    problem = {"loc": loc, "reason": reason}
    await _send_json(send, 422, error_body("invalid_input", texts.api.INVALID_REQUEST, fields=[problem]))


async def _send_json(send: Send, status: int, payload: dict[str, object]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


async def _send_too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body("too_large", texts.api.TOO_LARGE.format(megabytes=limit // (1024 * 1024))), ensure_ascii=False).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
