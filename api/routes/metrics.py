"""/metrics for Prometheus: loopback only, or anywhere with the bearer token SOTAY_METRICS_TOKEN."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import RuntimeDep
from api.ports import ApiSettings
from core import metrics, texts
from core.delivery import outbox
from core.recordings import presynthesis

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
FORWARDING_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def require_metrics_access(request: Request, settings: ApiSettings) -> None:
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode()):
            raise HTTPException(401, texts.api.METRICS_FORBIDDEN, headers={"WWW-Authenticate": "Bearer"})
        return
    # Without a token: the scraper must sit on this machine. A request relayed by a local reverse
    # proxy also comes from loopback, so any forwarding header means "from elsewhere".
    proxied = any(name in FORWARDING_HEADERS for name, _ in request.scope.get("headers", ()))
    if request.client is None or request.client.host not in LOOPBACK or proxied:
        raise HTTPException(403, texts.api.METRICS_FORBIDDEN)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def prometheus_metrics(request: Request, runtime: RuntimeDep) -> Response:
    require_metrics_access(request, runtime.settings)
    try:
        async with runtime.session_factory() as session:
            await outbox.observe_depth(session)
            await presynthesis.observe_depth(session)
    except Exception as exc:  # noqa: BLE001 — the database being down must not hide every other metric
        log.warning("metrics: outbox or read-ahead depth unavailable (%s)", type(exc).__name__)
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
