"""Telegram's error answers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer in Telegram's error shape: `{"ok": false, "error_code": …, "description": …}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


FORBIDDEN_BLOCKED = "Forbidden: bot was blocked by the user"


async def json_object(request: Any) -> dict[str, Any]:
    """A control-API body: nothing, or a JSON object; anything else is a 400 saying so."""
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("the body must be JSON") from None
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be a number") from None
