"""Shared fixtures. SQLite by default; PostgreSQL when SOTAY_TEST_DATABASE_URL is set;
Redis tests run when SOTAY_TEST_REDIS_URL is set (and are skipped otherwise)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import FrozenClock
from core.crypto import FieldCipher
from core.db import create_engine, create_session_factory, is_sqlite
from core.models import metadata

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
# Tests stay offline: production's default speech engine ("auto") would try Google first.
os.environ.setdefault("SOTAY_TTS_ENGINE", "espeak")
POSTGRES_URL = os.environ.get("SOTAY_TEST_DATABASE_URL")
if POSTGRES_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist each worker has a database of its own (created by `postgres_schema`): the
    # tests empty every table between them.
    POSTGRES_URL = f"{POSTGRES_URL}_{os.environ['PYTEST_XDIST_WORKER']}"
REDIS_URL = os.environ.get("SOTAY_TEST_REDIS_URL")
# 10:00 in Hà Nội on a Monday.
TEST_NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc)


ON_CI = os.environ.get("CI", "").lower() == "true"
# A test whose fixtures reach any of these touches a database (or Redis): marked `db`, it runs on
# SQLite and again on PostgreSQL + Redis (scripts/test.sh); every other test runs once.
DATABASE_FIXTURES = {"database_url", "e2e_database_url", "postgres_schema", "redis_url", "require_postgres"}


def pytest_report_header(config: pytest.Config) -> str:
    return f"sotay: database={'postgresql' if POSTGRES_URL else 'sqlite'} redis={'yes' if REDIS_URL else 'no'} ci={ON_CI}"


def missing(what: str) -> None:
    """What a test needs is not on this machine: a skip on a developer's machine, a failure on CI
    (CI=true), where a skipped service or browser would leave the run green without testing it."""
    if ON_CI:
        pytest.fail(f"{what} (CI=true: a missing service or browser fails the run)", pytrace=False)
    pytest.skip(what)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers from what a test uses (a conftest's `pytestmark` applies to nothing): `db`, `redis`,
    `postgres` from its fixtures, `e2e` and `browser` from its folder."""
    tests = Path(__file__).parent
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & DATABASE_FIXTURES:
            item.add_marker(pytest.mark.db)
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)
        if "require_postgres" in fixtures:
            item.add_marker(pytest.mark.postgres)
        folder = Path(str(item.path)).relative_to(tests).parts[0] if tests in Path(str(item.path)).parents else ""
        if folder in ("e2e", "browser"):
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture(scope="session")
def postgres_schema() -> str | None:
    """Create the PostgreSQL schema once per run (tables are emptied between tests)."""
    if not POSTGRES_URL:
        return None

    async def rebuild() -> None:
        base, name = POSTGRES_URL.rsplit("/", 1)
        admin = create_engine(f"{base}/postgres")
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            if not await connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            # Every table there is, whatever schema built it: another branch's foreign keys (one the
            # models no longer have) must not stop `drop_all`, nor its tables linger.
            tables = (await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))).scalars()
            for table in list(tables):
                await connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
            await connection.run_sync(metadata.create_all)
        await engine.dispose()

    asyncio.run(rebuild())
    return POSTGRES_URL


@pytest.fixture
def database_url(tmp_path: Path, postgres_schema: str | None) -> str:
    return postgres_schema or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if is_sqlite(database_url):
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
    else:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            # Reference data a migration writes (and create_all, through its table's event) comes back.
            from core.listening.models import insert_default_languages
            from core.orgs.models import directory_row_sql

            await connection.run_sync(insert_default_languages)
            await connection.execute(text(directory_row_sql("postgresql")))
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(TEST_SECRET_KEY)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_NOW)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        missing("SOTAY_TEST_REDIS_URL not set (Redis test)")
    return REDIS_URL


@pytest.fixture
def require_postgres(postgres_schema: str | None) -> str:
    if not postgres_schema:
        missing("SOTAY_TEST_DATABASE_URL not set (PostgreSQL-only test)")
    return postgres_schema


@pytest.fixture
def harness(session_factory: async_sessionmaker[AsyncSession], cipher: FieldCipher, clock: FrozenClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The real Dispatcher with every router, its Telegram side recorded (see tests/botkit.py);
    files people send are kept under the test's own folder."""
    from bot.dispatcher import build_dispatcher
    from tests.botkit import BotHarness

    harness = BotHarness(build_dispatcher(session_factory=session_factory, cipher=cipher, clock=clock, files_dir=tmp_path / "files"))
    yield harness
    # What Telegram would have refused (tests/botkit.py): a screen over a limit, broken HTML, two answers to one press.
    assert not harness.session.violations, "Telegram would refuse: " + "; ".join(harness.session.violations)


WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"


@pytest.fixture
def runtime(engine, session_factory, cipher, clock, harness, tmp_path):  # type: ignore[no-untyped-def]
    """A Runtime over the test database, with the harness's bot and dispatcher (webhook tests)."""
    from sotay.runtime import Runtime
    from sotay.settings import Settings

    settings = Settings(
        demo=True,
        secret_key=TEST_SECRET_KEY,
        data_dir=tmp_path / "data",
        telegram_token="42:TEST_TOKEN_abcdefghijklmnopqrstuvwxyz",
        webhook_url="https://example.invalid/telegram/webhook",
        webhook_secret=WEBHOOK_SECRET,
    )
    return Runtime(settings=settings, engine=engine, session_factory=session_factory, cipher=cipher, clock=clock,
                   bot=harness.bot, dispatcher=harness.dispatcher)


@pytest.fixture
async def api_client(runtime):  # type: ignore[no-untyped-def]
    """httpx client over the real FastAPI app (ASGI, no network)."""
    import httpx

    from sotay.web_app import http_app

    transport = httpx.ASGITransport(app=http_app(runtime))  # the API with the webhooks, as `sotay run` serves it
    async with httpx.AsyncClient(transport=transport, base_url="http://sotay.test") as client:
        yield client


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print the schemathesis tally (operations, examples, status classes) when the fuzz test ran."""
    import sys

    module = next((m for name, m in sys.modules.items() if name.endswith("test_api_fuzz") and hasattr(m, "SUMMARY")), None)
    if module is None or not module.SUMMARY:
        return
    operations = [key for key in module.SUMMARY if key.startswith("operation ")]
    statuses = {key.removeprefix("status "): module.SUMMARY[key] for key in sorted(module.SUMMARY) if key.startswith("status ")}
    terminalreporter.write_line(
        f"schemathesis: {len(operations)} operations, {sum(module.SUMMARY[o] for o in operations)} generated requests "
        f"(positive and negative), " + ", ".join(f"{k}: {v}" for k, v in statuses.items())
        + f"; operations with failures: {module.SUMMARY['failures']}"
    )


@pytest.fixture
async def commune(session: AsyncSession, cipher: FieldCipher):  # type: ignore[no-untyped-def]
    """The usual world, committed: a province → commune → two linked cells, and a cell elsewhere."""
    from tests.factories import make_commune

    commune = await make_commune(session, cipher, linked=True)
    await session.commit()
    return commune


@pytest.fixture
def bearer(session: AsyncSession, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """`await bearer(member)`: API headers with a fresh personal token of that member (valid a day)."""
    from core.orgs.tokens import create_token

    async def issue(member) -> dict[str, str]:  # type: ignore[no-untyped-def]
        issued = await create_token(session, member=member, now=clock.now(), ttl=dt.timedelta(days=1))
        await session.commit()
        return {"Authorization": f"Bearer {issued.token}"}

    return issue
