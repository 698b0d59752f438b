"""Schemathesis against the OpenAPI schema: generated requests with a secretary's token.

Every operation under /api/v1 (and the health routes) is exercised with schema-driven and
deliberately malformed data. Checks: never a 5xx, documented status codes and content types,
and bodies that match their declared schema.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api.app import create_app
from api.ratelimit import FixedWindowLimiter
from core.clock import SystemClock
from core.crypto import FieldCipher
from core.db import create_session_factory, is_sqlite
from core.models import metadata
from core.orgs.tokens import create_token
from sotay.runtime import Runtime
from sotay.settings import Settings
from tests.conftest import POSTGRES_URL, TEST_SECRET_KEY
from tests.factories import make_commune

EXAMPLES = int(os.environ.get("SOTAY_FUZZ_EXAMPLES", "20"))
SUMMARY: Counter[str] = Counter()


@pytest.fixture
def fuzz_target(tmp_path, postgres_schema):  # type: ignore[no-untyped-def]
    """The real app over a seeded database; NullPool, because schemathesis drives ASGI from its own loop."""
    url = postgres_schema or f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    cipher = FieldCipher(TEST_SECRET_KEY)

    async def seed() -> str:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.begin() as connection:
            if is_sqlite(url):
                await connection.run_sync(metadata.create_all)
            else:
                names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
                await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        async with create_session_factory(engine)() as session:
            commune = await make_commune(session, cipher, linked=True)
            issued = await create_token(session, member=commune.cells[0].secretary, now=SystemClock().now())
            await session.commit()
        await engine.dispose()
        return issued.token

    token = asyncio.run(seed())
    engine = create_async_engine(url, poolclass=NullPool)
    runtime = Runtime(settings=Settings(demo=True, secret_key=TEST_SECRET_KEY, data_dir=tmp_path / "data"), engine=engine,
                      session_factory=create_session_factory(engine), cipher=cipher, clock=SystemClock())
    app = create_app(runtime)
    app.state.rate_limiter = FixedWindowLimiter(limit=10**9)  # the fuzzer is one token sending thousands of requests
    yield app, {"Authorization": f"Bearer {token}"}
    asyncio.run(engine.dispose())


def test_api_never_fails_and_matches_its_schema(fuzz_target) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import given

    app, headers = fuzz_target
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        @given(operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            SUMMARY[label] += 1
            SUMMARY[f"status {response.status_code // 100}xx"] += 1
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                                     response_schema_conformance])

        try:
            exercise()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as failure:  # noqa: BLE001 — collect every operation's failure, then report them all
            failures.append(f"{label}: {type(failure).__name__}: {str(failure)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_the_schema_documents_every_resource(fuzz_target) -> None:  # type: ignore[no-untyped-def]
    app, _ = fuzz_target
    spec = app.openapi()
    paths = set(spec["paths"])
    for expected in ("/api/v1/orgs", "/api/v1/members/{member_id}", "/api/v1/meetings", "/api/v1/notices", "/api/v1/feedback", "/api/v1/me"):
        assert expected in paths, expected
    protected = [op for path, ops in spec["paths"].items() if path.startswith("/api/v1") for op in ops.values()]
    assert protected and all("401" in op["responses"] and "429" in op["responses"] for op in protected)
