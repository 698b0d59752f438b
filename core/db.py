"""Engine, session factory, declarative Base and the column types every domain shares.

One rule lives here: timestamps are stored as UTC and always come back timezone-aware,
whether the database is SQLite (which has no time zones) or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table, TextClause, bindparam, event, text
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet
from sqlalchemy.types import TypeDecorator

from core.sqlite_driver import one_hop_dbapi

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL should get BIGINT for province scale.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, returns aware UTC; refuses naive datetimes so local times never sneak in."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the bot, the API and the delivery worker read while one of them writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_savepoint(connection: Any, name: str) -> None:
    """pysqlite emits BEGIN only before a write. A SAVEPOINT issued earlier would itself open the
    transaction, and its RELEASE would then COMMIT everything so far — half a business change
    visible to other processes. Opening the real transaction first keeps savepoints nested.

    IMMEDIATE: a savepoint announces a write, so the write lock is taken now (waiting as long as
    busy_timeout allows). A deferred BEGIN followed by reads would hold a snapshot, and its first
    write would fail at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, which no busy_timeout
    waits out) whenever another connection committed in between."""
    if not _sqlite_of(connection.connection).in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_of(pooled: Any) -> Any:
    """The sqlite3 connection behind a pooled/adapted aiosqlite connection."""
    driver = pooled.driver_connection
    return getattr(driver, "_conn", driver)  # aiosqlite wraps the sqlite3 connection


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")


class SqliteWriters:
    """One writing transaction at a time within this process, first come first served.

    SQLite has one write lock per database. Without this, connections that want it at the same time
    are left to SQLite's busy handler, which polls with sleeps of up to 100 ms: under a burst (a hall
    of trainees tapping at once) a writer sleeps while the lock is free, the lock passes in no order,
    and a few writers wait out busy_timeout and fail with "database is locked". Here a writer waits
    on an asyncio lock that is handed to the next one the moment the transaction ends, so the waits
    are a queue, not a lottery. Readers never wait (WAL). Another process (a CLI command) is still
    met by busy_timeout; a wait here longer than WAIT seconds also falls back to it, so a transaction
    that never ends delays the others, as before, but cannot hang them.

    The lock is taken just before a transaction's first write (pysqlite opens the transaction there)
    and released right after its COMMIT or ROLLBACK reached the database, or when the connection closes.
    Only the order of waiting changes: what commits and when is as before.
    """

    WAIT = 10.0

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        self._held: dict[int, asyncio.Lock] = {}  # id(driver connection) → the lock its transaction holds

    def install(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine
        dialect: Any = sync_engine.dialect
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
            setattr(dialect, name, self._releasing(getattr(dialect, name)))

    def _before_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        pooled = conn.connection
        key = id(pooled.driver_connection)
        if key in self._held or _sqlite_of(pooled).in_transaction or not in_greenlet():
            return
        lock = self._lock()
        try:
            await_only(asyncio.wait_for(lock.acquire(), self.WAIT))
        except asyncio.TimeoutError:
            return  # left to SQLite's busy_timeout, as without this queue
        self._held[key] = lock

    def _releasing(self, call: Any) -> Any:
        def wrapped(dbapi_connection: Any) -> None:
            try:
                call(dbapi_connection)
            finally:
                lock = self._held.pop(id(dbapi_connection.driver_connection), None)
                if lock is not None:
                    lock.release()

        return wrapped

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    if is_sqlite(url):
        # Connections stay open between updates (each has its own aiosqlite thread): pool_size of them
        # are kept; a burst may open as many again. Writers queue in SqliteWriters, not in the pool.
        # module: statements run in one hand-off to aiosqlite's thread each, not four (core/sqlite_driver.py).
        engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=pool_size, module=one_hop_dbapi())
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "savepoint", _begin_before_savepoint)
        SqliteWriters().install(engine)
        return engine
    # hide_parameters: statement parameters (names, birth dates, documents) never appear in SQLAlchemy's
    # log lines or in the text of its errors.
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True,
                                 pool_use_lifo=True, pool_recycle=RECYCLE_AFTER)
    ping_when_idle(engine)
    return engine


# PostgreSQL connections: a pooled connection idle for longer than PING_AFTER_IDLE seconds is pinged
# before it is handed out, and replaced if it does not answer; one in use moments ago is not. The
# pool is last in, first out, so a busy process keeps reusing the few connections it just used and
# pings none (pool_pre_ping pinged on every checkout: for asyncpg a BEGIN, `;`, ROLLBACK — three
# round trips per button press). No connection lives longer than RECYCLE_AFTER seconds (a server's
# or a proxy's idle timeout, backend memory).
#
# What a dropped connection costs: one that died while idle for longer than PING_AFTER_IDLE is
# replaced before use, as with pre-ping. One that died less than PING_AFTER_IDLE after its last use
# (a backend killed by hand; a server restart is slower than that and fails the statements running
# through it) fails the first statement run on it: SQLAlchemy then discards every pooled connection
# older than the failure, so only that one use fails — the update is answered with the apology and
# the next one gets a fresh connection (tests/unit/test_db.py).
PING_AFTER_IDLE = 2.0
RECYCLE_AFTER = 1800
_IDLE_SINCE = "sotay_idle_since"


def ping_when_idle(engine: AsyncEngine, after: float = PING_AFTER_IDLE) -> None:
    sync_engine = engine.sync_engine

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)  # none: a connection just opened
        if since is None or time.monotonic() - since < after:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces it (and tries up to three connections)
            raise DisconnectionError(f"no answer to a ping after {time.monotonic() - since:.0f} s idle") from error

    event.listen(sync_engine, "checkin", checked_in)
    event.listen(sync_engine, "checkout", checked_out)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers keep using loaded objects after the middleware commits.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The one place jobs and CLI commands commit: commit on success, roll back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def flush_pending(session: AsyncSession) -> None:
    """Flush what ORM objects still hold before a Core statement reads or writes their tables: the
    session's autoflush runs for ORM statements only. Costs nothing when nothing is pending."""
    if session.new or session.dirty or session.deleted:
        await session.flush()


def sync_engine_of(engine: AsyncEngine) -> Engine:
    return engine.sync_engine


def among(session_or_dialect: Any, column: Any, ids: list[int]) -> Any:
    """`column IN ids`, as one array parameter on PostgreSQL (`= ANY(:ids)`).

    Expanding thousands of IN parameters costs more Python time than the query itself; one array
    bind keeps the statement cached and cheap. SQLite keeps the plain IN list.
    """
    from sqlalchemy import any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    dialect = session_or_dialect if isinstance(session_or_dialect, str) else session_or_dialect.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, value=list(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The one place that picks the INSERT for `INSERT … ON CONFLICT`: PostgreSQL's or SQLite's
    `insert()` (they share the `on_conflict_do_*` API), for this session's database. `table`: a
    Table or a mapped class.

    SQLAlchemy 2.0 compiles these dialect inserts again on every execution (they have no cache key):
    ~1 ms each. A statement run on every button press uses `insert_ignoring_duplicates` instead."""
    from sqlalchemy.dialects import postgresql, sqlite

    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(getattr(table, "__table__", table))


@functools.cache
def insert_ignoring_duplicates(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...]) -> TextClause:
    """`INSERT INTO table (columns) VALUES (:column, …) ON CONFLICT (conflict) DO NOTHING`, the same
    text on SQLite and PostgreSQL, its parameters typed as the columns are (JSON, UTC times, enums):
    built once and compiled once, unlike `insert_for(...).on_conflict_do_nothing(...)`. Run it with one
    row or many (executemany); `rows_affected` counts the rows really inserted."""
    names = ", ".join(columns)
    return text(
        f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(':' + name for name in columns)}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE/DELETE/INSERT changed (a `CursorResult`'s rowcount; 0 when unknown)."""
    return cast("CursorResult[Any]", result).rowcount or 0
