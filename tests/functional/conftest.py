"""Functional tests' shared fixtures: `world`, the people of two organisations and their
records that the authorization matrix and the tests built on it open every URL with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.enrolments import enrol
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import LoggedHours
from lms_plugin.certification.supervisors import assign_supervisor
from lms_plugin.content.models import ContentVersion
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.users.models import Course
from tests.support import factories
from tests.support.authorization import OTHER_ISSUER, OTHER_ORG_ROLES, Person, World


@pytest.fixture
def world(app, sample_content) -> World:
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        this_supervisor = factories.user("Jordan Lee", roles="mentor")
        other_supervisor = factories.user("Other Mentor", roles="mentor")
        someone = factories.user("Someone Else")
        factories.mentor_of(this_supervisor, trainee)
        factories.mentor_of(other_supervisor, someone)
        other_course = Course(organisation_id=factories.organisation_of(factories.ISSUER),
                              issuer=factories.ISSUER, context_id="course-2", title="Two")
        db.session.add(other_course)
        db.session.flush()
        instructor = factories.user("Ines Tructor", roles="instructor", course=other_course)
        learner = factories.user("Alex Morgan")
        admin = factories.user("Riley Chen", roles="admin")
        factories.completed(trainee, "listening", 90)
        enrol(trainee, "listener").enrolled_at -= timedelta(days=7)  # before yesterday's hours
        yesterday = datetime.now(UTC) - timedelta(days=1)

        def log(hours: str, kind: str = "peer-conversation") -> LoggedHours:
            return log_hours(trainee, "listener", category="practice", kind=kind,
                             hours=Decimal(hours), activity_date=yesterday,
                             supervisor=this_supervisor, reflection=None)

        decide_hours(log("3"), this_supervisor, True, "")
        decide_hours(log("1", "supervision"), this_supervisor, True, "")
        rejected = log("1")
        decide_hours(rejected, this_supervisor, False, "Too vague")
        pending = log("2")
        certificate = sign_attestation(trainee, "listener", "code-of-conduct")
        assert certificate is not None
        assignment = assign_supervisor(trainee, other_supervisor, "listener", admin)
        version = db.session.scalar(select(ContentVersion.version).where(
            ContentVersion.kind == "quiz", ContentVersion.slug == "listening",
            ContentVersion.is_current))
        attempt = QuizAttempt(user_id=trainee.id, quiz_slug="listening", quiz_version=version,
                              layout_json="[]", answers_json="{}")
        db.session.add(attempt)
        db.session.commit()
        # The same roles in a second organisation (another LMS registered with the tool).
        other_org = {role: factories.user(f"Other org {role}", roles=tool_roles,
                                          issuer=OTHER_ISSUER)
                     for role, tool_roles in OTHER_ORG_ROLES.items()}
        db.session.commit()
        own = {"learner": Person(learner.id, ["learner"], learner.session_version),
               "trainee": Person(trainee.id, ["learner"], trainee.session_version),
               "supervisor_other": Person(other_supervisor.id, ["mentor"],
                                          other_supervisor.session_version),
               "supervisor_this": Person(this_supervisor.id, ["mentor"],
                                         this_supervisor.session_version),
               "instructor_other": Person(instructor.id, ["instructor"],
                                          instructor.session_version),
               "admin": Person(admin.id, ["admin", "instructor"], admin.session_version)}
        other = {role: Person(other_org[role].id, tool_roles.split(),
                              other_org[role].session_version)
                 for role, tool_roles in OTHER_ORG_ROLES.items()}
        values = {
            "slug": "listener", "code": certificate.code, "certificate_id": certificate.id,
            "entry_id": pending.id, "attempt_id": attempt.id, "user_id": trainee.id,
            "assignment_id": assignment.id, "course_id": other_course.id, "key": "modules",
            "state": "certified", "attestation_id": "code-of-conduct", "number": 1,
            "roleplay": "opening",
            "launch_id": "not-a-launch", "phase": "pre",
        }
        return World(own, other, values, rejected.id)
