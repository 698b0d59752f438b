"""One error body for every refusal: {"error": code, "message": reason}.

`ERROR_RESPONSES` documents it in OpenAPI for the statuses every /api/v1 route may answer;
routes add what is theirs (409, 413, 415) with `error_responses(...)`. Domain errors carry their
own status (`core.errors`): a file of a type Sổ tay does not take is `UnsupportedFileType`, 415
with `unsupported_file_type`, from whichever upload route it comes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import texts
from core.errors import DomainError
from core.orgs.management import ImportRejected
from core.render import plain_text

# Set by the body-size guard when it cut a streamed upload short (see api.middleware).
BODY_TOO_LARGE_SCOPE_KEY = "sotay.body_too_large"


class FieldProblem(BaseModel):
    loc: list[str] = Field(description="Where the problem is: body, query or path, then the field", examples=[["query", "limit"]])
    reason: str = Field(examples=["Input should be less than or equal to 200"])


class RowProblem(BaseModel):
    line: int = Field(description="Line of the file (the header is line 1; 0 is the file as a whole)", examples=[7])
    column: str = Field(examples=["Số định danh cá nhân"])
    reason: str = Field(description="In Vietnamese, for the person who fixes the file",
                        examples=["Số định danh phải gồm đúng 12 chữ số; tệp ghi 11 ký tự."])
    code: str = Field("", description="Stable English code of the reason, for programs", examples=["citizen_id_invalid"])


class ErrorBody(BaseModel):
    """Every refusal. `fields` comes with `invalid_input` from request validation; `errors` with `import_rejected`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"error": "not_found", "message": texts.common.NOT_FOUND}]},
    )

    error: str = Field(description="Machine-readable code", examples=["not_found", "forbidden", "rate_limited"])
    message: str = Field(description="A reason in Vietnamese, fit to show to a person")
    fields: list[FieldProblem] | None = None
    errors: list[RowProblem] | None = None


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "No token, or the token is unknown, expired or revoked",
    403: "Visible to the caller, but the caller may not do this",
    404: "Not found, or outside the caller's organisations (the two are indistinguishable)",
    409: "Conflicts with existing data (a card number or citizen ID already used, a duplicate name)",
    413: "The upload is too large",
    415: "A file type Sổ tay does not take (`error`: `unsupported_file_type`): an extension outside the list, or content "
         "that is not what its name says (a renamed program); `message` says which types are taken",
    422: "The request is not valid; `fields` says where",
    429: "Too many requests from this person (all their tokens count together); retry after `Retry-After` seconds",
}


def error_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for these refusals; a route may say more precisely what each means for it."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {"model": ErrorBody, "description": (descriptions or {}).get(status, _DESCRIPTIONS[status])}
    if 429 in responses:
        responses[429]["headers"] = {
            "Retry-After": {"description": "Seconds until the next window opens", "schema": {"type": "integer"}}
        }
    return responses


ERROR_RESPONSES = error_responses(401, 403, 404, 422, 429)


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    # Core's reasons are written for the chat (Telegram's HTML subset, names escaped once): JSON carries
    # what a person reads, «Chi bộ A & B», not «Chi bộ A &amp; B» or a stray <b>.
    return {"error": code, "message": plain_text(message), **extra}


API_PREFIX = "/api/v1/"
# 400 keeps the generic code "error" (malformed bodies, e.g. the webhook's).
_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


CONSOLE_PREFIX = "/console"


def _html(request: Request, status: int, message: str) -> Response | None:
    """Under /console a refusal is a page in Vietnamese (api.console.pages), not the JSON body."""
    render = getattr(request.app.state, "html_error_page", None)
    if render is None or not request.url.path.startswith(CONSOLE_PREFIX):
        return None
    return render(request, status, message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ImportRejected)
    async def import_rejected(_: Request, exc: ImportRejected) -> JSONResponse:
        rows = [{"line": e.line, "column": e.column, "reason": e.reason, "code": e.code} for e in exc.errors]
        return JSONResponse(error_body(exc.code, exc.message, errors=rows), status_code=exc.status)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if (page := _html(request, exc.status, exc.message)) is not None:
            return page
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if (page := _html(request, 422, texts.api.INVALID_REQUEST)) is not None:
            return page
        fields = [{"loc": [str(p) for p in e.get("loc", ())], "reason": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse(error_body("invalid_input", texts.api.INVALID_REQUEST, fields=fields), status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette still re-raises it after this answer, so the server logs the traceback (through
        # sotay.logging_setup); the client gets the one error shape, and never a success: the
        # session rolled back.
        return JSONResponse(error_body("internal_error", texts.api.INTERNAL_ERROR), status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if (page := _html(request, exc.status_code, str(exc.detail) if exc.status_code not in (404, 405) else texts.common.NOT_FOUND)) is not None:
            return page
        if request.scope.get(BODY_TOO_LARGE_SCOPE_KEY):
            limit = int(request.scope[BODY_TOO_LARGE_SCOPE_KEY])
            return JSONResponse(error_body("too_large", texts.api.TOO_LARGE.format(megabytes=limit // (1024 * 1024))), status_code=413)
        if exc.status_code == 400 and request.url.path.startswith(API_PREFIX):
            # A body FastAPI or Starlette cannot decode (bad UTF-8, broken multipart) is 400 there but
            # broken JSON is 422: under /api/v1, every request that is not valid gets 422 invalid_input.
            fields = [{"loc": ["body"], "reason": str(exc.detail)}]
            return JSONResponse(error_body("invalid_input", texts.api.INVALID_REQUEST, fields=fields), status_code=422)
        code = _HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None))
