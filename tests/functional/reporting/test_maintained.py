"""The maintained report counts (`reporting.maintained`) equal a count from scratch (the
one pass, `scope.count_scope`) after any sequence of the writes that change them, on
both databases; a write that changes no report fact marks nobody; the operators'
rebuild command recounts the same."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from lms_plugin.extensions import db
from lms_plugin.jobs import registry
from lms_plugin.privacy.services import erase_person
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.reporting import maintained
from lms_plugin.reporting.maintained import maintained_counts, refresh, refresh_periodically
from lms_plugin.reporting.models import ReportCount, ReportDirty, ReportLearner
from lms_plugin.reporting.services import _counted, counts_agree, scope_counts
from lms_plugin.training.models import LearnerModule
from lms_plugin.training.services import note_module_completed, note_module_started
from lms_plugin.users.models import Course, Enrollment, User
from tests.support import factories

MODULES = ("awareness", "skills", "boundaries", "supporting-a-colleague", "peer-role")


def _attempt(person: int, quiz: str, score: float, submitted: bool) -> None:
    now = datetime.now(UTC)
    db.session.add(QuizAttempt(user_id=person, quiz_slug=quiz, quiz_version="v1",
                               layout_json="[]", answers_json="{}", started_at=now,
                               submitted_at=now if submitted else None,
                               score=score if submitted else None,
                               passed=score >= 80 if submitted else None))


def _random_write(rng: random.Random, people: list[int], courses: list[int],
                  issuer: str) -> str:
    """One write of the kinds that change report facts, as the tool makes them."""
    person = rng.choice(people)
    kind = rng.choice(["enrol", "leave", "roles", "department", "start", "complete",
                       "quiz", "submit", "newcomer", "forget_module", "move_course"])
    mine = set(db.session.scalars(select(Enrollment.course_id).where(
        Enrollment.user_id == person)))
    elsewhere = [course for course in courses if course not in mine]
    if kind == "enrol" and elsewhere:
        db.session.add(Enrollment(user_id=person, course_id=rng.choice(elsewhere),
                                  roles="learner"))
    elif kind == "leave":
        db.session.execute(update(Enrollment).where(Enrollment.user_id == person)
                           .values(active=rng.random() < 0.3))
    elif kind == "roles":
        db.session.execute(update(Enrollment).where(Enrollment.user_id == person)
                           .values(roles=rng.choice(["learner", "mentor", "learner,mentor"])))
    elif kind == "department":
        db.session.execute(update(User).where(User.id == person).values(
            department=rng.choice([None, "Finance", "Care", "A new one"])))
    elif kind == "start":
        note_module_started(person, rng.choice(MODULES))
    elif kind == "complete":
        note_module_completed(person, rng.choice(MODULES),
                              datetime.now(UTC) - timedelta(days=rng.randrange(120)))
    elif kind == "quiz":
        _attempt(person, rng.choice(MODULES), float(rng.choice([40, 70, 80, 100])),
                 rng.random() < 0.8)
    elif kind == "submit":
        db.session.execute(update(QuizAttempt).where(
            QuizAttempt.user_id == person, QuizAttempt.submitted_at.is_(None))
            .values(submitted_at=datetime.now(UTC), score=95.0, passed=True))
    elif kind == "newcomer":
        people.append(factories.user(issuer=issuer, course=db.session.get(
            Course, rng.choice(courses))).id)
    elif kind == "forget_module":
        db.session.execute(delete(LearnerModule).where(LearnerModule.user_id == person))
    elif kind == "move_course" and mine and elsewhere:
        db.session.execute(update(Enrollment).where(
            Enrollment.user_id == person, Enrollment.course_id == min(mine))
            .values(course_id=rng.choice(elsewhere)))
    db.session.flush()
    return kind


def test_maintained_counts_equal_a_recount_after_random_writes(app, two_seeded,
                                                               registered):
    rng = random.Random(15)
    with app.app_context(), app.test_request_context():
        for organisation in two_seeded:
            assert counts_agree(organisation)  # the seed went through the triggers
        mine = two_seeded[0]
        people = list(db.session.scalars(select(User.id).where(
            User.organisation_id == mine).order_by(User.id)))
        courses = list(db.session.scalars(select(Course.id).where(
            Course.organisation_id == mine).order_by(Course.id)))
        assert len(people) > 20 and len(courses) > 1
        kinds = set()
        for step in range(12):
            for _ in range(rng.randint(1, 6)):
                kinds.add(_random_write(rng, people, courses, registered.issuer))
            if step % 3 == 2:  # sometimes several commits pile up before a read
                db.session.commit()
                continue
            db.session.commit()
            for organisation in two_seeded:
                assert counts_agree(organisation), (step, sorted(kinds))
        assert len(kinds) >= 8  # not vacuous: most kinds of write happened
        before = db.session.scalar(select(func.sum(ReportCount.people)))
        assert before


def test_a_write_that_changes_no_report_fact_marks_nobody(app, seeded):
    with app.app_context():
        refresh()
        db.session.commit()
        person = db.session.scalars(select(Enrollment)).first()
        assert person is not None
        # What every launch writes: the time it was seen, the same roles, still active.
        person.last_seen_at = datetime.now(UTC)
        person.roles = person.roles
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ReportDirty)) == 0
        person.active = False
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ReportDirty)) == 1


def test_a_read_is_fresh_without_the_worker(app, seeded, registered):
    with app.app_context(), app.test_request_context():
        first = scope_counts(seeded)
        factories.user(issuer=registered.issuer,
                       course=factories.get_course(registered.issuer, "another-course"))
        db.session.commit()
        after = scope_counts(seeded)
        everyone = sum(n for box, n in after.status.items() if box[0] == "__total__")
        before = sum(n for box, n in first.status.items() if box[0] == "__total__")
        assert everyone == before + 1


def test_an_erased_learner_leaves_the_counts_and_nothing_is_kept_about_them(
        app, two_seeded):
    """Erasure takes the person's share out of the counts at once (a plain delete of what
    the counts keep about them would leave it counted) and in the other organisation
    nothing changes."""
    with app.app_context(), app.test_request_context():
        refresh()  # the seed folded in: every learner has what the counts keep about them
        mine, theirs = two_seeded
        person = db.session.scalars(select(User).join(
            ReportLearner, ReportLearner.user_id == User.id).where(
            User.organisation_id == mine).order_by(User.id)).first()
        assert person is not None
        others = scope_counts(theirs).to_json()
        everyone = db.session.scalar(select(func.sum(ReportCount.people)).where(
            ReportCount.organisation_id == mine))
        admin = factories.user("Riley Admin", roles="admin")
        removed = erase_person(person, admin)
        db.session.commit()
        assert removed["report_counts"] == 1
        assert db.session.get(ReportLearner, person.id) is None
        assert db.session.scalar(select(func.sum(ReportCount.people)).where(
            ReportCount.organisation_id == mine)) < everyone
        assert counts_agree(mine) and counts_agree(theirs)
        assert scope_counts(theirs).to_json() == others


def test_the_rebuild_command_recounts_the_same(app, seeded, monkeypatch):
    # In rounds of a few people: a person marked in two rounds, and the counts written
    # once at the end, still add up.
    monkeypatch.setattr(maintained, "CHUNK", 7)
    with app.app_context():
        refresh()
        db.session.commit()
        kept = sorted(db.session.execute(select(ReportCount.__table__).where(
            ReportCount.people != 0)).all())
        db.session.execute(update(ReportCount).values(people=ReportCount.people + 1))
        db.session.commit()
        assert app.test_cli_runner().invoke(args=["reports", "check"]).exit_code == 1
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert sorted(db.session.execute(select(ReportCount.__table__).where(
            ReportCount.people != 0)).all()) == kept
        assert db.session.scalar(select(func.count()).select_from(ReportLearner))
    result = app.test_cli_runner().invoke(args=["reports", "check"])
    assert result.exit_code == 0, result.output


def test_a_course_filter_reads_only_its_courses_module_and_week_counts(app, seeded):
    with app.app_context(), app.test_request_context():
        modules, programmes = _counted()
        now = datetime.now(UTC)
        whole = maintained_counts(seeded, modules, programmes, now)
        course = next(box[0] for box in whole.modules if box[0] != "__total__")
        some = maintained_counts(seeded, modules, programmes, now, courses=[int(course)])
        for name in ("modules", "weeks"):
            kept = {box: n for box, n in getattr(whole, name).items()
                    if box[0] in ("__total__", course)}
            assert kept and getattr(some, name) == kept
            assert len(getattr(whole, name)) > len(kept)  # others' exist, and are not read
        assert (some.status, some.bands, some.ready, some.trend, some.stages) == (
            whole.status, whole.bands, whole.ready, whole.trend, whole.stages)


def test_the_worker_folds_marks_in_every_minute(app, seeded):
    (task,) = [t for t in registry(app)["periodic"] if t.work is refresh_periodically]
    assert task.every(app.config) <= 60
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportDirty))  # the seed's
        assert task.work() > 0
        assert db.session.scalar(select(func.count()).select_from(ReportDirty)) == 0
        assert task.work() == 0  # nothing new: nothing to do
