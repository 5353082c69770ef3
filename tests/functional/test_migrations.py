"""The schema is made only by migrations: after `flask db upgrade` the database is exactly
what the models describe (an empty autogenerate diff), at the head revision."""

from __future__ import annotations

from pathlib import Path
from pprint import pformat

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from lms_plugin.extensions import db
from tests.conftest import make_app

MIGRATIONS = Path(__file__).parents[2] / "migrations"


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _diff(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, db.metadata))


def test_the_app_uses_the_project_migrations(app):
    assert Path(app.extensions["migrate"].directory).resolve() == MIGRATIONS.resolve()


def test_migrations_have_one_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"branched migrations, merge them: {heads}"


def test_the_database_is_at_the_head_revision(app):
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert set(current) == set(_script().get_heads())
    assert [r[0] for r in rows] == [_script().get_current_head()]


def test_the_models_match_the_migrated_database(app):
    diff = _diff(app)
    assert diff == [], "models and migrations differ; add a migration:\n" + pformat(diff)


def test_every_model_table_is_made_by_migrations(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert tables - set(db.metadata.tables) == {"alembic_version"}


def test_migrations_run_up_and_down_on_a_fresh_database(tmp_path):
    """From nothing to head (the same empty diff) and back to nothing."""
    from flask_migrate import downgrade, upgrade

    app = make_app("sqlite:///" + str(tmp_path / "fresh.db"), tmp_path)
    try:
        with app.app_context():
            upgrade()
            assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())
        assert _diff(app) == []
        with app.app_context():
            downgrade(revision="base")
            left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert left == set()
            upgrade()  # and up again: downgrades leave nothing behind that blocks it
            assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())
    finally:
        with app.app_context():
            db.engine.dispose()


def test_existing_data_gets_one_organisation_per_issuer(empty_database, tmp_path):
    """An install from before organisations: each issuer's platforms, people, courses and
    audit events end up in one organisation, two issuers in two; on SQLite, copying the
    tables cascades into nothing (foreign keys are off while migrating)."""
    from flask_migrate import upgrade

    app = make_app(empty_database, tmp_path)
    try:
        with app.app_context():
            upgrade(revision="5b1d0e7c2a10")
            with db.engine.begin() as conn:
                for n, issuer in enumerate(["https://moodle.a.example", "https://b.example"]):
                    conn.execute(sa.text(
                        "INSERT INTO platform (id, name, issuer, client_id, auth_login_url, "
                        "auth_token_url, created_at, registered_dynamically, "
                        "accept_new_deployments) VALUES (:id, :name, :iss, 'c', 'x', 'y', "
                        "CURRENT_TIMESTAMP, false, false)"), {"id": n + 1, "name": f"LMS {n}",
                                                      "iss": issuer})
                    conn.execute(sa.text(
                        'INSERT INTO "user" (id, issuer, sub, created_at) VALUES '
                        "(:id, :iss, 'same-sub', CURRENT_TIMESTAMP)"), {"id": n + 1,
                                                                        "iss": issuer})
                    conn.execute(sa.text(
                        "INSERT INTO course (id, issuer, context_id, created_at) VALUES "
                        "(:id, :iss, 'c1', CURRENT_TIMESTAMP)"), {"id": n + 1, "iss": issuer})
                    conn.execute(sa.text(
                        "INSERT INTO enrollment (user_id, course_id, roles, source, active, "
                        "last_seen_at) VALUES (:id, :id, 'learner', 'launch', true, "
                        "CURRENT_TIMESTAMP)"), {"id": n + 1})
                    conn.execute(sa.text(
                        "INSERT INTO audit_event (at, actor_id, action, subject_id, "
                        "detail_json) VALUES (CURRENT_TIMESTAMP, NULL, 'x', :id, '{}')"),
                        {"id": n + 1})
            upgrade()
            with db.engine.connect() as conn:
                orgs = dict(conn.execute(sa.text("SELECT id, name FROM organisation")).all())
                assert sorted(orgs.values()) == ["LMS 0", "LMS 1"]
                for table in ("platform", "user", "course"):
                    by_issuer = dict(conn.execute(sa.text(
                        f'SELECT issuer, organisation_id FROM "{table}"')).all())  # noqa: S608
                    assert by_issuer == {
                        "https://moodle.a.example": _org(orgs, "LMS 0"),
                        "https://b.example": _org(orgs, "LMS 1")}, table
                events = conn.execute(sa.text(
                    "SELECT subject_id, organisation_id FROM audit_event ORDER BY id")).all()
                assert [tuple(e) for e in events] == [(1, _org(orgs, "LMS 0")),
                                                     (2, _org(orgs, "LMS 1"))]
                enrolled = conn.execute(sa.text(
                    "SELECT user_id, course_id FROM enrollment ORDER BY user_id")).all()
                assert [tuple(e) for e in enrolled] == [(1, 1), (2, 2)]  # nothing cascaded
    finally:
        with app.app_context():
            db.engine.dispose()


def _org(orgs: dict[int, str], name: str) -> int:
    return next(i for i, n in orgs.items() if n == name)
