"""The demo organisation's seed: about 200 people over 5 departments, every programme
stage present, real certificates, deterministic and run once; only when asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms_plugin.certification.certificates import get_certificate_by_code
from lms_plugin.certification.models import Certificate, LoggedHours, ProgrammeEnrolment
from lms_plugin.content.services import get_catalog
from lms_plugin.demo.seed import SUB_PREFIX, demo_organisation_id, seed_demo
from lms_plugin.demo.setup import prepare_demo
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.reporting.models import SurveyCompletion
from lms_plugin.reporting.queries import PIPELINE, Filters, stage_members
from lms_plugin.training.models import ModuleCompletion
from lms_plugin.users.models import User
from tests.conftest import make_app


@pytest.fixture
def demo_app(app, migrated, tmp_path, shipped_content):
    demo = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True,
                    LMS_PLUGIN_CONTENT_DIR=str(shipped_content))
    with demo.app_context(), demo.test_request_context():
        prepare_demo("http://localhost:5000")
    return demo


def snapshot(organisation_id: int) -> dict[str, object]:
    people = db.session.execute(select(User.sub, User.name, User.email, User.department)
                                .where(User.organisation_id == organisation_id)
                                .order_by(User.sub)).all()
    scores = db.session.execute(select(User.sub, QuizAttempt.quiz_slug, QuizAttempt.score)
                                .join(User, User.id == QuizAttempt.user_id)
                                .order_by(QuizAttempt.id)).all()
    return {"people": [tuple(p) for p in people], "scores": [
        (u, q, float(s)) for u, q, s in scores]}


def test_the_seed_makes_a_realistic_organisation_quickly_and_once(demo_app):
    with demo_app.app_context(), demo_app.test_request_context():
        organisation_id = demo_organisation_id()
        assert organisation_id is not None
        report = seed_demo()
        db.session.commit()
        assert report is not None
        people = db.session.scalars(select(User).where(
            User.organisation_id == organisation_id, User.sub.startswith(SUB_PREFIX))).all()
        assert 190 <= len(people) <= 210
        assert len({p.department for p in people}) == 5
        assert all(p.email and p.email.endswith("@example.org") for p in people)
        assert len({p.name for p in people}) == len(people)
        trainees = db.session.scalar(select(func.count()).select_from(ProgrammeEnrolment))
        assert 30 <= trainees <= 60
        statuses = set(db.session.scalars(select(LoggedHours.status).distinct()))
        assert statuses == {"pending", "approved", "rejected"}
        assert db.session.scalar(select(func.count()).select_from(SurveyCompletion)) > 50
        assert db.session.scalar(select(func.count()).select_from(ModuleCompletion)) > 100
        # Every stage of the programme has somebody in it.
        programme = get_catalog().programmes["peer-supporter"].document
        for state in PIPELINE:
            assert stage_members(Filters(organisation_id), programme, state), state
        # Certificates are real: they verify by their code.
        certificate = db.session.scalars(select(Certificate).where(
            Certificate.programme_slug == "peer-supporter")).first()
        assert certificate is not None and get_certificate_by_code(certificate.code)
        # A year of activity, dated relative to now.
        first = db.session.scalar(select(func.min(ModuleCompletion.completed_at)))
        assert first is not None
        assert (datetime.now(UTC) - first.replace(tzinfo=UTC)).days > 300
        before = snapshot(organisation_id)
        # Idempotent: a second run (a restart of the demo) adds nothing.
        assert seed_demo() is None
        assert snapshot(organisation_id) == before


def test_the_seed_is_deterministic(demo_app, shipped_content):
    """The same people with the same scores on every run: seed, empty the database, seed
    again."""
    from tests.conftest import _clean, sync

    seen = []
    for _ in range(2):
        with demo_app.app_context(), demo_app.test_request_context():
            prepare_demo("http://localhost:5000")
            organisation_id = demo_organisation_id()
            assert organisation_id is not None and seed_demo() is not None
            db.session.commit()
            seen.append(snapshot(organisation_id))
        _clean(demo_app)
        sync(demo_app, shipped_content)
    assert seen[0]["people"] == seen[1]["people"]
    assert seen[0]["scores"] == seen[1]["scores"]


def test_the_demo_seeds_only_when_asked(app, migrated, tmp_path, shipped_content):
    quiet = make_app(migrated, tmp_path / "quiet", LMS_PLUGIN_DEMO=True)
    with quiet.app_context(), quiet.test_request_context():
        prepare_demo("http://localhost:5000")
        organisation_id = demo_organisation_id()
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.organisation_id == organisation_id)) == 0
    asked = make_app(migrated, tmp_path / "asked", LMS_PLUGIN_DEMO=True,
                     LMS_PLUGIN_DEMO_SEED=True)
    with asked.app_context(), asked.test_request_context():
        prepare_demo("http://localhost:5000")
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.organisation_id == organisation_id)) > 190


def test_the_cli_seeds_once(app, migrated, tmp_path, shipped_content, monkeypatch):
    from lms_plugin.cli import main

    monkeypatch.setenv("LMS_PLUGIN_DEMO", "1")
    demo = make_app(migrated, tmp_path / "cli", LMS_PLUGIN_DEMO=True)
    runner = demo.test_cli_runner()
    first = runner.invoke(main, ["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded the demo organisation" in first.output
    again = runner.invoke(main, ["demo", "seed"])
    assert again.exit_code == 0 and "seeded already" in again.output
