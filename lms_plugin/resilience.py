"""What a lost database connection does to a request (issue 11, finding 6).

A connection can be cut while it waits in the pool or mid-request (a database restart or
failover, a proxy's idle timeout, `pg_terminate_backend`).

- In the pool: a server that ends a connection says so on its socket (an error message,
  then the close), so a connection whose socket has something to read while it sat idle
  is dead. The pool checks that on every checkout with a poll of the socket, no round
  trip (`server_hung_up`; SQLAlchemy's `pool_pre_ping` cost a round trip to the database
  per request), and a dead one is replaced before the request sees it.
- Mid-request, or a connection lost without a word (a network cut): when a query fails,

  - a read (GET or HEAD) that has not started a commit is run once more, on a fresh
    connection: everything it did was rolled back, so running it again is the same request;
  - anything else is rolled back and answered 503 with `Retry-After` and a calm page. Views
    commit once, so a failed write leaves nothing half-written, and it is never retried
    here: a commit may have reached the database before its connection broke.

The rules are pure (`is_unavailable`, `may_retry`, `server_hung_up`); `init_app` and the
pool listener wire them in.

A request that wrote nothing (only SELECTs ran, no ORM change pending, no error) ends its
transaction with COMMIT rather than ROLLBACK (`ends_with_commit`): the same to the
database, but psycopg forgets every prepared statement on a rollback, so with a rollback at
the end of every page no statement was ever prepared and PostgreSQL planned each one each
time (most of its CPU on a page). Anything that may have written is rolled back as before.
"""

from __future__ import annotations

import select
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, render_template, request
from flask_babel import gettext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from .extensions import db
from .observability import count_database_error
from .reads import FLAG as READS_ONLY
from .reads import is_read

RETRY_AFTER_SECONDS = 5
SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_unavailable(exc: BaseException) -> bool:
    """The database is unreachable or the connection was lost (as opposed to a bug in a
    query): an OperationalError (lost connection, refused connection, a server shutting
    down), any error SQLAlchemy recognised as a disconnect, or no pooled connection free."""
    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def may_retry(method: str, committing: bool, retried: bool) -> bool:
    """Only a read, only once, and only if nothing was committed (or being committed)."""
    return method in SAFE_METHODS and not committing and not retried


def server_hung_up(dbapi_connection: Any) -> bool:
    """Whether the server ended this idle connection: anything to read on an idle
    connection's socket is the server's goodbye (its "terminating connection" error, then
    end of file), since the tool never LISTENs. A poll, not a round trip. Connections
    without a socket (SQLite) never hang up."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        fd = fileno()
    except Exception:  # noqa: BLE001 - closed or broken: psycopg raises its own errors
        return True
    try:
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):  # a descriptor select cannot watch: assume alive
        return False
    return bool(readable)


@event.listens_for(Pool, "checkout")
def _check_alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # The pool then throws this connection away and checks out another (or a new one).
    if server_hung_up(dbapi_connection):
        raise DisconnectionError("the database ended this connection while it was idle")


@event.listens_for(Engine, "commit")
def _committing(_connection: Any) -> None:
    # Any COMMIT during a request (the session's or the shared store's) rules out a retry.
    if has_request_context():
        g.database_committing = True


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    if has_app_context() and not is_read(statement):
        g.database_wrote = True


def ends_with_commit(session: Session, failed: bool, wrote: bool) -> bool:
    """Whether the context's open transaction may end with COMMIT: nothing failed, no
    statement but SELECTs ran in it, and no ORM change is pending (a commit would flush
    it). A `@reads_only` page has no transaction to end (autocommit: reads.py)."""
    return (not failed and not wrote and session.in_transaction()
            and not session.info.get(READS_ONLY)
            and not (session.new or session.dirty or session.deleted))


def rollback_quietly() -> None:
    """Roll the request's session back; a connection that is already gone has nothing to
    roll back (the server did it), so losing it here is not an error."""
    try:
        db.session.rollback()
    except DBAPIError as exc:
        if not is_unavailable(exc):
            raise


def init_app(app: Flask) -> None:
    """Call after `db.init_app`: teardown functions run last-registered first, so the
    session is released here before Flask-SQLAlchemy's own teardown."""
    dispatch = app.dispatch_request

    def dispatch_request() -> Any:
        try:
            return dispatch()
        except Exception as exc:
            if not (is_unavailable(exc) and may_retry(
                    request.method, g.get("database_committing", False),
                    g.get("database_retried", False))):
                raise
            app.logger.warning("database connection lost (%s); reading again",
                               exc.__class__.__name__)
            rollback_quietly()
            g.database_retried = True
            count_database_error("retried")
            return dispatch()

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: Exception) -> Any:
        if not is_unavailable(exc):
            raise exc  # an InterfaceError that is a bug, not an outage: the usual 500
        app.logger.error("database unavailable: %s", exc)
        rollback_quietly()
        count_database_error("unavailable")
        page = render_template(
            "errors/unavailable.html", bare=True,
            message=gettext("The training could not finish this because its database did not "
                            "answer. Nothing was half-saved: what you saved before is safe, "
                            "and what you just sent was not recorded. Please try again in a "
                            "moment."))
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.teardown_appcontext
    def release_session(_exc: BaseException | None) -> None:
        # The connection may be cut after the response was made (idle in its transaction):
        # the rollback at release then fails, though the answer is already right.
        try:
            _end_read(_exc is not None)
            db.session.remove()
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            app.logger.warning("database connection lost after the response (%s)",
                               exc.__class__.__name__)
            db.session.remove()  # the connection is invalidated now: nothing to roll back


def _end_read(failed: bool) -> None:
    """COMMIT a transaction that only read (see the module's docstring); the session's
    removal then rolls back anything else. A commit that fails leaves that to it too."""
    session = db.session()
    if ends_with_commit(session, failed, g.get("database_wrote", False)):
        try:
            # As the removal would: what was loaded leaves the session as it was read (a
            # commit would expire it, and code holding it after the context ends, a CLI
            # command or a test, could no longer read it).
            session.expunge_all()
            session.commit()
        except SQLAlchemyError:
            rollback_quietly()
