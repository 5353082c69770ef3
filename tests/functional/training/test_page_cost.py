"""What the pages people open most cost the database (issue 15): every statement of the
lesson page, the landing page (the programme overview) and the public verification page
of a warm process, counted with SQLAlchemy's events as tests/functional/lti/
test_launch_cost.py counts a launch. A page that comes to need one more statement fails
here; one that needs fewer lowers the pinned count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from tests.support import factories
from tests.support.quiz import csrf
from tests.support.statements import Statements

# Real transactions: the counts include BEGIN, COMMIT and pool checkouts, which a test's
# rolled-back transaction (tests/support/rollback.py) would replace with savepoints.
pytestmark = pytest.mark.commits

LESSON = "/modules/listening/lessons/1"


def test_the_lesson_page_is_one_statement(app, lti, sample_content):
    """The person with the header's facts (hours awaiting their decision, whether they
    supervise: users.sessions' session facts) and whether this lesson is done (the page's
    own fact), in one statement; one transaction, no commit. And the fact is right: the
    page offers to mark the lesson until it is marked, then says it is done."""
    lti.launch(persona="learner")
    assert lti.client.get(LESSON).status_code == 200  # warm: catalog and templates loaded
    with Statements(app) as counted:
        page = lti.client.get(LESSON)
    assert page.status_code == 200
    assert counted.tables() == ["user"], counted.sent
    person = counted.sent[0]
    assert "logged_hours" in person and "supervisor_assignment" in person
    assert "lesson_progress" in person
    assert (counted.begins, counted.commits, counted.checkouts) == (1, 0, 1)
    if counted.dialect == "postgresql":  # a read-only page: no BEGIN or ROLLBACK round trip
        assert counted.autocommit == [True]
    assert "You have marked this lesson complete." not in page.get_data(as_text=True)
    lti.client.post(LESSON + "/complete", data={"csrf_token": csrf(page.get_data(as_text=True))})
    with Statements(app) as counted:
        page = lti.client.get(LESSON)
    assert "You have marked this lesson complete." in page.get_data(as_text=True)
    assert counted.tables() == ["user"], counted.sent


def test_the_header_counts_come_with_the_person(app, lti, sample_content):
    """A supervisor's header count (logged hours awaiting them) costs no statement of its
    own, and is right."""
    from lms_plugin.certification.models import LoggedHours
    from lms_plugin.users.models import User

    lti.launch(persona="learner")
    with app.app_context():
        me = db.session.scalars(db.select(User).where(User.sub == "demo-learner-1")).one()
        trainee = factories.user("Trainee Waiting")
        for _ in range(2):
            db.session.add(LoggedHours(
                user_id=trainee.id, programme_slug="listener", category="practice",
                kind="peer-conversation", hours=1, activity_date=datetime.now(UTC),
                supervisor_id=me.id, status="pending"))
        db.session.commit()
    with Statements(app) as counted:
        page = lti.client.get(LESSON).get_data(as_text=True)
    assert '<span class="nav-count">(2 waiting)</span>' in page
    assert counted.tables() == ["user"], counted.sent


def test_the_landing_page_statements(app, lti, sample_content):
    """The programme overview a launch lands on, for a learner: the person with the session
    facts (whether enrolled: the path), then everything they have done in every module
    (lessons, completions, quiz tries and allowances, and whether they answered the
    survey: one UNION ALL); one transaction."""
    lti.launch(persona="learner")
    assert lti.client.get("/").status_code == 200
    with Statements(app) as counted:
        page = lti.client.get("/")
    assert page.status_code == 200
    assert counted.tables() == ["user", "quiz_attempt"], counted.sent
    assert "programme_enrolment" in counted.sent[0]
    for table in ("quiz_allowance", "module_completion", "lesson_progress", "survey_completion"):
        assert table in counted.sent[1]
    assert (counted.begins, counted.commits, counted.checkouts) == (1, 0, 1)
    if counted.dialect == "postgresql":  # a read-only page: no BEGIN or ROLLBACK round trip
        assert counted.autocommit == [True, True]


def test_the_landing_page_names_the_course_without_reading_it(app, lti, sample_content):
    """"You came from <course>": the course's name as the launch stored it, kept in the
    session; a session without it (started before) reads the course."""
    lti.launch(persona="learner")
    came_from = '<span class="course-title">Workplace Wellbeing Essentials</span>'
    with Statements(app) as counted:
        page = lti.client.get("/").get_data(as_text=True)
    assert came_from in page
    assert "course" not in counted.tables(), counted.sent
    with lti.client.session_transaction() as kept:
        del kept["course_title"]
    with Statements(app) as counted:
        page = lti.client.get("/").get_data(as_text=True)
    assert came_from in page and "course" in counted.tables()


def test_the_landing_page_costs_the_same_whatever_the_person_has_done(app, lti,
                                                                     shipped_content):
    """Set-based: lessons, completions, every quiz's tries and allowances are one statement
    however many modules and quizzes the path has and whatever the person did in them,
    and each module still says the right thing (completed, a try in progress, a retake
    ready, a retake waiting)."""
    from lms_plugin.quiz.models import QuizAllowance, QuizAttempt
    from lms_plugin.training.models import LessonProgress
    from lms_plugin.users.models import User

    lti.launch(persona="learner")
    with app.app_context():
        me = db.session.scalars(db.select(User).where(User.sub == "demo-learner-1")).one()
        factories.enrolled(me, "peer-supporter")  # the path: every module with a quiz
        me_id = me.id
        db.session.commit()
    assert lti.client.get("/").status_code == 200
    with Statements(app) as counted:
        fresh = lti.client.get("/")
    assert fresh.status_code == 200
    now = datetime.now(UTC)
    with app.app_context():
        me = db.session.get(User, me_id)
        factories.completed(me, "supporting-a-colleague")
        db.session.add(LessonProgress(user_id=me.id, module_slug="awareness",
                                      lesson_id="awareness-1", module_version="v1"))
        tries = {"awareness": now - timedelta(hours=2),  # failed, long ago: ready
                 "boundaries": now - timedelta(minutes=5)}  # failed just now: a wait
        for slug, when in tries.items():
            db.session.add(QuizAttempt(user_id=me.id, quiz_slug=slug, quiz_version="v1",
                                       layout_json="[]", started_at=when, submitted_at=when,
                                       score=40, passed=False))
        db.session.add(QuizAttempt(user_id=me.id, quiz_slug="skills", quiz_version="v1",
                                   layout_json="[]", started_at=now))  # in progress
        db.session.add(QuizAllowance(user_id=me.id, quiz_slug="awareness", extra_attempts=2,
                                     updated_at=now))
        db.session.commit()
    with Statements(app) as busy:
        page = lti.client.get("/")
    assert page.status_code == 200
    assert len(counted.sent) == len(busy.sent) == 2, busy.sent
    html = page.get_data(as_text=True)
    assert "<strong>Completed</strong>" in html
    assert "You can retake the quiz now (4 tries left)" in html  # 3 + 2 granted - 1 used
    assert "Quiz retake waiting" in html and "(2 tries left)" in html
    assert "You have a quiz try in progress" in html


def test_the_verification_page_is_one_statement(app, client, sample_content):
    """Public, no session: the certificate by its code (not its evidence snapshot, which
    can be long and is never shown), and nothing else."""
    with app.app_context():
        holder = factories.user("Certified Person")
        db.session.add(Certificate(
            user_id=holder.id, programme_slug="listener", programme_version="v1",
            code="QFXCATE2345BENCHCERT", holder_name=holder.name,
            issued_at=datetime.now(UTC), expires_at=datetime.now(UTC) + timedelta(days=700),
            current_key=f"{holder.id}:listener", evidence_json="{}"))
        db.session.commit()
    assert client.get("/verify/QFXCATE2345BENCHCERT").status_code == 200
    with Statements(app) as counted:
        page = client.get("/verify/QFXCATE2345BENCHCERT")
    assert page.status_code == 200 and "Certified Person" in page.get_data(as_text=True)
    assert counted.tables() == ["certificate"], counted.sent
    if counted.dialect == "postgresql":
        assert counted.autocommit == [True]
    assert "evidence_json" not in counted.sent[0]  # a verifier sees none of the evidence
    assert (counted.begins, counted.commits) == (1, 0)
