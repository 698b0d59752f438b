from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers, and this process's delivery can reach its rate budget",
            responses={503: {"description": "database unreachable, or a rate budget (Redis) unreachable for delivery"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    from core.delivery.worker import BUDGET_OUTAGES

    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; the reason type only, no connection string
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    if BUDGET_OUTAGES:
        # Delivery has stopped claiming and handed its rows back; it resumes by itself.
        outages = {platform: f"rate budget unreachable ({error}): delivery paused" for platform, error in BUDGET_OUTAGES.items()}
        return JSONResponse({"status": "degraded", "delivery": outages}, status_code=503)
    return JSONResponse({"status": "ok"})
