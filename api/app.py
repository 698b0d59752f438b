"""The FastAPI application: health, the Telegram webhook, and the REST API under /api/v1."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from api.console import install_console
from api.console import recordings as console_recordings
from api.deps import reject_nul_in_form
from api.docs import mount_offline_docs
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.ports import ApiRuntime
from api.middleware import BodySizeLimit, RejectNulCharacters, RequestObservability
from api.ratelimit import FixedWindowLimiter, enforce_rate_limit
from api.routes import account, health, members, metrics, orgs
from api.routes import feedback
from api.routes import meetings
from api.routes import notices
from api.routes import documents, recordings, reminders, reports, study
from api.routes import media
from core.meetings import documents as documents_rules
from api.routes import votes
from core.orgs.management import MAX_ID

DESCRIPTION = """
REST API of **Sổ tay**, the party member handbook.

Authenticate with a personal access token (`sotay token create CARD_NUMBER`) sent as
`Authorization: Bearer <token>`. Every answer is limited to the organisations the token's
holder may see; every refusal has the body `{"error": code, "message": reason}`.
"""


# A console meeting form: every document it may carry, and the form around them.
CONSOLE_MEETING_BODY_LIMIT = meetings.DOCUMENTS_BODY_LIMIT * documents_rules.MAX_DOCUMENTS

# Request bodies larger than this are refused with 413 before they are read; any other body under
# /api/ (JSON: the longest text any field takes is far below) at most DEFAULT_BODY_LIMIT.
BODY_LIMITS = {"/api/v1/members/import": members.IMPORT_MAX_BYTES + 64 * 1024, "/console/members/import": members.IMPORT_MAX_BYTES + 64 * 1024,
               "/console/meetings": CONSOLE_MEETING_BODY_LIMIT, "/console/notices": notices.FILE_BODY_LIMIT, console_recordings.UPLOAD_PATH: recordings.UPLOAD_BODY_LIMIT, "/console/meetings/{meeting_id}/edit": CONSOLE_MEETING_BODY_LIMIT, "/telegram/webhook": 1_000_000,
               documents.UPLOAD_PATH: documents.UPLOAD_BODY_LIMIT, meetings.DOCUMENTS_PATH: meetings.DOCUMENTS_BODY_LIMIT,
               notices.FILE_PATH: notices.FILE_BODY_LIMIT, recordings.UPLOAD_PATH: recordings.UPLOAD_BODY_LIMIT,
               recordings.NOTICE_UPLOAD_PATH: recordings.UPLOAD_BODY_LIMIT, recordings.CONCLUSIONS_UPLOAD_PATH: recordings.UPLOAD_BODY_LIMIT}
DEFAULT_BODY_LIMIT = 2 * 1024 * 1024


def create_app(runtime: ApiRuntime) -> FastAPI:
    # /docs is added below with Swagger UI's files served from here: it works without the Internet.
    app = FastAPI(title="Sổ tay API", version="1.0", description=DESCRIPTION, docs_url=None)
    app.state.runtime = runtime
    app.state.rate_limiter = FixedWindowLimiter(redis_url=runtime.settings.redis_url)
    install_error_handlers(app)
    mount_offline_docs(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(media.router)  # /m/{token}: listen and download pages behind signed links
    install_console(app)  # /console: the web console's pages (api/console)
    for router in api_routers():
        # Every resource: authenticated, counted against the holder's rate limit (per person), one error shape.
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(enforce_rate_limit), Depends(reject_nul_in_form)],
                           responses=ERROR_RESPONSES)
    app.add_middleware(RejectNulCharacters, prefix="/api/")
    app.add_middleware(BodySizeLimit, limits=BODY_LIMITS, default_prefix="/api/", default_limit=DEFAULT_BODY_LIMIT)
    app.add_middleware(RequestObservability)
    _exact_id_bounds(app)
    return app


def create_operations_app(runtime: ApiRuntime) -> FastAPI:
    """What a bot or worker process serves (`sotay run --only bot|worker`): /healthz, /readyz and
    /metrics with that process's own counters (sends, 429s, reminder lag), for its health check and
    for Prometheus to scrape each process."""
    app = FastAPI(title="Sổ tay operations", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_middleware(RequestObservability)
    return app


def _exact_id_bounds(app: FastAPI) -> None:
    """FastAPI's OpenAPI model keeps `maximum` as a float, and 2**63 - 1 does not survive that
    (9.223372036854776e18 is 2**63): put the exact largest id back, so clients and the fuzzer read
    the bound the API enforces."""
    build = app.openapi

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("maximum", "minimum") and isinstance(value, float) and value == float(MAX_ID):
                    node[key] = MAX_ID
                else:
                    fix(value)
        elif isinstance(node, list):
            for item in node:
                fix(item)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            fix(build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def api_routers() -> list:
    """Resource routers under /api/v1, each added by its domain."""
    return [
        orgs.router,
        members.router,
        account.router,
        feedback.router,
        meetings.router,
        notices.router,
        documents.router,
        recordings.router,
        study.router,
        reports.router,
        reminders.router,
        votes.router,
    ]
