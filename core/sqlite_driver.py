"""SQLite through aiosqlite in one thread hand-off per statement.

aiosqlite runs each SQLite call on the connection's own thread; SQLAlchemy's adapter makes four such
calls for a query (open a cursor, execute, fetch the rows, close the cursor) and three for a write.
Every hand-off wakes the thread and the event loop and passes the GIL twice: on a button press of 7–10
statements that was ~30 hand-offs, a third of the bot's CPU on SQLite (docs/scaling.md). This cursor
does the four in one call on the same thread (and executemany's three); results, errors and the
cursor's life are as before. A COMMIT or ROLLBACK with no transaction open makes no hand-off at all."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(connection: aiosqlite.Connection, operation: Any, parameters: Any) -> tuple[Any, list[Any] | None, Any, int]:
    """On aiosqlite's thread: execute, read every row, close the cursor."""
    cursor = connection._conn.cursor()  # the sqlite3 connection, used only on its own thread
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, None, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _run_many(connection: aiosqlite.Connection, operation: Any, parameters: Any) -> tuple[Any, int]:
    """On aiosqlite's thread: executemany (an INSERT of many rows), then close the cursor."""
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            lastrowid, rowcount = self.await_(self._connection._execute(_run_many, self._connection, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = None
        self.lastrowid, self.rowcount = lastrowid, rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            description, rows, lastrowid, rowcount = self.await_(self._connection._execute(_run, self._connection, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = description
        self.lastrowid, self.rowcount = lastrowid, rowcount
        if rows is not None:
            self._rows.clear()
            self._rows.extend(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def commit(self) -> None:
        if not self._idle():
            super().commit()

    def rollback(self) -> None:
        if not self._idle():
            super().rollback()

    def _idle(self) -> bool:
        """No transaction is open on the sqlite3 connection: COMMIT and ROLLBACK do nothing there
        (sqlite3's own rule), so the hand-off to the connection's thread is skipped. A read-only update
        used to make four such empty hand-offs per connection checkout (the commit, then the pool's
        rollback on return), as many as its statements."""
        raw = self._connection._connection  # the sqlite3 connection; None once closed (then as before)
        return raw is not None and not raw.in_transaction

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else OneHopCursor(self)


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """Passed as the engine's DBAPI module (`create_async_engine(module=...)`)."""

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*args, **kwargs)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    return OneHopDbapi(aiosqlite, sqlite3)
