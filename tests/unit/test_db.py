"""Transactions at the edges must be real transactions on both databases."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import RECYCLE_AFTER, create_engine, ping_when_idle
from core.orgs.models import Org, OrgKind


async def test_a_released_savepoint_does_not_commit_the_outer_transaction(session_factory) -> None:
    async with session_factory() as session:
        # The savepoint is the transaction's first statement: on SQLite this used to open (and then
        # commit) the whole transaction.
        async with session.begin_nested():
            session.add(Org(name="Chi bộ tạm", kind=OrgKind.CELL, path="/x/"))
        session.add(Org(name="Chi bộ tạm 2", kind=OrgKind.CELL, path="/y/"))
        await session.flush()
        async with session_factory() as other:
            assert await other.scalar(select(func.count(Org.id))) == 0  # nothing visible before commit
        await session.rollback()
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Org.id))) == 0


async def test_commit_makes_everything_visible_together(session_factory) -> None:
    async with session_factory() as session:
        async with session.begin_nested():
            session.add(Org(name="A", kind=OrgKind.CELL, path="/a/"))
        session.add(Org(name="B", kind=OrgKind.CELL, path="/b/"))
        await session.commit()
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Org.id))) == 2


# ---------------------------------------------------------------- PostgreSQL: a ping only after idling


def _pool_engine(url: str, idle: float) -> tuple[AsyncEngine, list[object]]:
    """The production engine's pool, with its ping after `idle` seconds; the pings it sends, counted."""
    engine = create_async_engine(url, pool_size=2, pool_use_lifo=True, pool_recycle=RECYCLE_AFTER)
    pings: list[object] = []
    dialect = engine.sync_engine.dialect
    real_ping = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    ping_when_idle(engine, after=idle)
    return engine, pings


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url)
    async with admin.connect() as connection:
        assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await connection.commit()
    await admin.dispose()


async def test_production_postgres_engines_ping_only_idle_connections(require_postgres) -> None:
    engine = create_engine(require_postgres)
    try:
        assert not engine.sync_engine.pool._pre_ping and engine.sync_engine.pool._recycle == RECYCLE_AFTER
        first = await _backend(engine)
        assert await _backend(engine) == first  # used moments ago: handed out again, no ping, same backend
    finally:
        await engine.dispose()


async def test_a_connection_that_died_while_idle_is_replaced_before_use(require_postgres) -> None:
    engine, pings = _pool_engine(require_postgres, idle=0.0)  # every connection back in the pool counts as idle
    try:
        killed = await _backend(engine)
        assert pings == []  # a connection just opened is not pinged
        await _terminate(require_postgres, killed)
        replaced = await _backend(engine)  # pinged, found dead, replaced: the statement itself never fails
        assert replaced != killed and len(pings) == 1
    finally:
        await engine.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged_and_one_failure_renews_the_pool(require_postgres) -> None:
    engine, pings = _pool_engine(require_postgres, idle=3600.0)
    try:
        killed = await _backend(engine)
        assert await _backend(engine) == killed and pings == []  # reused at once, no ping
        await _terminate(require_postgres, killed)
        with pytest.raises(DBAPIError) as failure:  # the window the docstring of core.db.PING_AFTER_IDLE tells of
            await _backend(engine)
        assert failure.value.connection_invalidated
        assert await _backend(engine) != killed  # the next use gets a fresh connection
    finally:
        await engine.dispose()
