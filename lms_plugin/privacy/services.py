"""Erasure of a person and retention periods. Certificates already issued are kept, by
policy, as a minimal record (name, programme, dates, code) so they can still be verified
and revoked; everything else about the person goes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, update

from ..certification.models import (
    AttestationSignature,
    AuditEvent,
    Certificate,
    DirectoryListing,
    LoggedHours,
    ProgrammeEnrolment,
    Reminder,
    SupervisorAssignment,
    Waiver,
)
from ..certification.services import audit
from ..extensions import db
from ..lti.models import AgsEndpoint
from ..quiz.models import QuizAttempt
from ..reporting.models import SurveyCompletion
from ..training.models import LearnerModule, LearnerProgress, LessonProgress, ModuleCompletion
from ..users.models import Enrollment, MentorScope, User

ERASED_NAME = "Erased person"


def erase_person(person: User, admin: User) -> dict[str, int]:
    """Remove everything about a person but the minimal record of certificates issued.
    Returns what was removed, by kind. Flushes; the caller commits."""
    uid = person.id
    removed: dict[str, int] = {}
    for name, model, column in (
        ("lessons", LessonProgress, LessonProgress.user_id),
        ("module completions", ModuleCompletion, ModuleCompletion.user_id),
        ("module progress", LearnerModule, LearnerModule.user_id),
        ("progress counters", LearnerProgress, LearnerProgress.user_id),
        ("quiz attempts", QuizAttempt, QuizAttempt.user_id),
        ("survey records", SurveyCompletion, SurveyCompletion.user_id),
        ("logged hours", LoggedHours, LoggedHours.user_id),
        ("attestations", AttestationSignature, AttestationSignature.user_id),
        ("waivers", Waiver, Waiver.user_id),
        ("directory listing", DirectoryListing, DirectoryListing.user_id),
        ("supervisor assignments", SupervisorAssignment, SupervisorAssignment.trainee_id),
        ("programme enrolments", ProgrammeEnrolment, ProgrammeEnrolment.user_id),
        ("mentor scopes", MentorScope, MentorScope.mentor_id),
        ("grade endpoints", AgsEndpoint, AgsEndpoint.user_id),
        ("enrolments", Enrollment, Enrollment.user_id),
    ):
        result = db.session.execute(delete(model).where(column == uid))
        removed[name] = int(getattr(result, "rowcount", 0) or 0)
    db.session.execute(delete(SupervisorAssignment).where(
        SupervisorAssignment.supervisor_id == uid))
    db.session.execute(update(Certificate).where(Certificate.user_id == uid).values(
        evidence_json="{}"))
    person.name, person.email, person.department = ERASED_NAME, None, None
    person.sub = f"erased-{uuid.uuid4().hex}"  # a relaunch starts a new, empty record
    db.session.flush()
    audit("person.erase", admin, person, None, removed=removed)
    return removed


@dataclass(frozen=True)
class Retention:
    attempt_details_days: int
    reflections_days: int
    audit_days: int


def retention_policy() -> Retention:
    c = current_app.config
    return Retention(int(c["LMS_PLUGIN_RETENTION_ATTEMPT_DETAILS_DAYS"]),
                     int(c["LMS_PLUGIN_RETENTION_REFLECTIONS_DAYS"]),
                     int(c["LMS_PLUGIN_RETENTION_AUDIT_DAYS"]))


def purge(now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Apply the retention periods: the answers of old quiz attempts (the score stays),
    the reflections of old decided hours (the hours stay), old audit events."""
    now = now or datetime.now(UTC)
    policy = retention_policy()
    attempts = update(QuizAttempt).where(
        QuizAttempt.submitted_at.is_not(None),
        QuizAttempt.submitted_at < now - timedelta(days=policy.attempt_details_days),
        QuizAttempt.answers_json != "{}").values(answers_json="{}")
    reflections = update(LoggedHours).where(
        LoggedHours.reflection.is_not(None), LoggedHours.decided_at.is_not(None),
        LoggedHours.decided_at < now - timedelta(days=policy.reflections_days)
    ).values(reflection=None)
    events = delete(AuditEvent).where(
        AuditEvent.at < now - timedelta(days=policy.audit_days))
    reminders = delete(Reminder).where(Reminder.due_at < now - timedelta(days=policy.audit_days))
    counts = {}
    for name, statement in (("quiz attempt answers", attempts),
                            ("hour reflections", reflections),
                            ("audit events", events), ("old reminders", reminders)):
        result = db.session.execute(statement)
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return counts
