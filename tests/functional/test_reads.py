"""Pages marked `@reads_only` (lms_plugin/reads.py) run without a transaction on
PostgreSQL, and may not write: a write there is refused, not made statement by statement."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from lms_plugin.audit import AuditEvent
from lms_plugin.extensions import db
from lms_plugin.reads import WritesRefused, reads_only
from tests.support.statements import Statements


def _routes(app):
    @reads_only
    def adds() -> str:
        db.session.add(AuditEvent(action="test.reads_only"))
        db.session.commit()
        return "written"

    @reads_only
    def inserts() -> str:
        db.session.execute(insert(AuditEvent).values(action="test.reads_only"))
        db.session.commit()
        return "written"

    @reads_only
    def counts() -> str:
        return str(db.session.scalar(select(db.func.count()).select_from(AuditEvent)))

    @reads_only
    def text_update() -> str:
        db.session.execute(text("UPDATE audit_event SET action = 'changed'"))
        return "written"

    @reads_only
    def text_read() -> str:
        return str(db.session.scalar(text("SELECT count(*) FROM audit_event")))

    def writes() -> str:
        db.session.add(AuditEvent(action="test.plain_write"))
        db.session.commit()
        return "written"

    for view in (adds, inserts, counts, writes, text_update, text_read):
        app.add_url_rule(f"/test-reads/{view.__name__}", view.__name__, view)


def _stored(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == action))


@pytest.mark.parametrize("view", ["adds", "inserts", "text_update"])
def test_a_read_only_page_that_writes_is_refused_and_writes_nothing(app, view):
    _routes(app)
    with pytest.raises(WritesRefused):
        app.test_client().get(f"/test-reads/{view}")
    assert _stored(app, "test.reads_only") == 0


@pytest.mark.commits
def test_a_read_only_page_reads_without_a_transaction_and_the_next_request_has_one(app):
    """On PostgreSQL the read is sent in autocommit; the connection goes back to the pool
    as it came (the next request's write is in a transaction again, and is kept)."""
    _routes(app)
    client = app.test_client()
    with Statements(app) as read:
        assert client.get("/test-reads/counts").status_code == 200
        assert client.get("/test-reads/text_read").status_code == 200  # a SELECT as text
    with Statements(app) as written:
        assert client.get("/test-reads/writes").get_data(as_text=True) == "written"
    assert _stored(app, "test.plain_write") == 1
    if read.dialect == "postgresql":
        assert read.autocommit == [True, True]
        assert written.autocommit and not any(written.autocommit)
        assert written.commits == 1
