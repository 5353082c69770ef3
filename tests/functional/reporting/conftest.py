"""Fixtures of the reporting tests, on data made once per worker and database kind:

- `seeded`: the demo organisation's data (lms-plugin demo seed) in the test platform's
  organisation; `two_seeded`: the same in a second platform's organisation beside it;
- `organisation`: a small organisation of 55 learners over three departments and two
  courses, on the sample content.

Each is a database of its own (`prepared`): migrated, its platforms registered, its
content loaded and its people made, committed once. A test that asks for one runs on it,
in its own transaction rolled back at the end like every test (tests/support/
rollback.py), so each starts from the same state. Making the data in every test took a
third of the reporting tests' time (seeding 1.4 s on PostgreSQL, twice for two
organisations). The seed's report marks are left to fold in, as after `lms-plugin demo
seed`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from lms_plugin.demo.seed import seed_demo
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.training.models import LessonProgress, ModuleCompletion
from lms_plugin.training.services import note_module_completed, note_module_started
from tests.conftest import (
    SAMPLE_CONTENT,
    _made,
    commits,
    fresh_database,
    isolated,
    make_app,
    outer_transaction,
    share_engine,
    sync,
)
from tests.support import factories, key_pool
from tests.support.platform import TestPlatform

ROOT = Path(__file__).parents[3]


@dataclass(frozen=True)
class Prepared:
    url: str
    organisations: tuple[int, ...]


def _seeded(app: Flask, platforms: list[TestPlatform]) -> tuple[int, ...]:
    sync(app, ROOT)
    ids = tuple(factories.organisation_of(p.issuer) for p in platforms)
    assert len(set(ids)) == 2
    # Different moments, so the two organisations' data differ.
    for organisation_id in ids:
        assert seed_demo(organisation_id) is not None
    return ids


def _small_organisation(app: Flask, platforms: list[TestPlatform]) -> tuple[int, ...]:
    """40 learners in Finance (course A), 12 in Operations (course B) and 3 in Legal
    (course B): a group too small to report."""
    sync(app, SAMPLE_CONTENT)
    issuer = platforms[0].issuer
    course_a = factories.get_course(issuer, "course-a")
    course_b = factories.get_course(issuer, "course-b")
    course_a.title, course_b.title = "Course A", "Course B"
    people = [("Finance", course_a, i) for i in range(40)]
    people += [("Operations", course_b, i) for i in range(12)]
    people += [("Legal", course_b, i) for i in range(3)]
    now = datetime.now(UTC)
    for dept, course, i in people:
        user = factories.user(f"{dept} person {i}", issuer=issuer, course=course)
        user.department = dept
        if i % 4 != 0:  # three in four have started
            db.session.add(LessonProgress(user_id=user.id, module_slug="listening",
                                          lesson_id="listening-open-questions",
                                          module_version="v1"))
            note_module_started(user.id, "listening")
        if i % 2 == 1:  # half have completed, with a best score
            when = now - timedelta(days=i % 20)
            db.session.add(ModuleCompletion(
                user_id=user.id, module_slug="listening", module_version="v1",
                quiz_score=80 + i % 20, completed_at=when))
            note_module_completed(user.id, "listening", when)
            db.session.add(QuizAttempt(
                user_id=user.id, quiz_slug="listening", quiz_version="v1",
                layout_json="[]", answers_json='{"secret": "my private answer"}',
                submitted_at=now, score=80 + i % 20, passed=True))
    return (factories.organisation_of(issuer),)


# The fixtures that read prepared data -> how that data is made (on the test platform and
# a second platform, both registered).
Build = Callable[[Flask, list[TestPlatform]], tuple[int, ...]]
PREPARED: dict[str, Build] = {
    "seeded": _seeded, "two_seeded": _seeded, "organisation": _small_organisation}


@pytest.fixture(scope="session")
def prepared(database: str, platform: TestPlatform,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Prepared]]:
    """This worker's prepared database for a fixture of PREPARED, made on first use."""
    from flask_migrate import upgrade

    from lms_plugin.lti.registration import save_platform

    made: dict[Build, Prepared] = {}
    second: list[TestPlatform] = []
    databases = ExitStack()  # dropped when the session ends

    def get(name: str) -> Prepared:
        build = PREPARED[name]
        if build in made:
            return made[build]
        assert outer_transaction() is None  # made outside any test's transaction
        tmp = tmp_path_factory.mktemp(build.__name__.strip("_"))
        if not second:
            with key_pool.unpooled():  # it outlives every test
                second.append(TestPlatform(tmp / "second-platform"))
        url = databases.enter_context(fresh_database(tmp, "prepared", database))
        app = make_app(url, tmp / "instance")
        try:
            with app.app_context():
                upgrade()
                for p in (platform, *second):
                    save_platform(**p.registration_kwargs())
                db.session.commit()
                ids = build(app, [platform, *second])
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
        finally:
            _made.remove(app)  # done with: not one of the running test's apps
        share_engine(url)
        made[build] = Prepared(url, ids)
        return made[build]

    with databases:
        yield get
    for p in second:
        p.stop()


@pytest.fixture
def app(migrated: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The tool on the session's migrated database, or, for a test of prepared data, on
    its prepared database; isolated either way (tests/conftest.py: `isolated`)."""
    url = migrated
    wanted = [name for name in PREPARED if name in request.fixturenames]
    if len({PREPARED[name] for name in wanted}) > 1:
        pytest.fail(f"{', '.join(wanted)} are prepared in different databases: a test "
                    "runs on one", pytrace=False)
    if wanted:
        if commits(request.node):
            pytest.fail("a test of prepared data rolls back: one that commits for real "
                        "would empty it for the tests after it", pytrace=False)
        url = request.getfixturevalue("prepared")(wanted[0]).url
    with isolated(make_app(url, tmp_path), request.node) as made:
        yield made


@pytest.fixture
def seeded(app: Flask, registered: TestPlatform, shipped_content: Path,
           prepared: Callable[[str], Prepared]) -> int:
    """The demo organisation's data in the test platform's organisation; its id."""
    return prepared("seeded").organisations[0]


@pytest.fixture
def two_seeded(app: Flask, registered: TestPlatform, shipped_content: Path,
               prepared: Callable[[str], Prepared]) -> list[int]:
    """The demo data in two organisations (the test platform's and a second platform's);
    their ids."""
    return list(prepared("two_seeded").organisations)


@pytest.fixture
def organisation(app: Flask, registered: TestPlatform, sample_content: Path,
                 prepared: Callable[[str], Prepared]) -> TestPlatform:
    """The small organisation (`_small_organisation`): the test platform, whose
    organisation it is."""
    prepared("organisation")
    return registered
