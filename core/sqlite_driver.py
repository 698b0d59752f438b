"""SQLite through aiosqlite in one thread hand-off per statement.

aiosqlite runs each SQLite call on the connection's own thread; SQLAlchemy's adapter makes four such
calls for a query (open a cursor, execute, fetch the rows, close the cursor) and three for a write.
Every hand-off wakes the thread and the event loop and passes the GIL twice: on a button press of 7–10
statements that was ~30 hand-offs, a third of the bot's CPU on SQLite (docs/scaling.md). This cursor
does the four in one call on the same thread (and executemany's three); results, errors and the
cursor's life are as before."""

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
    """Also: COMMIT and ROLLBACK with no transaction open take no hand-off. sqlite3 does nothing then
    (it checks the same flag), and such calls are most of them: a press that only read is committed
    before its answer goes out, and the pool rolls back every connection handed back to it."""

    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else OneHopCursor(self)

    def _nothing_open(self) -> bool:
        # Read between statements on this connection (SQLAlchemy uses it from one task at a time),
        # never while its thread runs one; a closed connection answers "something": the call raises as before.
        try:
            return not self._connection._conn.in_transaction
        except ValueError:
            return False

    def commit(self) -> None:
        if not self._nothing_open():
            super().commit()

    def rollback(self) -> None:
        if not self._nothing_open():
            super().rollback()


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """Passed as the engine's DBAPI module (`create_async_engine(module=...)`)."""

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*args, **kwargs)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    return OneHopDbapi(aiosqlite, sqlite3)
