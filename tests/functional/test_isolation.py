"""The tests' isolation cannot lie (issue 14; tests/support/rollback.py).

A test runs in one transaction that is rolled back when it ends: what it commits through the
app's session and the shared store is seen by the app during the test, by no other
connection, and by nobody once the test is over. A test marked `commits` commits for real:
another connection sees its rows at once (what threads, live servers and concurrency tests
need), and they are still gone when it ends (its tables are emptied).

"Once the test is over" is checked after the `app` fixture's teardown, by a fixture set up
before it (`afterwards`, first in each test's arguments: pytest tears fixtures down in the
reverse order), so no check depends on the order tests run in or the worker they run on.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool

from lms_plugin.extensions import db
from lms_plugin.store import SharedState, get_store
from lms_plugin.users.models import User
from tests.conftest import make_app, outer_transaction
from tests.support import factories

Check = Callable[[], None]


@pytest.fixture
def outsider(migrated: str) -> Iterator[sa.Engine]:
    """A connection of its own to the test database, as another process would have."""
    engine = sa.create_engine(migrated.replace("postgresql://", "postgresql+psycopg://", 1),
                              poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def afterwards(outsider: sa.Engine) -> Iterator[Callable[[Check], None]]:
    """Checks run after the test's `app` is torn down (request this fixture before `app`)."""
    checks: list[Check] = []
    yield checks.append
    for check in checks:
        check()


def _seen(engine: sa.Engine, marker: str) -> tuple[int, int]:
    """(people whose sub is `marker`, shared-store entries under `marker`) on `engine`."""
    with engine.connect() as conn:
        people = conn.scalar(sa.select(sa.func.count()).select_from(User)
                             .where(User.sub == marker))
        stored = conn.scalar(sa.select(sa.func.count()).select_from(SharedState)
                             .where(SharedState.key == marker))
    return int(people or 0), int(stored or 0)


def _write(app: Flask, marker: str) -> None:
    """A person committed through the session, an entry set through the store (its own
    transaction), the way a launch writes both."""
    with app.app_context():
        factories.user("Isolation Witness", sub=marker)
        db.session.commit()
        get_store().set(marker, {"seen": True})


def _seen_by_the_app(app: Flask, marker: str) -> tuple[int, int]:
    with app.app_context():
        people = db.session.scalar(sa.select(sa.func.count()).select_from(User)
                                   .where(User.sub == marker))
        return int(people or 0), int(get_store().get(marker) is not None)


def _shared_engine(app: Flask) -> sa.Engine:
    """The engine every app of the run shares: what the next test on this worker uses."""
    with app.app_context():
        bind = db.engine
    return bind if isinstance(bind, sa.Engine) else bind.engine


def test_a_tests_rows_are_seen_by_the_app_only_and_gone_when_it_ends(afterwards, app,
                                                                     outsider, migrated,
                                                                     tmp_path):
    marker = "isolation-" + uuid.uuid4().hex[:12]
    _write(app, marker)
    assert _seen_by_the_app(app, marker) == (1, 1)
    # Never committed: another connection sees neither the person nor the store's entry.
    assert _seen(outsider, marker) == (0, 0)
    # An app made later in the test (as `redis_app` and many tests do) sees them too.
    later = make_app(migrated, tmp_path / "later")
    assert _seen_by_the_app(later, marker) == (1, 1)
    shared = _shared_engine(app)

    def gone() -> None:
        assert _seen(outsider, marker) == (0, 0)
        assert _seen(shared, marker) == (0, 0)

    afterwards(gone)


def test_a_session_rollback_in_the_app_undoes_only_its_own_work(app):
    """The app's own commit and rollback keep their meaning inside the test's transaction
    (a savepoint each): what was committed stays, what was rolled back goes."""
    kept, dropped = "kept-" + uuid.uuid4().hex[:8], "dropped-" + uuid.uuid4().hex[:8]
    with app.app_context():
        factories.user("Kept", sub=kept)
        db.session.commit()
        factories.user("Dropped", sub=dropped)
        db.session.flush()
        db.session.rollback()
    assert _seen_by_the_app(app, kept)[0] == 1
    assert _seen_by_the_app(app, dropped)[0] == 0


@pytest.mark.commits
def test_with_the_marker_other_connections_see_committed_rows(afterwards, app, outsider):
    marker = "committed-" + uuid.uuid4().hex[:12]
    _write(app, marker)
    assert _seen(outsider, marker) == (1, 1)  # another connection, as another process

    seen_by_a_thread: list[tuple[int, int]] = []
    thread = threading.Thread(target=lambda: seen_by_a_thread.append(
        _seen_by_the_app(app, marker)))  # the app's own pool, from another thread
    thread.start()
    thread.join()
    assert seen_by_a_thread == [(1, 1)]
    afterwards(lambda: _assert_gone(outsider, marker))


def _assert_gone(engine: sa.Engine, marker: str) -> None:
    assert _seen(engine, marker) == (0, 0)  # its tables were emptied


def test_the_stores_own_transactions_outlive_a_session_rollback_as_in_production(app):
    """The store writes in transactions of its own (a rolled-back request never resurrects
    a nonce): here they are savepoints inside the session's, re-applied when it rolls back.
    The same steps as test_store.py's, which runs with real commits (`commits`)."""
    with app.app_context():
        get_store().set("used", True)
        get_store().set("taken", "n-1")
        # The request's session has a savepoint open (a read), and one inside it.
        assert db.session.scalar(sa.select(SharedState.value).where(SharedState.key == "used"))
        inner = db.session.begin_nested()
        get_store().set("kept", {"v": 1})
        assert get_store().pop("used") is True
        db.session.add(User(organisation_id=factories.organisation_of("x"), issuer="x",
                            sub="rolled-back", name="Rolled Back"))
        db.session.flush()
        inner.rollback()  # the inner savepoint: the person goes, the store's work stays
        assert get_store().get("kept") == {"v": 1} and get_store().get("used") is None
        assert get_store().take_then_set("taken", "n-1", "launch", {"id": 1}) == "n-1"
        db.session.rollback()
        assert get_store().get("kept") == {"v": 1}
        assert get_store().get("used") is None  # popped, and not resurrected
        assert get_store().get("taken") is None and get_store().get("launch") == {"id": 1}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                                 .where(User.sub == "rolled-back")) == 0


def test_a_commit_on_another_connection_is_caught(app, migrated, tmp_path):
    """Rows committed outside the test's transaction would outlive it: the test fails in
    its teardown, asking for the `commits` marker. An app made during the test is bound to
    its transaction, so its commits are not among them."""
    outer = outer_transaction()
    assert outer is not None
    with outer.engine.connect() as other:  # another connection of the shared engine
        other.execute(sa.select(sa.literal(1)))
        other.commit()
    assert outer.stray_commits == 1
    outer.stray_commits = 0  # it wrote nothing: let this test end cleanly
    with make_app(migrated, tmp_path / "later").app_context():
        factories.user("Bound")
        db.session.commit()
    assert outer.stray_commits == 0
