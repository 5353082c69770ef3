"""Small factories for test data: plain functions over the models, never hand-written SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lms_plugin.certification.enrolments import enrol
from lms_plugin.certification.models import ProgrammeEnrolment
from lms_plugin.extensions import db
from lms_plugin.training.models import ModuleCompletion
from lms_plugin.users.models import Course, Enrollment, MentorScope, Organisation, User

ISSUER = "https://lms.example.org"


def organisation_of(issuer: str) -> int:
    """The organisation a registered platform of this issuer belongs to (so people made
    here and people who launch from it are colleagues), else one named after the issuer."""
    from lms_plugin.lti.models import Platform

    registered = db.session.query(Platform.organisation_id).filter_by(issuer=issuer).first()
    if registered is not None:
        return int(registered[0])
    found = db.session.query(Organisation).filter_by(name=issuer).first()
    if found is None:
        found = Organisation(name=issuer)
        db.session.add(found)
        db.session.flush()
    return found.id


def user(name: str = "Test Person", roles: str = "learner", issuer: str = ISSUER,
         sub: str | None = None, course: Course | None = None) -> User:
    person = User(organisation_id=organisation_of(issuer), issuer=issuer,
                  sub=sub or uuid.uuid4().hex[:10], name=name)
    db.session.add(person)
    db.session.flush()
    course = course or get_course(issuer)
    db.session.add(Enrollment(user_id=person.id, course_id=course.id, roles=roles))
    db.session.flush()
    return person


def get_course(issuer: str = ISSUER, context_id: str = "course-1") -> Course:
    found = db.session.query(Course).filter_by(issuer=issuer, context_id=context_id).first()
    if found is None:
        found = Course(organisation_id=organisation_of(issuer), issuer=issuer,
                       context_id=context_id, title="Course one")
        db.session.add(found)
        db.session.flush()
    return found


def mentor_of(mentor: User, *trainees: User) -> None:
    for trainee in trainees:
        db.session.add(MentorScope(mentor_id=mentor.id, mentee_sub=trainee.sub))
    db.session.flush()


def completed(person: User, module: str, score: float = 90, version: str = "v1") -> None:
    db.session.add(ModuleCompletion(user_id=person.id, module_slug=module, module_version=version,
                                    quiz_score=score, completed_at=datetime.now(UTC)))
    db.session.flush()


def enrolled(person: User, slug: str, days_ago: int = 7) -> ProgrammeEnrolment:
    """Enrolled in a programme `days_ago` days ago: hours may not be dated before enrolment,
    so tests that log yesterday's hours enrol earlier than that."""
    enrolment = enrol(person, slug)
    enrolment.enrolled_at = datetime.now(UTC) - timedelta(days=days_ago)
    db.session.flush()
    return enrolment
