"""SQLite's one write lock, queued in this process (core.db.SqliteWriters): a burst of writers is served
first come, first served, none fails with "database is locked", and a transaction that ends without
a commit hands the lock on too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text

from core.db import SqliteWriters, create_engine, create_session_factory

WRITERS = 10  # the connections the pool keeps (core.db.create_engine's pool_size): none is opened meanwhile


async def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE taps (n INTEGER NOT NULL)"))
    return engine


async def test_a_burst_of_writers_is_served_in_arrival_order_without_errors(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    factory = create_session_factory(engine)
    wrote: list[int] = []

    async def writer(n: int) -> None:
        async with factory() as session:
            await session.execute(text("INSERT INTO taps (n) VALUES (:n)"), {"n": n})
            wrote.append(n)
            for _ in range(3):  # the transaction stays open across a few turns of the loop, as a handler's does
                await asyncio.sleep(0)
            await session.commit()

    async def reader() -> None:
        async with factory() as session:
            await session.execute(text("SELECT count(*) FROM taps"))
            await asyncio.sleep(0.05)

    try:
        await asyncio.gather(*(reader() for _ in range(WRITERS)))  # connections open already: writers arrive in order
        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        async with factory() as session:
            stored = list((await session.execute(text("SELECT n FROM taps ORDER BY rowid"))).scalars())
    finally:
        await engine.dispose()
    assert wrote == list(range(WRITERS))
    assert stored == list(range(WRITERS))


async def test_a_transaction_ended_without_commit_hands_the_lock_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqliteWriters, "WAIT", 3600.0)  # a lock never handed on would hang, not fall back to busy_timeout
    engine = await _engine(tmp_path)
    factory = create_session_factory(engine)
    order: list[str] = []
    # The moment the abandoned transaction ends (the session's close rolls it back): the next writer
    # may write only after it. What the abandoned task does after its close races with the next writer.
    def rolled_back(connection: object) -> None:
        order.append("abandoned rolled back")

    event.listen(engine.sync_engine, "rollback", rolled_back)

    async def abandoned() -> None:
        async with factory() as session:  # closed without commit: rolled back when the connection returns
            await session.execute(text("INSERT INTO taps (n) VALUES (1)"))
            order.append("abandoned wrote")
            await asyncio.sleep(0.05)

    async def next_writer() -> None:
        while "abandoned wrote" not in order:
            await asyncio.sleep(0)
        async with factory() as session:
            await session.execute(text("INSERT INTO taps (n) VALUES (2)"))
            order.append("next wrote")
            await session.commit()

    try:
        await asyncio.wait_for(asyncio.gather(abandoned(), next_writer()), 60)  # a hang detector, not a speed goal
        event.remove(engine.sync_engine, "rollback", rolled_back)
        async with factory() as session:  # and nothing is left holding it
            await session.execute(text("INSERT INTO taps (n) VALUES (3)"))
            await session.commit()
            stored = list((await session.execute(text("SELECT n FROM taps ORDER BY rowid"))).scalars())
    finally:
        await engine.dispose()
    assert order == ["abandoned wrote", "abandoned rolled back", "next wrote"]
    assert stored == [2, 3]
