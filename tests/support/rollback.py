"""A test's database work in one transaction, rolled back when the test ends (issue 14).

`OuterTransaction` opens one connection to the shared, migrated database and begins a
transaction on it. Every app the test makes on that database is bound to the connection
(`bind`): Flask-SQLAlchemy's `db.engines[None]` becomes the connection, so

- the request's session joins it with a savepoint (`join_transaction_mode=
  "create_savepoint"`, set on the scoped session by `configure_sessions`): the app's
  `commit()` releases a savepoint, its `rollback()` returns to it;
- the shared store (`lms_plugin/store.py`) and the first signing key
  (`lms_plugin/lti/keys.py`), which take `db.engine` and open "their own" transactions
  with `engine.connect()` / `engine.begin()`, get the same connection, and `begin()` a
  savepoint. In production those transactions commit apart from the request's: a request
  that only read, and whose session is rolled back at teardown, still leaves the login's
  nonce stored. Here they are nested in the session's savepoint, so the writes made in
  them are kept against every savepoint open around them and run again right after one of
  those is rolled back: the same state as if they had been committed apart.

At the end the outer transaction is rolled back: nothing a test wrote outlives it, and no
table has to be emptied. tests/functional/test_isolation.py shows both sides.

What it cannot emulate, and why a test then carries `@pytest.mark.commits` (real commits,
then today's table cleanup): other connections, threads and processes see nothing of the
test's rows (one connection, never committed); COMMIT and statement counts include the
savepoints and see no COMMIT (`resilience.py` listens for one); a connection that is
dropped or killed loses everything.

SQLite: pysqlite opens transactions itself, only before INSERT/UPDATE/DELETE, and a
SAVEPOINT outside a transaction starts one that its RELEASE commits, so SQLAlchemy's
savepoints would commit for real. On the test's connection (only there) pysqlite is put in
autocommit mode and the outer transaction is a BEGIN of our own: the SQLAlchemy
documentation's "Serializable isolation / Savepoints / Transactional DDL" recipe for
pysqlite, per connection rather than per engine, so tests marked `commits` keep the driver's
behaviour the tool runs with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
        # Savepoints open now, innermost last, each with the writes made in it (or in one
        # inside it) by an "own transaction" (`begin()` below): re-applied after it is
        # rolled back, as if they had been committed apart.
        self._open: list[tuple[str, list[_Write]]] = []
        self._own = 0  # inside an own transaction
        self._dress(self.connection)
        sa.event.listen(self.connection, "before_cursor_execute", self._note_write)
        # A real COMMIT on another connection of this engine (a thread, an app made
        # before the test's transaction) would leave rows behind for the next test.
        self.stray_commits = 0
        sa.event.listen(engine, "commit", self._stray_commit)

    def _dress(self, conn: sa.Connection) -> None:
        """The connection stands in for the engine: `connect()` gives it back, `close()`
        and `dispose()` leave it open, `begin()` is a savepoint, with Engine.begin's shape
        (a context manager that yields the connection, committed at the end)."""

        @contextmanager
        def begin() -> Iterator[sa.Connection]:
            self._own += 1
            try:
                with conn.begin_nested():
                    yield conn
            finally:
                self._own -= 1

        savepoint = conn._savepoint_impl
        release = conn._release_savepoint_impl
        rollback_to = conn._rollback_to_savepoint_impl

        def savepoint_impl(name: str | None = None) -> str:
            made = savepoint(name)
            self._open.append((made, []))
            return made

        def release_impl(name: str) -> None:
            release(name)
            self._close(name)

        def rollback_to_impl(name: str) -> None:
            rollback_to(name)
            self._replay(self._close(name))

        stand_in: dict[str, Any] = {
            "connect": lambda: conn,
            "close": lambda: None,
            "dispose": lambda *a, **k: None,
            "begin": begin,
            # SQLAlchemy's own hooks (private, stable through 2.0 and 2.1): the public
            # savepoint events fire before the savepoint is named, and before a rollback.
            "_savepoint_impl": savepoint_impl,
            "_release_savepoint_impl": release_impl,
            "_rollback_to_savepoint_impl": rollback_to_impl,
        }
        for name, value in stand_in.items():
            setattr(conn, name, value)
        self._stand_in = list(stand_in)

    def _note_write(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                    _context: Any, executemany: bool) -> None:
        if not self._own or not self._open:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK"):
            return
        for _name, writes in self._open:
            writes.append(_Write(statement, parameters, executemany))

    def _stray_commit(self, conn: sa.Connection) -> None:
        if conn is not self.connection:
            self.stray_commits += 1

    def _close(self, name: str) -> list[_Write]:
        """Forget `name` and the savepoints inside it; the writes made in it."""
        while self._open:
            closed, writes = self._open.pop()
            if closed == name:
                return writes
        return []

    def _replay(self, writes: list[_Write]) -> None:
        cursor = self.connection.connection.cursor()  # the DBAPI cursor: no events
        try:
            for write in writes:
                run = cursor.executemany if write.many else cursor.execute
                run(write.statement, write.parameters)
        finally:
            cursor.close()

    def bind(self, db: SQLAlchemy, app: Flask) -> bool:
        """Point `app` at the connection if its engine is this one (an app on another
        database, e.g. `empty_database`, is left alone). True if it was bound."""
        engines: dict[str | None, Any] = db._app_engines[app]
        if engines.get(None) is not self.engine:
            return False
        engines[None] = self.connection
        self._apps.append((engines, self.engine))
        return True

    def rollback(self) -> None:
        for engines, engine in self._apps:
            engines[None] = engine
        self._apps.clear()
        sa.event.remove(self.connection, "before_cursor_execute", self._note_write)
        sa.event.remove(self.engine, "commit", self._stray_commit)
        for name in self._stand_in:
            delattr(self.connection, name)
        try:
            self.transaction.rollback()
        finally:
            if self._driver is not None:
                self._driver.isolation_level = self._isolation
            self.connection.close()


@dataclass(frozen=True)
class _Write:
    statement: str
    parameters: Any
    many: bool
