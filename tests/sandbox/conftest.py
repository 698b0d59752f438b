"""Fixtures for the sandbox's own tests: a server, aiogram's real Bot pointed at it, and its people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from sandbox.client import SandboxClient, shared_tls_context
from sandbox.limits import Limits
from sandbox.server import SandboxServer

TOKEN = "123456:SANDBOX_TEST_abcdefghijklmnopqrstu"
OTHER_TOKEN = "654321:SANDBOX_OTHER_abcdefghijklmnopqr"
MAI = 501  # a person who exists in every test
MAI_PHONE = "0912345678"


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    """Limits off: tests that are about limits switch them on for their bot."""
    async with SandboxServer(bots={TOKEN: "test_sotay_bot"}, limits=Limits(enabled=False), webhook_max_retry=0.4) as server:
        yield server


def aiogram_bot(server: SandboxServer, token: str = TOKEN) -> Bot:
    """aiogram's real Bot with only the API base URL changed."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    bot = aiogram_bot(server)
    yield bot
    await bot.session.close()


@pytest.fixture
async def people(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.base_url, TOKEN) as client:
        await client.create_user("Mai", user_id=MAI, last_name="Nguyễn", phone_number=MAI_PHONE)
        yield client


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP, for what aiogram would hide: status codes, body shapes, form encodings."""
    async with httpx.AsyncClient(base_url=server.base_url, verify=shared_tls_context()) as client:
        yield client


Receiver = Callable[[web.Application, int], Awaitable[tuple[web.AppRunner, int]]]


@pytest.fixture
async def serve_app() -> AsyncIterator[Receiver]:
    """Starts an aiohttp app on loopback (port 0: any free one); everything started is cleaned up."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, port: int = 0) -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return runner, int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()
