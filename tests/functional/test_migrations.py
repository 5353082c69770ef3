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
