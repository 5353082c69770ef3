"""Pages that only read run without a database transaction.

A request's first statement normally opens a transaction (a BEGIN round trip) and its end
rolls it back (another). A page that only reads gains nothing from them: on PostgreSQL,
READ COMMITTED gives each statement the latest committed data either way. The pages read
most (a lesson, the programme overview, a certificate's verification) are marked
`@reads_only`: their connection is in autocommit for the request, so each statement is one
round trip and the request's end has nothing to roll back.

A marked view that tries to write is a bug the tests must catch: the session refuses to
flush (`WritesRefused`) rather than write statement by statement without a transaction.
SQLite keeps its usual transactions (a local file: no round trips to save), and so does a
session already bound to one connection (the tests' rolled-back transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from .extensions import db

View = TypeVar("View", bound=Callable[..., Any])
FLAG = "reads_only"


class WritesRefused(RuntimeError):
    """A view marked `@reads_only` tried to write."""


def reads_only(view: View) -> View:
    """Mark a view that never writes (place it above `login_required`, so the person is
    read the same way)."""
    @wraps(view)
    def reading(*args: Any, **kwargs: Any) -> Any:
        session = db.session()
        session.info[FLAG] = True
        bind = session.get_bind()
        if (isinstance(bind, Engine) and bind.dialect.name == "postgresql"
                and not session.in_transaction()):
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)
    return reading  # type: ignore[return-value]


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(FLAG) and (session.new or session.dirty or session.deleted):
        raise WritesRefused("a view marked @reads_only tried to write (a flush)")


def is_read(statement: str) -> bool:
    """A statement that only reads: a SELECT (anything else, a WITH or a SAVEPOINT
    included, counts as a possible write)."""
    return statement.lstrip()[:6].upper() == "SELECT"


@event.listens_for(Session, "do_orm_execute")
def _refuse_statement(state: ORMExecuteState) -> None:
    if not state.session.info.get(FLAG) or state.is_select:
        return
    if isinstance(state.statement, TextClause) and is_read(state.statement.text):
        return  # a SELECT written as text
    raise WritesRefused("a view marked @reads_only tried to write (a statement)")
