"""Zalo webhooks: setWebhook's checks, deliveries with X-Bot-Api-Secret-Token, retries that lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from sandbox.limits import Limits
from sandbox.server import SandboxServer
from sandbox.zalo import ZaloLimits
from sandbox.zalo_client import ZaloSandboxClient
from tests.sandbox.conftest import Receiver

ZALO_TOKEN = "1459232241454765289:ZaloSandboxTestSecret0123456789"
SECRET = "zalo-secret-0123456789"


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(limits=Limits(enabled=False), zalo_bots={ZALO_TOKEN: "Sổ tay"},
                             zalo_limits=ZaloLimits(enabled=False), webhook_max_retry=0.4) as server:
        yield server


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}/zalo", timeout=30) as client:
        yield client


@pytest.fixture
async def people(server: SandboxServer) -> AsyncIterator[ZaloSandboxClient]:
    async with ZaloSandboxClient(server.base_url, ZALO_TOKEN) as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    response = await http.post(f"/bot{ZALO_TOKEN}/{method}", json=body or {})
    return response.status_code, response.json()


class WebhookEndpoint:
    """A bot's webhook endpoint: records every delivery; answers `failures` 500s first."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.deliveries: asyncio.Queue[tuple[dict[str, str], dict[str, Any], int]] = asyncio.Queue()

    async def handle(self, request: web.Request) -> web.Response:
        status = 500 if self.failures > 0 else 200
        self.failures -= 1
        await self.deliveries.put((dict(request.headers), await request.json(), status))
        return web.json_response({"message": "Success"}, status=status)

    async def next(self) -> tuple[dict[str, str], dict[str, Any], int]:
        return await asyncio.wait_for(self.deliveries.get(), 10)


async def receiver(serve_app: Receiver, failures: int = 0) -> tuple[WebhookEndpoint, str]:
    endpoint = WebhookEndpoint(failures)
    app = web.Application()
    app.router.add_post("/zalo/webhook", endpoint.handle)
    _, port = await serve_app(app)
    return endpoint, f"http://127.0.0.1:{port}/zalo/webhook"


@pytest.mark.parametrize(("body", "description"), [
    ({"secret_token": SECRET}, "Bad Request: url is required"),
    ({"url": "http://example.org/hook", "secret_token": SECRET}, "Bad Request: url must be an HTTPS URL"),
    ({"url": "ftp://127.0.0.1/hook", "secret_token": SECRET}, "Bad Request: url must be an HTTPS URL"),
    ({"url": "https://example.org/hook"}, "Bad Request: secret_token must be 8 to 256 characters"),
    ({"url": "https://example.org/hook", "secret_token": "short"}, "Bad Request: secret_token must be 8 to 256 characters"),
    ({"url": "https://example.org/hook", "secret_token": "s" * 257}, "Bad Request: secret_token must be 8 to 256 characters"),
    ({"url": "https://example.org/hook", "secret_token": "has space 123"}, "Bad Request: secret_token must be 8 to 256 characters"),
])
async def test_set_webhook_refusals(http: httpx.AsyncClient, body: dict[str, Any], description: str) -> None:
    status, answer = await call(http, "setWebhook", body)
    assert (status, answer) == (400, {"ok": False, "error_code": 400, "description": description})
    assert (await call(http, "getWebhookInfo"))[1]["result"]["url"] == ""


async def test_set_get_and_delete_webhook_answer_url_and_updated_at(http: httpx.AsyncClient) -> None:
    status, body = await call(http, "setWebhook", {"url": "https://example.org/zalo/webhook", "secret_token": SECRET})
    assert status == 200 and body["result"]["url"] == "https://example.org/zalo/webhook"
    assert body["result"]["updated_at"] > 10**12
    info = (await call(http, "getWebhookInfo"))[1]["result"]
    assert info == {"url": "https://example.org/zalo/webhook", "updated_at": body["result"]["updated_at"]}
    deleted = (await call(http, "deleteWebhook"))[1]["result"]
    assert deleted["url"] == "" and deleted["updated_at"] >= info["updated_at"]
    assert (await call(http, "getWebhookInfo"))[1]["result"]["url"] == ""


async def test_updates_are_posted_with_the_secret_header_in_the_result_envelope(
        http: httpx.AsyncClient, people: ZaloSandboxClient, serve_app: Receiver) -> None:
    endpoint, url = await receiver(serve_app)
    assert (await call(http, "setWebhook", {"url": url, "secret_token": SECRET}))[0] == 200
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "1")
    headers, body, _ = await endpoint.next()
    assert headers["X-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"] == "application/json"
    assert body["ok"] is True and body["result"]["event_name"] == "message.text.received"
    assert body["result"]["message"]["text"] == "1" and body["result"]["message"]["chat"]["id"] == person["id"]


async def test_get_updates_is_refused_while_a_webhook_is_set_and_a_waiting_poll_ends(
        http: httpx.AsyncClient, server: SandboxServer) -> None:
    bot = server.zalo.world.bots[ZALO_TOKEN]
    waiting = asyncio.create_task(call(http, "getUpdates", {"timeout": 20}))
    while bot.poller_generation == 0:
        await asyncio.sleep(0.01)
    assert (await call(http, "setWebhook", {"url": "https://example.org/hook", "secret_token": SECRET}))[0] == 200
    status, body = await asyncio.wait_for(waiting, 10)
    assert (status, body["description"]) == (409, "Conflict: terminated by setWebhook request")
    status, body = await call(http, "getUpdates", {"timeout": 0})
    assert (status, body["error_code"]) == (409, 409)
    assert "deleteWebhook" in body["description"]


async def test_failed_deliveries_are_retried_in_order_and_nothing_is_lost(
        http: httpx.AsyncClient, people: ZaloSandboxClient, serve_app: Receiver) -> None:
    endpoint, url = await receiver(serve_app, failures=2)
    await call(http, "setWebhook", {"url": url, "secret_token": SECRET})
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "một")
    await people.send_text(person["id"], "hai")
    seen = [await endpoint.next() for _ in range(4)]
    assert [(body["result"]["message"]["text"], status) for _, body, status in seen] == [
        ("một", 500), ("một", 500), ("một", 200), ("hai", 200)]
    stats = await people.stats()
    assert stats["events"]["webhook_failures"] == 2 and stats["events"]["webhook_deliveries"] == 2
    assert stats["last_webhook_error"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert stats["pending_updates"] == 0


async def test_a_webhook_that_is_down_keeps_updates_for_polling_after_delete(
        http: httpx.AsyncClient, people: ZaloSandboxClient) -> None:
    await call(http, "setWebhook", {"url": "http://127.0.0.1:9/zalo/webhook", "secret_token": SECRET})  # nothing listens
    person = await people.create_user("Trần Thị Lan")
    await people.send_text(person["id"], "vắng")
    while (await people.stats())["events"].get("webhook_failures", 0) == 0:
        await asyncio.sleep(0.02)
    assert (await people.stats())["last_webhook_error"] == "Connection refused"
    await call(http, "deleteWebhook")
    status, body = await call(http, "getUpdates", {"timeout": 5})
    assert status == 200 and body["result"]["message"]["text"] == "vắng"
