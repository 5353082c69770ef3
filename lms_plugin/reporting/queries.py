"""Report queries: SQL aggregations (never a Python loop over people) that return count
tables for `suppression.suppress`. Every query is scoped to one organisation and
optionally to a course and a department."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)

from ..certification.models import (
    APPROVED,
    PENDING,
    PRACTICE,
    Certificate,
    LoggedHours,
    ProgrammeEnrolment,
)
from ..certification.schema import Programme
from ..extensions import db
from ..training.models import LearnerModule, LearnerProgress
from ..users.models import LEARNER, Course, Enrollment, User
from .suppression import CountTable

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
PROGRESS = (NOT_STARTED, IN_PROGRESS, COMPLETED)
PROGRESS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress",
                   COMPLETED: "Completed"}
NO_DEPARTMENT = "Not recorded"

PIPELINE = ("enrolled", "awaiting_approval", "ready", "certified", "expiring_30",
            "expiring_60", "expiring_90", "in_grace", "lapsed", "revoked")
PIPELINE_LABELS = {
    "enrolled": "Enrolled, in training", "awaiting_approval": "Hours awaiting approval",
    "ready": "Practice complete, not yet certified", "certified": "Certified",
    "expiring_30": "Expiring within 30 days", "expiring_60": "Expiring in 31-60 days",
    "expiring_90": "Expiring in 61-90 days", "in_grace": "Expired, in grace period",
    "lapsed": "Lapsed", "revoked": "Revoked",
}


@dataclass(frozen=True)
class Filters:
    organisation_id: int
    course_id: int | None = None
    department: str | None = None

    def broader(self) -> list[Filters]:
        """Every view with one or more filters removed: the views a person could subtract
        this one from."""
        set_ = [name for name in ("course_id", "department") if getattr(self, name) is not None]
        views = []
        for n in range(1, len(set_) + 1):
            for names in combinations(set_, n):
                changes: dict[str, Any] = {name: None for name in names}
                views.append(replace(self, **changes))
        return views


def in_scope(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on User for the learners in scope: an active learner enrolment (in the
    course, if filtered) in the organisation (and the department, if filtered). A
    correlated EXISTS, so the database can probe it per row or hash it, as it sees fit."""
    enrolled = exists().where(Enrollment.user_id == User.id, Enrollment.active.is_(True),
                              Enrollment.roles.contains(LEARNER))
    if filters.course_id is not None:
        enrolled = enrolled.where(Enrollment.course_id == filters.course_id)
    conditions: list[ColumnElement[bool]] = [User.organisation_id == filters.organisation_id,
                                                  enrolled]
    if filters.department is not None:
        conditions.append(_department(User.department) == filters.department)
    return conditions


def population(filters: Filters) -> Select[Any]:
    """The learners in scope, as (user_id)."""
    return select(User.id.label("user_id")).where(*in_scope(filters))


def _department(column: Any) -> ColumnElement[str]:
    return func.coalesce(column, NO_DEPARTMENT)


def module_progress(filters: Filters, modules: list[str]) -> CountTable:
    total = db.session.scalar(select(func.count()).select_from(User)
                              .where(*in_scope(filters))) or 0
    rows = db.session.execute(
        select(LearnerModule.module_slug, func.count(), func.count(LearnerModule.completed_at))
        .join(User, User.id == LearnerModule.user_id).where(*in_scope(filters))
        .group_by(LearnerModule.module_slug)).all()
    seen = {module: (int(s), int(d)) for module, s, d in rows}
    counts = {}
    for module in modules:
        s, d = seen.get(module, (0, 0))
        counts.update({(module, NOT_STARTED): total - s, (module, IN_PROGRESS): s - d,
                       (module, COMPLETED): d})
    return CountTable(tuple(modules), PROGRESS, counts)


def _person_status(modules: list[str]) -> Any:
    """Per person: completed (every module done), in progress (anything started) or not
    started, from the kept-up-to-date counters."""
    return case(
        (func.coalesce(LearnerProgress.modules_completed, 0) >= len(modules),
         literal(COMPLETED)),
        (func.coalesce(LearnerProgress.modules_started, 0) > 0, literal(IN_PROGRESS)),
        else_=literal(NOT_STARTED))


def progress_by_course(filters: Filters, modules: list[str]) -> tuple[CountTable, dict[str, str]]:
    status = _person_status(modules)
    query = (select(Course.id, Course.title, Course.context_id, status.label("status"),
                    func.count())
             .select_from(Enrollment)
             .join(Course, Course.id == Enrollment.course_id)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(LearnerProgress, LearnerProgress.user_id == Enrollment.user_id)
             .where(User.organisation_id == filters.organisation_id, Enrollment.active.is_(True),
                    Enrollment.roles.contains(LEARNER)))
    if filters.course_id is not None:
        query = query.where(Enrollment.course_id == filters.course_id)
    if filters.department is not None:
        query = query.where(_department(User.department) == filters.department)
    rows = db.session.execute(query.group_by(Course.id, Course.title, Course.context_id,
                                             status)).all()
    labels: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for course_id, title, context_id, state, n in rows:
        key = str(course_id)
        labels[key] = title or context_id
        counts[(key, state)] = int(n)
    order = tuple(sorted(labels, key=lambda k: labels[k].lower()))
    return CountTable(order, PROGRESS, counts), labels


def progress_by_department(filters: Filters, modules: list[str]) -> CountTable:
    status = _person_status(modules)
    department = _department(User.department)
    rows = db.session.execute(
        select(department, status.label("status"), func.count())
        .select_from(User).where(*in_scope(filters))
        .outerjoin(LearnerProgress, LearnerProgress.user_id == User.id)
        .group_by(department, status)).all()
    counts = {(dept, state): int(n) for dept, state, n in rows}
    order = tuple(sorted({dept for dept, _ in counts}, key=str.lower))
    return CountTable(order, PROGRESS, counts)


def week_start(column: Any) -> Any:
    """The Monday of the column's week, as a date, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.date_trunc("week", column))
    return func.date(column, "weekday 0", "-6 days")


def weekly_completions(filters: Filters, modules: list[str], weeks: int = 12,
                       today: date | None = None) -> CountTable:
    today = today or datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    week = week_start(LearnerModule.completed_at)
    rows = db.session.execute(
        select(week, LearnerModule.module_slug, func.count())
        .join(User, User.id == LearnerModule.user_id)
        .where(*in_scope(filters), LearnerModule.module_slug.in_(modules),
               LearnerModule.completed_at >= datetime.combine(first, datetime.min.time(), UTC))
        .group_by(week, LearnerModule.module_slug)).all()
    order = tuple((first + timedelta(weeks=i)).isoformat() for i in range(weeks))
    counts = {(str(w)[:10], m): int(n) for w, m, n in rows if m in modules}
    return CountTable(order, tuple(modules), counts)


def pipeline_status(programme: Programme, now: datetime | None = None) -> tuple[Any, Any]:
    """(status expression, from-clause) classifying each ProgrammeEnrolment."""
    now = now or datetime.now(UTC)
    practice = programme.practice
    hours = (select(
        LoggedHours.user_id,
        func.sum(case((and_(LoggedHours.status == APPROVED, LoggedHours.category == PRACTICE,
                            LoggedHours.kind.in_(practice.counts)), LoggedHours.hours),
                      else_=0)).label("practice"),
        func.sum(case((and_(LoggedHours.status == APPROVED, LoggedHours.category == PRACTICE,
                            LoggedHours.kind.in_(practice.supervision_kinds)),
                       LoggedHours.hours), else_=0)).label("supervision"),
        func.sum(case((LoggedHours.status == PENDING, 1), else_=0)).label("pending"))
        .where(LoggedHours.programme_slug == programme.id)
        .group_by(LoggedHours.user_id).subquery())
    cert = (select(Certificate.user_id, Certificate.expires_at, Certificate.revoked_at)
            .where(Certificate.programme_slug == programme.id,
                   Certificate.current_key.is_not(None)).subquery())
    grace = timedelta(days=programme.renewal.grace_days)
    status = case(
        (cert.c.revoked_at.is_not(None), literal("revoked")),
        (cert.c.expires_at < now - grace, literal("lapsed")),
        (cert.c.expires_at < now, literal("in_grace")),
        (cert.c.expires_at < now + timedelta(days=30), literal("expiring_30")),
        (cert.c.expires_at < now + timedelta(days=60), literal("expiring_60")),
        (cert.c.expires_at < now + timedelta(days=90), literal("expiring_90")),
        (cert.c.user_id.is_not(None), literal("certified")),
        (func.coalesce(hours.c.pending, 0) > 0, literal("awaiting_approval")),
        (and_(func.coalesce(hours.c.practice, 0) >= practice.supervised_hours,
              func.coalesce(hours.c.supervision, 0) >= practice.supervision_hours),
         literal("ready")),
        else_=literal("enrolled"))
    source = (select(ProgrammeEnrolment.user_id).where(
        ProgrammeEnrolment.programme_slug == programme.id).subquery())
    joined = (source.outerjoin(hours, hours.c.user_id == source.c.user_id)
              .outerjoin(cert, cert.c.user_id == source.c.user_id))
    return status, (joined, source)


def certification_pipeline(filters: Filters, programme: Programme,
                           now: datetime | None = None) -> CountTable:
    status, (joined, source) = pipeline_status(programme, now)
    rows = db.session.execute(
        select(status, func.count()).select_from(joined.join(User, User.id == source.c.user_id))
        .where(*in_scope(filters)).group_by(status)).all()
    return CountTable(PIPELINE, ("people",), {(s, "people"): int(n) for s, n in rows})


def pipeline_people(filters: Filters, programme: Programme, state: str, limit: int = 500,
                    now: datetime | None = None) -> list[tuple[int, str | None, str | None]]:
    """The people in one pipeline state (admins only; the view audits it)."""
    status, (joined, source) = pipeline_status(programme, now)
    rows = db.session.execute(
        select(User.id, User.name, User.department).select_from(joined)
        .join(User, User.id == source.c.user_id)
        .where(*in_scope(filters), status == state)
        .order_by(User.name, User.id).limit(limit)).all()
    return [(int(i), n, d) for i, n, d in rows]


def departments(organisation_id: int) -> list[str]:
    return sorted(db.session.scalars(
        select(_department(User.department)).distinct()
        .where(User.organisation_id == organisation_id)),
        key=str.lower)


def courses(organisation_id: int) -> list[Course]:
    return list(db.session.scalars(select(Course).where(
        Course.organisation_id == organisation_id)
                                   .order_by(Course.title)))


def learner_search(filters: Filters, text: str, limit: int = 50) -> list[User]:
    pattern = f"%{text.strip()}%"
    return list(db.session.scalars(
        select(User).where(*in_scope(filters))
        .where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
        .order_by(User.name).limit(limit)))
