"""Fixtures of the reporting tests: `seeded`, the demo organisation's data; `two_seeded`,
two organisations seeded side by side.

Both read one database per worker and database kind (`seeded_database`): migrated, the
test platform and a second organisation's platform registered, the shipped content
loaded and both organisations seeded, committed once. A test that asks for either runs
on it, in its own transaction rolled back at the end like every test (tests/support/
rollback.py), so each starts from the same seeded state; seeding in every test took 1.4 s
on PostgreSQL (twice for two organisations), a fifth of the reporting tests' time. The
seed's report marks are left to fold in, as after `lms-plugin demo seed`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from lms_plugin.demo.seed import seed_demo
from lms_plugin.extensions import db
from tests.conftest import (
    _SHARED_URLS,
    _made,
    commits,
    fresh_database,
    isolated,
    make_app,
    outer_transaction,
    sync,
)
from tests.support import factories, key_pool
from tests.support.platform import TestPlatform

ROOT = Path(__file__).parents[3]
SEEDED = ("seeded", "two_seeded")


@dataclass(frozen=True)
class SeededDatabase:
    url: str
    organisations: tuple[int, int]  # the test platform's, the second platform's


@pytest.fixture(scope="session")
def seeded_database(database: str, platform: TestPlatform,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDatabase]:
    from flask_migrate import upgrade

    from lms_plugin.lti.registration import save_platform

    assert outer_transaction() is None  # made outside any test's transaction
    tmp = tmp_path_factory.mktemp("seeded")
    with key_pool.unpooled():  # it outlives every test
        second = TestPlatform(tmp / "second-platform")
    try:
        with fresh_database(tmp, "seeded", database) as url:
            made = make_app(url, tmp / "instance")
            with made.app_context():
                upgrade()
                for p in (platform, second):
                    save_platform(**p.registration_kwargs())
                db.session.commit()
            sync(made, ROOT)
            with made.app_context():
                ids = (factories.organisation_of(platform.issuer),
                       factories.organisation_of(second.issuer))
                assert ids[0] != ids[1]
                # Different moments, so the two organisations' data differ.
                for organisation_id in ids:
                    assert seed_demo(organisation_id) is not None
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
            _made.remove(made)  # done with: not one of the running test's apps
            _SHARED_URLS.add(url.replace("postgresql://", "postgresql+psycopg://", 1))
            yield SeededDatabase(url, ids)
    finally:
        second.stop()


@pytest.fixture
def app(migrated: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The tool on the session's migrated database, or, for a test of the seeded data, on
    the seeded one; isolated either way (tests/conftest.py: `isolated`)."""
    url = migrated
    if any(name in request.fixturenames for name in SEEDED):
        if commits(request.node):
            pytest.fail("a test of the seeded database rolls back: one that commits for "
                        "real would empty it for the tests after it", pytrace=False)
        url = request.getfixturevalue("seeded_database").url
    with isolated(make_app(url, tmp_path), request.node) as made:
        yield made


@pytest.fixture
def seeded(app: Flask, registered: TestPlatform, shipped_content: Path,
           seeded_database: SeededDatabase) -> int:
    """The demo organisation's data (lms-plugin demo seed) in the test platform's
    organisation; its id."""
    return seeded_database.organisations[0]


@pytest.fixture
def two_seeded(app: Flask, registered: TestPlatform, shipped_content: Path,
               seeded_database: SeededDatabase) -> list[int]:
    """The demo data in two organisations (the test platform's and a second platform's);
    their ids."""
    return list(seeded_database.organisations)
