"""Logged hours: a trainee logs, corrects, withdraws; a supervisor approves or rejects
(approval may issue the certificate in the same transaction)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, func, literal, select

from ..audit import audit
from ..content.programme_schema import Programme
from ..extensions import db
from ..users.models import User
from .certificates import issue_certificate_if_due
from .clock import aware, now
from .enrolments import CertificationError, get_enrolment, get_programme
from .entries import earliest_day, entry_problem, latest_day
from .models import APPROVED, PENDING, REJECTED, Certificate, LoggedHours, ProgrammeEnrolment
from .privacy import ADVICE, find_identifiers
from .signals import hours_decided
from .supervisors import may_supervise


def hours_awaiting(supervisor: User) -> list[LoggedHours]:
    """Entries waiting for this supervisor's decision, oldest first."""
    return list(db.session.scalars(select(LoggedHours).where(
        LoggedHours.supervisor_id == supervisor.id, LoggedHours.status == PENDING)
        .order_by(LoggedHours.created_at, LoggedHours.id)))


def hours_awaiting_count(person_id: ColumnElement[Any]) -> ColumnElement[int]:
    """How many entries wait for this person's decision, as an expression on their id (a
    session fact: read with the person on every page, for the header's badge)."""
    return select(func.count()).select_from(LoggedHours).where(
        LoggedHours.supervisor_id == person_id, LoggedHours.status == PENDING
    ).scalar_subquery()


def count_hours_awaiting(supervisor: User) -> int:
    """How many entries wait for this supervisor's decision (the header's badge)."""
    return db.session.scalar(select(hours_awaiting_count(literal(supervisor.id)))) or 0


def counts_from(programme: Programme, enrolment: ProgrammeEnrolment) -> datetime:
    """The earliest moment an entry may be dated: enrolling, or after a re-enrolment the
    first day the programme's `reenrolment` rule still counts (rules.counted_evidence)."""
    if enrolment.reenrolled_at is None:
        return aware(enrolment.enrolled_at)
    return aware(enrolment.reenrolled_at) - timedelta(
        days=programme.reenrolment.hours_within_days)


def _check_entry(trainee: User, slug: str, *, category: str, kind: str, hours: Decimal | None,
                 activity_date: date, zone: tzinfo | None, supervisor: User | None,
                 reflection: str | None) -> datetime:
    """The one check of what a trainee logs, new or corrected; raises CertificationError
    naming the field. Returns the moment stored for the day: noon UTC, which shows as that
    same calendar day."""
    programme = get_programme(slug).document
    enrolment = get_enrolment(trainee, slug)
    if enrolment is None:
        raise CertificationError(gettext("Enrol in the programme before logging hours."))
    if isinstance(activity_date, datetime):  # a moment: its UTC calendar day
        activity_date = aware(activity_date).astimezone(UTC).date()
    moment = now()
    problem = entry_problem(
        programme, category=category, kind=kind, hours=hours, day=activity_date,
        earliest=earliest_day(counts_from(programme, enrolment), zone),
        latest=latest_day(moment, zone))
    if problem is not None:
        raise CertificationError(problem.message, problem.field)
    if reflection and (found := find_identifiers(reflection)):
        joined = (" " + gettext("and") + " ").join(found)
        raise CertificationError(
            gettext("Your reflection seems to contain %(found)s. Change anything that could "
                    "identify the person you supported, then save again.", found=joined)
            + " " + gettext(ADVICE), "reflection")
    if supervisor is None or not may_supervise(supervisor, trainee, slug):
        raise CertificationError(gettext("Choose one of your supervisors."), "supervisor")
    return datetime.combine(activity_date, time(12), UTC)


def log_hours(trainee: User, slug: str, *, category: str, kind: str, hours: Decimal,
              activity_date: date, supervisor: User | None, reflection: str | None,
              zone: tzinfo | None = None) -> LoggedHours:
    """Record an entry for the supervisor to decide. `activity_date` is the calendar day in
    the person's `zone` (None: not known, see `entries`)."""
    stored_date = _check_entry(trainee, slug, category=category, kind=kind, hours=hours,
                               activity_date=activity_date, zone=zone, supervisor=supervisor,
                               reflection=reflection)
    assert supervisor is not None
    entry = LoggedHours(
        user_id=trainee.id, programme_slug=slug, category=category, kind=kind, hours=hours,
        activity_date=stored_date, supervisor_id=supervisor.id,
        reflection=(reflection or "").strip()[:1000] or None, status=PENDING,
        created_at=now(),
    )
    db.session.add(entry)
    db.session.flush()
    audit("hours.log", trainee, trainee, entry, hours=str(hours), kind=kind)
    return entry


def decide_hours(entry: LoggedHours, supervisor: User, approve: bool, reason: str
                 ) -> Certificate | None:
    """Approve or reject with a reason. Approval may complete the requirements: then the
    certificate is issued in the same transaction."""
    trainee = db.session.get(User, entry.user_id)
    assert trainee is not None
    if supervisor.id == trainee.id:
        raise CertificationError(gettext("Nobody approves their own hours."))
    if not may_supervise(supervisor, trainee, entry.programme_slug):
        raise CertificationError(gettext("You are not a supervisor of this trainee."))
    if entry.status != PENDING:
        raise CertificationError(gettext("This entry has already been decided."))
    reason = reason.strip()
    if not approve and not reason:
        raise CertificationError(gettext("Give the trainee a reason when you reject an entry."),
                                 "reason")
    entry.status = APPROVED if approve else REJECTED
    entry.decided_by_id = supervisor.id
    entry.decided_at = now()
    entry.decision_reason = reason[:2000] or None
    db.session.flush()
    audit("hours.approve" if approve else "hours.reject", supervisor, trainee, entry,
          reason=reason)
    hours_decided.send(entry)
    return issue_certificate_if_due(trainee, entry.programme_slug) if approve else None


def resubmit_hours(entry: LoggedHours, trainee: User, *, hours: Decimal, kind: str,
                   activity_date: date, reflection: str | None,
                   category: str | None = None, supervisor: User | None = None,
                   zone: tzinfo | None = None) -> LoggedHours:
    """Correct a rejected entry and send it back for a decision, or edit one still waiting
    for it, checked exactly as a new entry is. The category and supervisor stay as they
    were unless given."""
    if entry.user_id != trainee.id or entry.status not in (REJECTED, PENDING):
        raise CertificationError(gettext(
            "Only an entry of yours that is waiting or was rejected can be changed."))
    was_rejected = entry.status == REJECTED
    category = category or entry.category
    if supervisor is None and entry.supervisor_id is not None:
        supervisor = db.session.get(User, entry.supervisor_id)
    stored_date = _check_entry(trainee, entry.programme_slug, category=category, kind=kind,
                               hours=hours, activity_date=activity_date, zone=zone,
                               supervisor=supervisor, reflection=reflection)
    assert supervisor is not None
    entry.category, entry.kind, entry.hours = category, kind, hours
    entry.activity_date, entry.supervisor_id = stored_date, supervisor.id
    entry.reflection = (reflection or "").strip()[:1000] or None
    entry.status, entry.decided_at, entry.decided_by_id = PENDING, None, None
    if was_rejected:
        entry.submissions += 1
    db.session.flush()
    audit("hours.resubmit" if was_rejected else "hours.edit", trainee, trainee, entry)
    return entry


def withdraw_hours(entry: LoggedHours, trainee: User) -> None:
    """A trainee takes back an entry their supervisor has not decided yet."""
    if entry.user_id != trainee.id or entry.status != PENDING:
        raise CertificationError(gettext(
            "Only an entry of yours that is still waiting can be withdrawn."))
    audit("hours.withdraw", trainee, trainee, entry, hours=str(entry.hours), kind=entry.kind)
    db.session.delete(entry)
    db.session.flush()


def delete_reflection(entry: LoggedHours, trainee: User) -> None:
    """A trainee deletes the text of a rejected entry (it may hold a detail that should
    not be kept); the hours themselves stay, to correct or leave."""
    if entry.user_id != trainee.id or entry.status != REJECTED:
        raise CertificationError(gettext(
            "Only the text of a rejected entry of yours can be deleted."))
    entry.reflection = None
    db.session.flush()
    audit("hours.reflection_delete", trainee, trainee, entry)
