"""Fixtures: a migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
the app, its test client and CLI runner, a real LTI platform over HTTP, and `lti`, which
performs a real launch the way flaskr's AuthActions logs in."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from jinja2.bccache import Bucket, BytecodeCache

from lms_plugin import create_app
from lms_plugin.extensions import db
from lms_plugin.store import get_store
from tests.support import fast_routes, key_pool
from tests.support.browser import ClientBrowser
from tests.support.platform import TestPlatform
from tests.support.rollback import OuterTransaction, configure_sessions

fast_routes.install()  # each test makes its own app; werkzeug's builders are shared
key_pool.install()  # within a test every RSA key differs; across tests they come back
configure_sessions(db)  # a session on a connection in a transaction works in a savepoint

SECRET = "test-secret-key"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


POSTGRES = os.environ.get("TEST_DATABASE_URL")  # e.g. postgresql://postgres@127.0.0.1/test
# Every test that uses a database runs on SQLite, the embedded default, and, when
# TEST_DATABASE_URL names a PostgreSQL server (./dev test does), on PostgreSQL too: one
# session, so a test that uses no database runs once. Browser tests run on one of them
# (see pytest_collection_modifyitems).
DATABASES = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]


def _pg_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(tmp: Path, name: str, kind: str) -> Iterator[str]:
    """A database of its own with no tables: a SQLite file, or a fresh PostgreSQL schema
    (on TEST_DATABASE_URL's server), dropped afterwards: runs and tests never see each
    other's rows."""
    if kind == "sqlite":
        yield "sqlite:///" + str(tmp / f"{name}.db")
        return
    assert POSTGRES, "PostgreSQL tests need TEST_DATABASE_URL"
    schema = f"lp_{name}_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(_driver_url(POSTGRES))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(POSTGRES, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    """The database this test runs on: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db"), "test", database) as url:
        yield url


@pytest.fixture
def empty_database(database: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own with no tables (see fresh_database)."""
    with fresh_database(tmp_path, "fresh", database) as url:
        yield url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser test checks what a browser does (frames, cookies, accessibility), which
    no database changes: it runs once, on PostgreSQL (the production path) when there is
    one; so does a test marked `one_database` (the HTTP surface: who may call each
    endpoint, escaping, cache headers). A test marked `postgresql` needs a server (e.g.
    connections to drop): it runs only there, and is skipped with the reason when there
    is no PostgreSQL at all."""
    keep, drop = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        on = params.params.get("database") if params else None
        if on == "sqlite" and POSTGRES and any(item.get_closest_marker(m) for m in (
                "browser", "postgresql", "one_database")):
            drop.append(item)
            continue
        if on == "sqlite" and item.get_closest_marker("postgresql"):
            item.add_marker(pytest.mark.skip(
                reason="needs PostgreSQL: set TEST_DATABASE_URL (./dev test does)"))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _driver_url(database_url: str) -> str:
    """The URL the app's engine is made with (PostgreSQL through psycopg 3)."""
    return database_url.replace("postgresql://", "postgresql+psycopg://", 1)


def make_app(database_url: str, tmp: Path, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _driver_url(database_url),
        "SECRET_KEY": SECRET,
        # Reports fresh on every request; the cache has its own test.
        "LMS_PLUGIN_REPORT_CACHE_SECONDS": 0,
        # The test LMSs run on loopback addresses; tests/functional/lti/test_registration.py
        # checks the rule that refuses them in production.
        "LMS_PLUGIN_ALLOW_PRIVATE_URLS": True,
    }
    config.update(extra)
    os.environ["LMS_PLUGIN_INSTANCE_PATH"] = str(tmp)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _TEMPLATES
    _made.append(app)
    if _outer is not None:
        _outer.bind(db, app)
    return app


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates kept across the apps of a run (each test makes an app,
    and compiling the templates a page uses costs tens of ms). Keyed by Jinja on the
    template's name and source, so a changed template is compiled afresh."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


_made: list[Flask] = []  # apps made during the running test


@pytest.fixture(autouse=True)
def _close_pools() -> Iterator[None]:
    """Every app a test made has its connection pool closed when the test ends (a pool
    left to the garbage collector warns on PostgreSQL, in whichever test runs then),
    but for the shared engines, closed when the session ends."""
    key_pool.new_test()
    yield
    while _made:
        made = _made.pop()
        with made.app_context():
            db.session.remove()
            if db.engine not in _ENGINES.values():  # a shared one stays open
                db.engine.dispose()


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from flask_migrate import upgrade

    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    share_engine(database_url)
    return database_url


# The apps of a run share one engine per database and set of engine options (each test
# makes its own app): SQLAlchemy keeps compiled statements per engine, and compiling
# afresh in every test cost a sixth of the functional tests' time. Only the session's
# databases (migrated, or prepared: `share_engine`); a test's own database
# (`empty_database`) gets its own engine.
_SHARED_URLS: set[str] = set()


def share_engine(database_url: str) -> None:
    """The apps made on this session-long database from now on share one engine."""
    _SHARED_URLS.add(_driver_url(database_url))
_ENGINES: dict[str, sa.Engine] = {}
_make_engine = SQLAlchemy._make_engine


def _shared_engine(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any],
                   app: Flask) -> sa.Engine:
    if str(options.get("url")) not in _SHARED_URLS:
        return _make_engine(self, bind_key, options, app)
    key = repr(sorted((name, repr(value)) for name, value in options.items()))
    if key not in _ENGINES:
        _ENGINES[key] = _make_engine(self, bind_key, options, app)
    return _ENGINES[key]


SQLAlchemy._make_engine = _shared_engine  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def _close_shared_engines() -> Iterator[None]:
    yield
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _clean(app: Flask) -> None:
    """Empty every table a test wrote to: one query finds them, children are emptied
    before their parents."""
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        written = sa.union_all(*(
            sa.select(sa.literal(table.name)).where(sa.exists(sa.select(sa.literal(1))
                                                              .select_from(table)))
            for table in tables))
        with db.engine.begin() as conn:
            names = set(conn.scalars(written))
            for table in reversed(tables):
                if table.name in names:
                    conn.execute(table.delete())


COMMIT_MARKERS = ("commits", "e2e", "browser")
_outer: OuterTransaction | None = None  # the running test's, when it rolls back


def outer_transaction() -> OuterTransaction | None:
    """The running test's transaction (None in a test that commits)."""
    return _outer


def commits(item: pytest.Item) -> bool:
    """A test that needs real commits, seen by other connections, threads or processes:
    marked `commits`, or an end-to-end test (live servers) or a browser test."""
    return any(item.get_closest_marker(m) for m in COMMIT_MARKERS)


@contextmanager
def isolated(app: Flask, item: pytest.Item) -> Iterator[Flask]:
    """`app` (on the session's migrated database) for the duration of test `item`. By
    default the test runs in one transaction on one connection, rolled back at the end
    (tests/support/rollback.py), and so does every app it makes on that database; a test
    marked `commits` (or `e2e`, `browser`) commits for real and has every table it wrote to
    emptied afterwards."""
    global _outer
    if commits(item):
        yield app
        _clean(app)  # then `_close_pools` closes its pool
        return
    with app.app_context():
        engine = db.engine
    _outer = OuterTransaction(engine)
    for made in _made:  # `app`, and any a fixture made before it
        _outer.bind(db, made)
    try:
        yield app
    finally:
        outer, _outer = _outer, None
        outer.rollback()
    if outer.stray_commits:  # rows another connection committed outlive the rollback
        _clean(app)
        pytest.fail(f"{outer.stray_commits} COMMIT(s) on another connection of the shared "
                    "engine (a thread, or an app made outside the test's transaction): "
                    "mark the test `commits`", pytrace=False)


@pytest.fixture
def app(migrated: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The tool on the session's migrated database, isolated (see `isolated`)."""
    with isolated(make_app(migrated, tmp_path), request.node) as made:
        yield made


@pytest.fixture
def redis_app(app: Flask, migrated: str, tmp_path: Path) -> Iterator[Flask]:
    """The tool as deployed: the shared store on Redis, with a key prefix of its own whose
    keys are removed afterwards. (Depends on `app`, so it shares its database and its
    isolation, and the test runs on each database.)"""
    prefix = f"lms_plugin_test_{uuid.uuid4().hex[:10]}:"
    made = make_app(migrated, tmp_path, REDIS_URL=REDIS_URL, LMS_PLUGIN_REDIS_PREFIX=prefix)
    yield made
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
    finally:
        client.close()
        with made.app_context():
            get_store().client.close()  # type: ignore[attr-defined]


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPlatform]:
    with key_pool.unpooled():  # it outlives every test
        p = TestPlatform(tmp_path_factory.mktemp("platform"))
    yield p
    p.stop()


@pytest.fixture
def registered(app: Flask, platform: TestPlatform) -> TestPlatform:
    """The test platform registered with the tool (as `lms-plugin platform add` would),
    and the tool with the platform, for launches through the test client."""
    from lms_plugin.lti.registration import save_platform

    with app.app_context():
        save_platform(**platform.registration_kwargs())
        db.session.commit()
    platform.point_at_tool("http://localhost")
    platform.reset()
    return platform


@pytest.fixture
def lti(client: Any, registered: TestPlatform) -> ClientBrowser:
    return ClientBrowser(client, registered.url)


SAMPLE_CONTENT = Path(__file__).parent / "content" / "sample"
# A Spanish translation of the sample content (its lessons and quiz), laid over a copy of
# it by `translated_sample`: kept apart, so tests that change the sample need not change it.
SAMPLE_TRANSLATION = Path(__file__).parent / "content" / "translation"


def translated_sample(target: Path) -> Path:
    """A copy of the sample content with its Spanish translation, at `target`."""
    shutil.copytree(SAMPLE_CONTENT, target)
    shutil.copytree(SAMPLE_TRANSLATION, target, dirs_exist_ok=True)
    return target


def sync(app: Flask, root: Path) -> None:
    from lms_plugin.content.services import sync_content

    app.config["LMS_PLUGIN_CONTENT_DIR"] = str(root)
    with app.app_context():
        report = sync_content(root)
        assert report.ok, [str(e) for e in report.errors]
        db.session.commit()


@pytest.fixture
def sample_content(app: Flask) -> Path:
    """A small module and quiz (tests/content/sample), synced into the database."""
    sync(app, SAMPLE_CONTENT)
    return SAMPLE_CONTENT


@pytest.fixture
def shipped_content(app: Flask) -> Path:
    """The real modules/ and quizzes/ of the project, synced."""
    root = Path(__file__).parents[1]
    sync(app, root)
    return root


@pytest.fixture
def second_platform(app: Flask, tmp_path: Path) -> Iterator[TestPlatform]:
    """A second organisation's LMS (its own issuer and keys), registered with the same
    tool: every security test has one."""
    from lms_plugin.lti.registration import save_platform

    other = TestPlatform(tmp_path / "second-platform")
    with app.app_context():
        save_platform(**other.registration_kwargs())
        db.session.commit()
    yield other
    other.stop()
