"""A request that only read ends its transaction with COMMIT (resilience.py: psycopg
forgets its prepared statements on every ROLLBACK, so PostgreSQL planned every statement
of every page); anything that may have written without committing is still rolled back:
a statement that is not a SELECT, an ORM change not flushed, an error."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, text

from lms_plugin.extensions import db
from lms_plugin.reads import is_read
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.statements import Statements

pytestmark = pytest.mark.commits  # real transactions: what is committed stays


def _person(app: Flask) -> int:
    with app.app_context():
        person = factories.user("Kept As Is")
        db.session.commit()
        return person.id


def _name(app: Flask, person_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(User.name).where(User.id == person_id))


def test_a_request_that_wrote_without_committing_is_rolled_back(app):
    person_id = _person(app)

    @app.route("/_test/update")
    def update() -> str:  # a statement that writes, then no commit
        db.session.execute(text('UPDATE "user" SET name = :n WHERE id = :i'),
                           {"n": "Changed", "i": person_id})
        return "ok"

    @app.route("/_test/dirty")
    def dirty() -> str:  # a loaded object changed, not flushed
        person = db.session.get(User, person_id)
        assert person is not None
        person.name = "Changed"
        return "ok"

    @app.route("/_test/added")
    def added() -> str:  # a new object, not flushed
        db.session.get(User, person_id)
        db.session.add(User(organisation_id=1, issuer="x", sub="never-saved"))
        return "ok"

    @app.route("/_test/fails")
    def fails() -> str:  # a write, then an error
        db.session.execute(text('UPDATE "user" SET name = :n WHERE id = :i'),
                           {"n": "Changed", "i": person_id})
        raise RuntimeError("the view failed")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # the failing view answers 500, as served
    client = app.test_client()
    for path in ("/_test/update", "/_test/dirty", "/_test/added", "/_test/fails"):
        with Statements(app) as counted:
            client.get(path)
        assert counted.commits == 0 and counted.rollbacks == 1, path
        assert _name(app, person_id) == "Kept As Is", path
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.sub == "never-saved")) is None


def test_a_request_that_only_read_commits(app):
    person_id = _person(app)

    @app.route("/_test/read")
    def read() -> str:
        return str(db.session.get(User, person_id).name)  # type: ignore[union-attr]

    with Statements(app) as counted:
        assert app.test_client().get("/_test/read").get_data(as_text=True) == "Kept As Is"
    assert (counted.commits, counted.rollbacks) == (1, 0)


def test_what_counts_as_a_read():
    assert is_read("SELECT 1") and is_read("  select id FROM x")
    for statement in ("WITH a AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM a",
                      "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
                      "SAVEPOINT sa_1", "SELEC"):
        assert not is_read(statement), statement


def test_what_a_context_read_stays_readable_after_it(app):
    """A context that only read commits, but what it loaded is left as read (not expired):
    code that keeps an object past the context (CLI commands, tests) still reads it."""
    person_id = _person(app)
    with app.app_context():
        person = db.session.get(User, person_id)
    assert person is not None and person.name == "Kept As Is"
