"""Health and metrics per role (issue 18, item 9): a worker-only process (no API) answers the health
check its container runs and serves its own Prometheus metrics, so sends counted in workers are
scraped; it serves nothing of the REST API."""

from __future__ import annotations

import asyncio
import socket

import httpx

from sotay.serve import serve
from sotay.settings import Settings
from tests.conftest import TEST_SECRET_KEY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_worker_process_serves_health_and_its_own_metrics(tmp_path) -> None:
    port = _free_port()
    settings = Settings(secret_key=TEST_SECRET_KEY, data_dir=tmp_path, http_host="127.0.0.1", http_port=port)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(settings, only={"worker"}, stop=stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    health = await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
            scraped = await client.get("/metrics")
            api = await client.get("/api/v1/me")
    finally:
        stop.set()
        await running
    assert health.status_code == 200 and ready.status_code == 200
    assert scraped.status_code == 200 and "sotay_sends_total" in scraped.text and "sotay_outbox_depth" in scraped.text
    assert api.status_code == 404
