"""SQLite's driver (core/sqlite_driver.py): a COMMIT or ROLLBACK with no transaction open makes no
hand-off to the connection's thread; with one open, it commits or rolls back as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text

from core.db import create_engine, create_session_factory


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every call handed to an aiosqlite connection's thread."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_a_read_only_session_makes_one_hand_off_per_statement_only(tmp_path: Path, hand_offs: list[str]) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE taps (n INTEGER NOT NULL)"))
    factory = create_session_factory(engine)
    async with factory() as session:  # warm: the pool's connection is open
        await session.execute(text("SELECT 1"))
    hand_offs.clear()
    async with factory() as session:
        await session.execute(text("SELECT count(*) FROM taps"))
        await session.commit()  # and the pool's rollback when the connection goes back
        await session.execute(text("SELECT count(*) FROM taps"))
        await session.rollback()
    assert hand_offs == ["_run", "_run"]  # the two statements; no empty COMMIT or ROLLBACK
    await engine.dispose()


async def test_writes_are_still_committed_and_rolled_back(tmp_path: Path, hand_offs: list[str]) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE taps (n INTEGER NOT NULL)"))
    factory = create_session_factory(engine)
    async with factory() as session:
        await session.execute(text("INSERT INTO taps (n) VALUES (1)"))
        await session.commit()
        await session.execute(text("INSERT INTO taps (n) VALUES (2)"))
        await session.rollback()
    assert "commit" in hand_offs and "rollback" in hand_offs
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with other.connect() as connection:
        assert (await connection.execute(text("SELECT n FROM taps"))).scalars().all() == [1]
    await other.dispose()
    await engine.dispose()


async def test_many_rows_in_one_statement_are_one_hand_off_and_count_what_was_inserted(tmp_path: Path, hand_offs: list[str]) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE taps (n INTEGER NOT NULL UNIQUE)"))
        await connection.execute(text("INSERT INTO taps (n) VALUES (2)"))
    hand_offs.clear()
    async with engine.begin() as connection:
        result = await connection.execute(text("INSERT INTO taps (n) VALUES (:n) ON CONFLICT (n) DO NOTHING"), [{"n": 1}, {"n": 2}, {"n": 3}])
        assert result.rowcount == 2  # 2 was there already
    assert hand_offs.count("_run_many") == 1 and "_run" not in hand_offs
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT n FROM taps ORDER BY n"))).scalars().all() == [1, 2, 3]
    await engine.dispose()
