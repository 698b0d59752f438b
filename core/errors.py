"""Domain errors. Each carries a machine code (for the API) and a polite Vietnamese message
(for people) taken from core.texts, so the bot and the API explain a refusal the same way."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class UnsupportedFileType(InvalidInput):
    """A file of a type Sổ tay does not take: an extension outside the list, or content that is not
    what its name says (a renamed .exe). Still invalid input to the bot (which shows the reason);
    the API answers 415 Unsupported Media Type."""

    status = 415
    code = "unsupported_file_type"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
