"""A fresh install serves training after `lms-plugin db upgrade` with no further step: the
upgrade (and `lms-plugin serve` on start) loads the shipped content into a database that
has never had any, and leaves loaded content alone. A module that is not loaded answers
a 404 that tells the learner calmly what is going on and the operator the command to run.

Each test that needs an empty database makes its own (a SQLite file, or a fresh schema on
PostgreSQL when TEST_DATABASE_URL is set): the session's `migrated` database is shared."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import select

from lms_plugin.cli import main
from lms_plugin.content.models import ContentVersion
from lms_plugin.content.services import forget_catalog, get_catalog
from lms_plugin.extensions import db
from lms_plugin.lti.registration import save_platform
from tests.conftest import SAMPLE_CONTENT, make_app
from tests.support.browser import ClientBrowser
from tests.support.platform import TestPlatform

ROOT = Path(__file__).parents[2]
SHIPPED_MODULES = {p.name for p in (ROOT / "modules").iterdir() if (p / "module.yaml").exists()}
AWARENESS_TITLE = "Mental health at work: awareness"


@pytest.fixture
def fresh_app(empty_database: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps on the one empty database (each made as a new process would make it)."""
    made: list[Flask] = []

    def make(**extra: Any) -> Flask:
        app = make_app(empty_database, tmp_path / f"instance-{len(made)}", **extra)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _ok(result: Any) -> str:
    assert result.exit_code == 0, (result.output, result.exc_info)
    assert result.exception is None, result.output
    return str(result.output)


def _upgrade(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["db", "upgrade", *args])


def _rows(app: Flask) -> list[tuple[str, str, str, bool]]:
    with app.app_context():
        return [
            (r.kind, r.slug, r.version, r.is_current)
            for r in db.session.scalars(select(ContentVersion).order_by(ContentVersion.id))
        ]


def _modules(app: Flask) -> set[str]:
    with app.app_context():
        forget_catalog()
        return set(get_catalog().modules)


def _browser(app: Flask, platform: TestPlatform) -> ClientBrowser:
    with app.app_context():
        save_platform(**platform.registration_kwargs())
        db.session.commit()
    platform.point_at_tool("http://localhost")
    platform.reset()
    return ClientBrowser(app.test_client(), platform.url)


# --- db upgrade on a fresh install -----------------------------------------------------


def test_db_upgrade_on_an_empty_database_loads_the_shipped_content(fresh_app, platform):
    app = fresh_app()
    assert {"awareness"} <= SHIPPED_MODULES
    out = _ok(_upgrade(app))
    assert f"Loaded the training content from {ROOT}" in out
    assert f"{len(SHIPPED_MODULES)} modules" in out
    assert _modules(app) == SHIPPED_MODULES
    kinds = {kind for kind, *_ in _rows(app)}
    assert kinds == {"module", "quiz", "programme", "roleplay"}

    # A learner launched with custom module=awareness lands on that module.
    response = _browser(app, platform).launch(module="awareness")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert response.request.path == "/modules/awareness"
    assert f"<h1>{AWARENESS_TITLE}</h1>" in page


def test_flask_and_lms_plugin_db_upgrade_both_load_it(empty_database, tmp_path):
    """The real commands, as an operator runs them: `flask --app wsgi db upgrade` loads
    the content into the empty database; `lms-plugin db upgrade` then leaves it."""
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_PLUGIN_", "FLASK_"))}
    env.update(DATABASE_URL=empty_database, SECRET_KEY="test-secret-key",
               LMS_PLUGIN_INSTANCE_PATH=str(tmp_path / "instance"), LMS_PLUGIN_LOG_FORMAT="text")

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    first = run(str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade")
    assert f"Loaded the training content from {ROOT}: {len(SHIPPED_MODULES)} modules" in first
    second = run(str(bin_dir / "lms-plugin"), "db", "upgrade")
    assert "Training content is already loaded; left as it is" in second
    assert "Loaded the training content" not in second
    # Flask-Migrate's own group, shared by every app in a process, is not changed.
    from flask_migrate.cli import db as flask_migrate_db

    assert "load content" not in (flask_migrate_db.commands["upgrade"].short_help or "")


def test_a_second_upgrade_neither_syncs_again_nor_duplicates(fresh_app, tmp_path):
    app = fresh_app()
    _ok(_upgrade(app))
    before = _rows(app)
    assert len(before) == len(set(before))

    again = _ok(_upgrade(app))
    assert "already loaded; left as it is" in again
    assert "Loaded the training content" not in again
    assert _rows(app) == before

    # Even when the content on disk is now different: the upgrade does not put it live
    # behind the operator's back; `content sync` does.
    changed = tmp_path / "changed"
    shutil.copytree(ROOT / "modules", changed / "modules")
    shutil.copytree(ROOT / "quizzes", changed / "quizzes")
    shutil.copytree(ROOT / "certifications", changed / "certifications")
    shutil.copytree(ROOT / "roleplays", changed / "roleplays")
    meta = changed / "modules" / "awareness" / "module.yaml"
    meta.write_text(meta.read_text().replace(AWARENESS_TITLE, "Awareness, revised", 1))
    later = fresh_app(LMS_PLUGIN_CONTENT_DIR=str(changed))
    assert "already loaded" in _ok(_upgrade(later))
    assert _rows(later) == before
    synced = _ok(later.test_cli_runner().invoke(args=["content", "sync"]))
    assert "now serving module awareness" in synced
    with later.app_context():
        forget_catalog()
        assert get_catalog().modules["awareness"].meta.title == "Awareness, revised"


def test_content_dir_overrides_the_shipped_content(fresh_app, monkeypatch):
    monkeypatch.setenv("LMS_PLUGIN_CONTENT_DIR", str(SAMPLE_CONTENT))
    app = fresh_app()
    assert app.config["LMS_PLUGIN_CONTENT_DIR"] == str(SAMPLE_CONTENT)
    out = _ok(_upgrade(app))
    assert f"Loaded the training content from {SAMPLE_CONTENT}" in out
    assert _modules(app) == {"listening"}
    assert not _modules(app) & SHIPPED_MODULES


def test_invalid_content_fails_the_upgrade_loudly_and_loads_nothing(fresh_app, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(SAMPLE_CONTENT, broken)
    quiz = broken / "quizzes" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("pass_mark: 80", "pass_mark: [80", 1))
    app = fresh_app(LMS_PLUGIN_CONTENT_DIR=str(broken))
    result = _upgrade(app)
    assert result.exit_code != 0
    assert "quizzes/listening.yaml" in result.output
    assert "none of it was loaded" in result.output
    assert "The database is upgraded, but no training content was loaded" in result.output
    assert "Traceback" not in result.output
    assert _rows(app) == []
    # The schema did reach the head; fixing the content and upgrading again loads it.
    app.config["LMS_PLUGIN_CONTENT_DIR"] = str(SAMPLE_CONTENT)
    assert "Loaded the training content" in _ok(_upgrade(app))
    assert _modules(app) == {"listening"}


def test_a_content_dir_without_content_fails_the_upgrade(fresh_app, tmp_path):
    app = fresh_app(LMS_PLUGIN_CONTENT_DIR=str(tmp_path / "nowhere"))
    result = _upgrade(app)
    assert result.exit_code != 0
    assert f"No training content was found in {tmp_path / 'nowhere'}" in result.output
    assert _rows(app) == []


def test_upgrade_short_of_the_head_and_downgrade_load_nothing(fresh_app):
    app = fresh_app()
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(None)
        [head] = ScriptDirectory.from_config(config).get_revisions("head")
    assert isinstance(head.down_revision, str)
    short = _ok(_upgrade(app, head.down_revision))
    assert "not loaded, as the database is not at the latest revision" in short
    assert _rows(app) == []
    _ok(_upgrade(app))
    assert _modules(app) == SHIPPED_MODULES
    with app.app_context():
        db.session.execute(sa.delete(ContentVersion))
        db.session.commit()
    down = _ok(app.test_cli_runner().invoke(args=["db", "downgrade"]))
    assert "content" not in down.lower()
    assert _rows(app) == []


def test_sql_only_upgrade_touches_nothing(fresh_app):
    """--sql prints the migrations' SQL and runs nothing; so nothing is loaded either."""
    app = fresh_app()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite migrations use batch mode, which --sql cannot render "
                    "(a Flask-Migrate/Alembic limit, not ours); covered on PostgreSQL")
    out = _ok(_upgrade(app, "--sql"))
    assert "CREATE TABLE content_version" in out
    assert "Loaded the training content" not in out
    with app.app_context():
        assert not sa.inspect(db.engine).has_table("content_version")


# --- lms-plugin serve ------------------------------------------------------------------


@pytest.fixture
def gunicorn_calls(monkeypatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("lms_plugin.serve.run_gunicorn", lambda *args: calls.append(args))
    return calls


def _serve(app: Flask) -> Any:
    return app.test_cli_runner().invoke(main, ["serve", "--host", "127.0.0.1", "--port", "9"])


def test_serve_loads_content_into_a_database_that_has_none(fresh_app, gunicorn_calls):
    from flask_migrate import upgrade

    app = fresh_app()
    with app.app_context():
        upgrade()  # as an older version's `db upgrade` (or a deploy job's alembic) left it
    assert _rows(app) == []
    result = _serve(app)
    assert result.exit_code == 0, result.output
    assert "Loaded the training content" in result.output
    assert gunicorn_calls == [("127.0.0.1", 9, 0)]
    assert _modules(app) == SHIPPED_MODULES
    rows = _rows(app)

    assert "already loaded" in _serve(app).output
    assert _rows(app) == rows
    assert len(gunicorn_calls) == 2


def test_serve_on_a_database_without_tables_says_so_and_serves(fresh_app, gunicorn_calls):
    app = fresh_app()
    result = _serve(app)
    assert result.exit_code == 0, result.output
    assert "no tables yet: run `lms-plugin db upgrade`" in result.output
    assert gunicorn_calls == [("127.0.0.1", 9, 0)]
    with app.app_context():
        assert not sa.inspect(db.engine).has_table("content_version")


# --- the page for a module that is not loaded -----------------------------------------


def test_with_no_content_a_module_launch_says_what_to_run(app, lti, caplog):
    caplog.set_level(logging.WARNING)
    response = lti.launch(module="awareness")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.request.path == "/modules/awareness"
    assert "<title>Training not available yet" in page
    assert "This training is not available yet" in page
    assert "nothing you did caused this" in page
    assert "No training content has been loaded" in page
    assert "<code>lms-plugin content sync</code>" in page
    assert "Get help now" in page
    # The page says the request was recorded in the log: it was.
    [record] = [r for r in caplog.records if "'awareness'" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "no content is loaded" in record.getMessage()
    assert "lms-plugin content sync" in record.getMessage()


def test_a_module_that_is_not_loaded_names_the_ones_that_are(app, lti, sample_content):
    response = lti.launch(module="awareness")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "This training is not available yet" in page
    assert "No module <code>awareness</code> is loaded" in page
    assert "<code>listening</code>" in page
    assert "<code>lms-plugin content sync</code>" in page
    assert "module=awareness" in page
    # Its lessons too; and a loaded module still opens.
    lesson = lti.client.get("/modules/awareness/lessons/1")
    assert lesson.status_code == 404
    assert "lms-plugin content sync" in lesson.get_data(as_text=True)
    assert lti.client.get("/modules/listening").status_code == 200


def test_the_not_loaded_page_escapes_the_slug(app, lti, sample_content):
    lti.launch()
    response = lti.client.get('/modules/%3Cb%20class=%22x%22%3Ebold')
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<b class="x">' not in page
    assert "No module <code>&lt;b class=&#34;x&#34;&gt;bold</code> is loaded" in page
