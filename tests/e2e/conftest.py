"""End-to-end: the real `sotay run` process talks HTTP to the sandbox Bot API server.

Each test gets a fresh database (a SQLite file, or a fresh PostgreSQL database when
SOTAY_TEST_DATABASE_URL is set), a sandbox on a free port, and a sotay process in polling or
webhook mode. Tests act as people through the sandbox's user side and check the database.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.crypto import FieldCipher
from core.db import create_engine, create_session_factory
from sotay.migrate import upgrade_async
from tests.conftest import POSTGRES_URL, TEST_SECRET_KEY
from tests.e2e.processes import SotayProcess, free_port, start_sotay, wait_until_healthy

BOT_TOKEN = "7000000001:E2E_sandbox_token_abcdefghijklmnop"
BOT_USERNAME = "sotay_e2e_bot"
WEBHOOK_SECRET = "e2e-webhook-secret-0123456789"

# pytest-timeout's limit covers setup and teardown too: a fresh database, a process started and
# stopped, tests that wait for the scheduler's ticks. On a busy 2-core machine with PostgreSQL, one
# test took up to ~155 s in all (setups ~30 s, the reminders test's call 82 s, teardowns with the
# database dropped 43-72 s), against the 300 s default. A safety net against a hang, not a target.
E2E_TIMEOUT = 600


def e2e_redis_url() -> str | None:
    """The Redis database this pytest worker's sotay processes use: its own, so that two e2e tests
    running side by side (pytest-xdist) never share FSM states (the same bot token and user ids), a
    rate budget or a pause, and the login limiter's counters. Databases 7-14; 15 stays with the
    in-process Redis tests, which use keys of their own."""
    base = os.environ.get("SOTAY_TEST_REDIS_URL")
    if not base:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    database = 14 - (int(worker) if worker.isdigit() else 0) % 8
    return urlunsplit(urlsplit(base)._replace(path=f"/{database}"))


@pytest.fixture(autouse=True)
def fresh_e2e_redis() -> None:
    """Each e2e test starts with an empty Redis database: nothing left over from the test before."""
    url = e2e_redis_url()
    if url:
        from redis import Redis

        with Redis.from_url(url, socket_timeout=10) as client:
            client.flushdb()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT))


@pytest.fixture
async def e2e_database_url(tmp_path: Path, postgres_schema: str | None) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database made through the run's test database
    (`postgres_schema` makes sure that one exists, under pytest-xdist too)."""
    if not POSTGRES_URL:
        url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
        await upgrade_async(url)
        yield url
        return
    name = f"sotay_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    await upgrade_async(url)
    yield url
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def e2e_sessions(e2e_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(e2e_database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def sandbox():  # type: ignore[no-untyped-def]
    from sandbox.server import SandboxServer

    server = SandboxServer(port=0, bots={BOT_TOKEN: BOT_USERNAME})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def people(sandbox):  # type: ignore[no-untyped-def]
    """The sandbox's user side: simulated people who type, tap and read their chats."""
    from sandbox.client import SandboxClient

    client = SandboxClient(sandbox.base_url, BOT_TOKEN)
    yield client
    await client.aclose()


@dataclass
class App:
    process: SotayProcess
    mode: str
    env: dict[str, str]


def sotay_env(database_url: str, data_dir: Path, sandbox_url: str, http_port: int, mode: str) -> dict[str, str]:
    env = {
        "SOTAY_DATABASE_URL": database_url,
        "SOTAY_DATA_DIR": str(data_dir),
        "SOTAY_SECRET_KEY": TEST_SECRET_KEY,
        "SOTAY_TELEGRAM_TOKEN": BOT_TOKEN,
        "SOTAY_TELEGRAM_API_BASE": sandbox_url,
        "SOTAY_BOT_USERNAME": BOT_USERNAME,
        "SOTAY_HTTP_PORT": str(http_port),
        "SOTAY_TICK_SECONDS": "1",
    }
    if mode == "webhook":
        env["SOTAY_WEBHOOK_URL"] = f"http://127.0.0.1:{http_port}/telegram/webhook"
        env["SOTAY_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    if redis_url := e2e_redis_url():
        env["SOTAY_REDIS_URL"] = redis_url
    return env


@pytest.fixture(params=["polling", "webhook"])
async def app(request, sandbox, e2e_database_url: str, tmp_path: Path) -> AsyncIterator[App]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = sotay_env(e2e_database_url, tmp_path / "data", sandbox.base_url, port, request.param)
    process = start_sotay(["run"], env, tmp_path / "sotay.log", port)
    try:
        await wait_until_healthy(process)
        yield App(process=process, mode=request.param, env=env)
    finally:
        await stop_cleanly(process)


async def stop_cleanly(process: SotayProcess) -> None:
    """Stop sotay (SIGTERM) and check it ended well: no traceback, no kill."""
    # In a thread: the sandbox runs on this event loop and must answer the sends still in flight.
    code = await asyncio.to_thread(process.stop)
    log = process.log()
    assert "Traceback" not in log, log[-6000:]
    # 0, not -15: sotay handles SIGTERM (sotay/serve.py) and ends its work; -15 would mean it died of the signal.
    assert code == 0, f"sotay exited with {code}:\n{log[-4000:]}"


@pytest.fixture
def e2e_cipher() -> FieldCipher:
    return FieldCipher(TEST_SECRET_KEY)
