"""What a request costs the database, counted with SQLAlchemy's events: every statement
(whitespace folded), BEGIN, COMMIT, ROLLBACK and pool checkout of the requests made inside
`with Statements(app) as counted:`. The query-count tests (tests/functional/lti/
test_launch_cost.py, tests/functional/training/test_page_cost.py) pin them, so a page or a
launch that comes to need one more fails a test. They run marked `commits`: a rolled-back
test's transaction (tests/support/rollback.py) would count savepoints instead."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from lms_plugin.extensions import db


class Statements:
    def __init__(self, app: Flask):
        with app.app_context():
            self.engine = db.engine
        self.dialect = self.engine.dialect.name
        self.sent: list[str] = []
        # Per statement, on PostgreSQL: sent on a connection in autocommit (no BEGIN and
        # no ROLLBACK round trips around it: lms_plugin/reads.py)
        self.autocommit: list[bool] = []
        self.begins = self.commits = self.rollbacks = self.checkouts = 0

    def _listeners(self) -> list[tuple[Any, str, Any]]:
        return [(self.engine, "before_cursor_execute", self._statement),
                (self.engine, "begin", self._begin), (self.engine, "commit", self._commit),
                (self.engine, "rollback", self._rollback),
                (self.engine.pool, "checkout", self._checkout)]

    def __enter__(self) -> Statements:
        for target, name, listener in self._listeners():
            event.listen(target, name, listener)
        return self

    def __exit__(self, *exc: Any) -> None:
        for target, name, listener in self._listeners():
            event.remove(target, name, listener)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.sent.append(" ".join(statement.split()))
        if self.dialect == "postgresql":
            self.autocommit.append(bool(conn.connection.dbapi_connection.autocommit))

    def _begin(self, _conn: Any) -> None:
        self.begins += 1

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def _rollback(self, _conn: Any) -> None:
        self.rollbacks += 1

    def _checkout(self, *_: Any) -> None:
        self.checkouts += 1

    def tables(self) -> list[str]:
        """The table each statement reads (its outermost FROM, not a subquery's), in order."""
        return [_outer_from(s) for s in self.sent]


def _outer_from(statement: str) -> str:
    depth = 0
    for i, char in enumerate(statement):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and statement.startswith(" FROM ", i):
            return statement[i + 6:].split()[0].strip('"')
    return ""
