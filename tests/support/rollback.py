"""A test's database work in one transaction, rolled back when the test ends (issue 14).

`OuterTransaction` opens one connection to the shared, migrated database and begins a
transaction on it. Every app the test makes on that database is bound to the connection
(`bind`): Flask-SQLAlchemy's `db.engines[None]` becomes the connection, so

- the request's session joins it with a savepoint (`join_transaction_mode=
  "create_savepoint"`, set on the scoped session by `configure_sessions`): the app's
  `commit()` releases a savepoint, its `rollback()` returns to it;
- the shared store (`lms_plugin/store.py`) and the first signing key
  (`lms_plugin/lti/keys.py`), which take `db.engine` and open "their own" transactions
  with `engine.connect()` / `engine.begin()`, get the same connection and a savepoint of
  their own (`begin` below).

At the end the outer transaction is rolled back: nothing a test wrote outlives it, and no
table has to be emptied.

What it cannot emulate, and why a test then carries `@pytest.mark.commits` (today's table
cleanup instead): other connections, threads and processes see nothing of the test's rows
(one connection, never committed); the store's own transaction is a savepoint nested in
the session's when the session has one open, so a session rollback takes the store's write
with it (in production the store's write is committed apart); statement and COMMIT counts
include the savepoints; a connection that is dropped or killed loses everything.

SQLite: pysqlite opens transactions itself, only before INSERT/UPDATE/DELETE, and its
SAVEPOINT outside a transaction starts one that RELEASE commits, so SQLAlchemy's savepoints
would commit for real. On the test's connection (only there) pysqlite is put in autocommit
mode and the outer transaction is a BEGIN of our own: the SQLAlchemy documentation's
"Serializable isolation / Savepoints / Transactional DDL" recipe for pysqlite, per
connection rather than per engine, so the app's other connections (tests marked `commits`)
keep the driver's behaviour the tool runs with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy


def configure_sessions(db: SQLAlchemy) -> None:
    """A session bound to a connection already in a transaction works in a savepoint (the
    default, "conservative_savepoint", would let its rollback end the outer transaction).
    Changes nothing for a session on an engine: it begins its own transaction."""
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")


class OuterTransaction:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.connection = engine.connect()
        self._driver: Any = None
        if engine.dialect.name == "sqlite":
            self._driver = self.connection.connection.driver_connection
            self._isolation = self._driver.isolation_level
            self._driver.isolation_level = None  # pysqlite begins nothing by itself
        self.transaction = self.connection.begin()
        if self._driver is not None:
            self.connection.exec_driver_sql("BEGIN")
        self._apps: list[tuple[dict[str | None, Any], Any]] = []
        self._dress(self.connection)

    def _dress(self, conn: sa.Connection) -> None:
        """The connection stands in for the engine: `connect()` gives it back, `close()`
        and `dispose()` leave it open, `begin()` is a savepoint, with Engine.begin's shape
        (a context manager that yields the connection, committed at the end)."""

        @contextmanager
        def begin() -> Iterator[sa.Connection]:
            with conn.begin_nested():
                yield conn

        stand_in: dict[str, Any] = {
            "connect": lambda: conn,
            "close": lambda: None,
            "dispose": lambda *a, **k: None,
            "begin": begin,
        }
        for name, value in stand_in.items():
            setattr(conn, name, value)
        self._stand_in = list(stand_in)

    def bind(self, db: SQLAlchemy, app: Flask) -> bool:
        """Point `app` at the connection if its engine is this one (an app on another
        database, e.g. `empty_database`, is left alone). True if it was bound."""
        engines = db._app_engines[app]
        if engines.get(None) is not self.engine:
            return False
        engines[None] = self.connection
        self._apps.append((engines, self.engine))
        return True

    def rollback(self) -> None:
        for engines, engine in self._apps:
            engines[None] = engine
        self._apps.clear()
        for name in self._stand_in:
            delattr(self.connection, name)
        try:
            self.transaction.rollback()
        finally:
            if self._driver is not None:
                self._driver.isolation_level = self._isolation
            self.connection.close()
