"""What the admin area reads: people search, a person's record (status, dates and numbers
only: never answers, reflections or survey answers), the erasure requests queue and the
audit log, each scoped to one organisation."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..audit import AuditEvent
from ..certification.models import ProgrammeEnrolment
from ..certification.rules import STATUS_LABELS
from ..certification.standing import get_standing
from ..content.services import get_catalog
from ..extensions import db
from ..i18n import N_
from ..quiz.models import QuizAttempt
from ..quiz.rules import Eligibility, Retake
from ..quiz.services import get_allowance, get_eligibility, get_retake
from ..training.models import ModuleCompletion
from ..users.models import Enrollment, User

PER_PAGE = 50
SORTS = {"name": N_("Name"), "department": N_("Department"),  # labels: shown translated
         "last_launch": N_("Last opened the tool")}
ERASURE_REQUEST, ERASED = "privacy.erasure_request", "person.erase"


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive "contains", with % and _ taken literally, on SQLite and PostgreSQL."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- people ---------------------------------------------------------------------------------


def people_query(organisation_id: int, text: str, sort: str) -> Select[Any]:
    """Everyone of the organisation the tool knows (launched, or on a course roster), but
    erased people, matching `text` in name, e-mail or department."""
    query = select(User).where(User.organisation_id == organisation_id,
                               ~User.sub.startswith("erased-"))
    if text:
        query = query.where(or_(_contains(User.name, text), _contains(User.email, text),
                                _contains(User.department, text)))
    by_name = (User.name.is_(None), func.lower(User.name), User.id)
    if sort == "department":
        return query.order_by(User.department.is_(None), func.lower(User.department), *by_name)
    if sort == "last_launch":
        return query.order_by(User.last_launch_at.is_(None), User.last_launch_at.desc(),
                              *by_name)
    return query.order_by(*by_name)


@dataclass(frozen=True)
class PersonRow:
    person: User
    roles: list[str]
    modules_done: int
    programmes: list[tuple[str, str]]  # (programme title, status label)


ROLE_LABELS = {"learner": "Learner", "instructor": "Instructor", "admin": "L&D admin",
               "mentor": "Supervisor"}


def roles_of(enrollments: Sequence[Enrollment]) -> list[str]:
    roles = {role for e in enrollments if e.active for role in e.roles.split()}
    return [ROLE_LABELS.get(r, r.capitalize()) for r in sorted(roles)]


def search_people(organisation_id: int, text: str, sort: str, page: int
                  ) -> tuple[list[PersonRow], int]:
    """One page of people, and how many match in all."""
    query = people_query(organisation_id, text, sort)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None)
                                                                 .subquery())) or 0
    people: list[User] = list(db.session.scalars(
        query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    ids = [p.id for p in people]
    done = dict(db.session.execute(
        select(ModuleCompletion.user_id, func.count()).where(ModuleCompletion.user_id.in_(ids))
        .group_by(ModuleCompletion.user_id)).all()) if ids else {}
    enrollments: dict[int, list[Enrollment]] = {}
    for e in db.session.scalars(select(Enrollment).where(Enrollment.user_id.in_(ids))):
        enrollments.setdefault(e.user_id, []).append(e)
    in_programme: dict[int, list[str]] = {}
    for user_id, slug in db.session.execute(select(
            ProgrammeEnrolment.user_id, ProgrammeEnrolment.programme_slug).where(
            ProgrammeEnrolment.user_id.in_(ids))):
        in_programme.setdefault(user_id, []).append(slug)
    rows = []
    for person in people:
        programmes = []
        for slug in sorted(in_programme.get(person.id, [])):
            standing = get_standing(person, slug)
            if standing is not None:
                programmes.append((standing.programme.document.title,
                                   STATUS_LABELS[standing.evaluation.status]))
        rows.append(PersonRow(person, roles_of(enrollments.get(person.id, [])),
                              done.get(person.id, 0), programmes))
    return rows, total


@dataclass(frozen=True)
class QuizStanding:
    """One module's training record for one person: numbers and dates only."""

    module_slug: str
    module_title: str
    completed_at: datetime | None
    quiz_slug: str | None
    quiz_title: str | None
    best: float | None
    attempts_used: int
    attempts_allowed: int  # 0: unlimited (the quiz's own limit)
    extra_attempts: int
    eligibility: Eligibility | None
    retake: Retake | None


def training_record(person: User) -> list[QuizStanding]:
    catalog = get_catalog()
    quizzes = {q.document.module: q for q in catalog.quizzes.values()}
    completions = {c.module_slug: c.completed_at for c in db.session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == person.id))}
    scores = {slug: (best, used) for slug, best, used in db.session.execute(
        select(QuizAttempt.quiz_slug, func.max(QuizAttempt.score), func.count())
        .where(QuizAttempt.user_id == person.id, QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.quiz_slug))}
    record = []
    for module in catalog.ordered_modules():
        content = quizzes.get(module.slug)
        if content is None:
            record.append(QuizStanding(module.slug, module.meta.title,
                                       completions.get(module.slug), None, None, None, 0, 0,
                                       0, None, None))
            continue
        best, used = scores.get(content.slug, (None, 0))
        allowance = get_allowance(person.id, content.slug)
        record.append(QuizStanding(
            module.slug, module.meta.title, completions.get(module.slug), content.slug,
            content.document.title, float(best) if best is not None else None, int(used),
            content.document.attempts_allowed, allowance.extra_attempts if allowance else 0,
            get_eligibility(person, content.document), get_retake(person, content.document)))
    return record


# --- erasure requests -------------------------------------------------------------------------


def add_one_month(when: datetime) -> datetime:
    """The same day of the next month, or that month's last day (31 January -> 28 or 29
    February): GDPR Art. 12(3)'s "one month", as the ICO reads it."""
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return when.replace(year=year, month=month,
                        day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ErasureRequest:
    event_id: int
    person_id: int | None
    name: str
    received_at: datetime
    due_at: datetime
    done_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due_at


def _done_after(request: type[AuditEvent]) -> Any:
    done = aliased(AuditEvent)
    return (select(func.min(done.at)).where(
        done.action == ERASED, done.subject_id == request.subject_id,
        done.subject_id.is_not(None), done.at >= request.at)
        .correlate(request).scalar_subquery())


def erasure_requests(organisation_id: int, person_id: int | None = None
                     ) -> list[ErasureRequest]:
    """Every request in the organisation (or of one person in it): open ones first,
    soonest due; then done ones."""
    request = aliased(AuditEvent)
    query = (select(request.id, request.subject_id, request.at, User.name,
                    _done_after(request).label("done"))
             .outerjoin(User, User.id == request.subject_id)
             .where(request.organisation_id == organisation_id,
                    request.action == ERASURE_REQUEST))
    if person_id is not None:
        query = query.where(request.subject_id == person_id)
    rows = db.session.execute(
        query.order_by(request.at.desc(), request.id.desc()).limit(1000)).all()
    found = [ErasureRequest(r.id, r.subject_id, r.name or gettext("Name not shared by the LMS"),
                            _aware(r.at), add_one_month(_aware(r.at)),
                            _aware(r.done) if r.done else None) for r in rows]
    open_ = sorted((r for r in found if r.done_at is None), key=lambda r: r.due_at)
    return open_ + [r for r in found if r.done_at is not None]


def open_erasure_requests(organisation_id: int) -> int:
    request = aliased(AuditEvent)
    done = aliased(AuditEvent)
    return db.session.scalar(select(func.count()).select_from(request).where(
        request.organisation_id == organisation_id, request.action == ERASURE_REQUEST,
        ~exists().where(done.action == ERASED, done.subject_id == request.subject_id,
                        done.at >= request.at))) or 0


# --- audit log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    kind: str = ""
    who: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


def audit_events(organisation_id: int, filters: AuditFilters, page: int
                 ) -> tuple[list[AuditEvent], bool]:
    """One page, newest first, and whether there are older ones."""
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if filters.kind:
        query = query.where(AuditEvent.action == filters.kind)
    if filters.who:
        named = select(User.id).where(User.organisation_id == organisation_id,
                                      _contains(User.name, filters.who))
        query = query.where(or_(AuditEvent.actor_id.in_(named),
                                AuditEvent.subject_id.in_(named)))
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        query = query.where(and_(AuditEvent.at < datetime.combine(
            filters.until + timedelta(days=1), time(), UTC)))
    events = list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                     .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    return events[:PER_PAGE], len(events) > PER_PAGE


def names_of(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i: n or gettext("Name not shared by the LMS") for i, n in db.session.execute(
        select(User.id, User.name).where(User.id.in_(wanted)))}
