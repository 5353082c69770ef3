"""Erasure of a person and retention periods. What erasure does to each kind of personal
data is declared beside its model and read through `registry.items()`, as the export
reads it: certificates already issued are kept, by policy, as a minimal record (name,
programme, dates, code) so they can still be verified and revoked; everything else about
the person goes or, where it is someone else's record, points at an "Erased person"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, update

from ..audit import AuditEvent, audit
from ..certification.models import LoggedHours, Reminder
from ..extensions import db
from ..notifications.services import erasure_done
from ..quiz.models import QuizAttempt
from ..users.models import User
from . import registry


def erase_person(person: User, admin: User) -> dict[str, int]:
    """Remove everything about a person but the minimal record of certificates issued.
    Returns what was removed, by kind. Flushes; the caller commits."""
    address = person.email  # for the "erasure done" e-mail only; erasure removes it here
    removed = registry.erase(person)
    audit("person.erase", admin, person, None, removed=removed)
    erasure_done(person, address)
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
