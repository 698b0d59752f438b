"""The FastAPI application: health, the Telegram webhook, and the REST API under /api/v1."""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import health, webhook
from api.routes import feedback
from api.routes import meetings
from api.routes import notices
from sotay.runtime import Runtime

DESCRIPTION = """
REST API of **Sổ tay**, the party member handbook.

Authenticate with a personal access token (`sotay token create CARD_NUMBER`) sent as
`Authorization: Bearer <token>`. Every answer is limited to the organisations the token's
holder may see; every refusal has the body `{"error": code, "message": reason}`.
"""


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Sổ tay API", version="1.0", description=DESCRIPTION)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(webhook.router)
    for router in api_routers():
        app.include_router(router, prefix="/api/v1")
    if runtime.services.get("sandbox_url"):
        from api.routes.demo import mount_demo

        mount_demo(app, runtime.services["sandbox_url"])
    return app


def api_routers() -> list:
    """Resource routers under /api/v1, each added by its domain."""
    return [
        feedback.router,
        meetings.router,
        notices.router,
    ]
