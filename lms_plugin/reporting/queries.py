"""Report queries: SQL aggregations (never a Python loop over people). Each report's counts
come back as one `suppression.Cube`, by course and department as well as by the table's
rows and columns, so that every table the filters can show is suppressed together with
all the others (see `suppression`). Every query is scoped to one organisation.

The dashboard's counts come from the one pass in `scope`; the per-report cube queries
here (`module_progress` ... `quiz_results_by_department`) are the plain reference it is
tested against (`tests/functional/reporting/test_scope_pass.py`) and timed against
(`bench/reports.py`). The named lists (`*_members`) and the people export are read here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from ..certification.models import (
    APPROVED,
    PENDING,
    PRACTICE,
    Certificate,
    LoggedHours,
    ProgrammeEnrolment,
)
from ..certification.rules import add_months
from ..content.programme_schema import Programme
from ..dates import day, month_label
from ..extensions import db
from ..i18n import N_
from ..quiz.models import QuizAttempt
from ..training.models import LearnerModule, LearnerProgress, ModuleCompletion
from ..users.models import LEARNER, Course, Enrollment, User
from .suppression import TOTAL, Box, Cube, build_cube

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
PROGRESS = (NOT_STARTED, IN_PROGRESS, COMPLETED)
# The labels here are English, marked with N_: `services.translated` gives them in the
# request's language where a report is built.
PROGRESS_LABELS = {NOT_STARTED: N_("Not started"), IN_PROGRESS: N_("In progress"),
                   COMPLETED: N_("Completed")}
NO_DEPARTMENT = N_("Not recorded")  # the key of people with no department; shown translated
COURSE, DEPARTMENT = "course", "department"  # the filters, as cube dimensions

PIPELINE = ("enrolled", "awaiting_approval", "ready", "certified", "expiring_30",
            "expiring_60", "expiring_90", "in_grace", "lapsed", "revoked")
PIPELINE_LABELS = {
    "enrolled": N_("Enrolled, in training"), "awaiting_approval": N_("Hours awaiting approval"),
    "ready": N_("Practice complete, not yet certified"), "certified": N_("Certified"),
    "expiring_30": N_("Expiring within 30 days"), "expiring_60": N_("Expiring in 31-60 days"),
    "expiring_90": N_("Expiring in 61-90 days"), "in_grace": N_("Expired, in grace period"),
    "lapsed": N_("Lapsed"), "revoked": N_("Revoked"),
}


# Readiness (issue 16): each person in scope is a peer supporter whose current
# certificate runs beyond the lapse window, one due to lapse within it, or neither.
LAPSE_DAYS = 90
LAPSING, SUPPORTING, OTHERS = "lapsing", "supporting", "others"
READINESS = (LAPSING, SUPPORTING, OTHERS)
READINESS_LABELS = {LAPSING: N_("Supporters due to lapse within %(days)s days"),
                    SUPPORTING: N_("Other current supporters"),
                    OTHERS: N_("Not current supporters")}
MONTHS = 12  # the readiness trend: supporters current at the end of each month
SUPPORTERS = "supporters"


@dataclass(frozen=True)
class Filters:
    organisation_id: int
    course_id: int | None = None
    department: str | None = None



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


def _course_split(query: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The query's rows for everyone (course TOTAL) and then per course (a person learning
    in several courses counts in each), the course first."""
    rows: list[tuple[Any, ...]] = [(TOTAL, *row) for row in db.session.execute(query)]
    learning = aliased(Enrollment)  # in_scope's EXISTS must still see Enrollment as its own
    per_course = (query.join(learning, and_(learning.user_id == User.id,
                                            learning.active.is_(True),
                                            learning.roles.contains(LEARNER)))
                  .add_columns(learning.course_id).group_by(learning.course_id))
    rows += [(str(row[-1]), *row[:-1]) for row in db.session.execute(per_course)]
    return rows


def module_progress(scope: Filters, modules: list[str]) -> Cube:
    """People in scope by how far they are with each module (course, department, module,
    progress)."""
    department = _department(User.department)
    people = (select(department, func.count()).select_from(User).where(*in_scope(scope))
              .group_by(department))
    started = (select(department, LearnerModule.module_slug, func.count(),
                      func.count(LearnerModule.completed_at))
               .select_from(LearnerModule).join(User, User.id == LearnerModule.user_id)
               .where(*in_scope(scope), LearnerModule.module_slug.in_(modules))
               .group_by(department, LearnerModule.module_slug))
    seen = {(c, d, m): (int(s), int(done)) for c, d, m, s, done in _course_split(started)}
    counts: dict[Box, int] = {}
    for course, dept, total in _course_split(people):
        for module in modules:
            s, done = seen.get((course, dept, module), (0, 0))
            counts.update({(course, dept, module, NOT_STARTED): int(total) - s,
                           (course, dept, module, IN_PROGRESS): s - done,
                           (course, dept, module, COMPLETED): done})
    return build_cube((COURSE, DEPARTMENT, "module", "progress"), counts,
                      fixed={"module": modules, "progress": PROGRESS},
                      counted_totals=(COURSE,))


def _person_status(modules: list[str]) -> Any:
    """Per person: completed (every module done), in progress (anything started) or not
    started, from the kept-up-to-date counters."""
    return case(
        (func.coalesce(LearnerProgress.modules_completed, 0) >= len(modules),
         literal(COMPLETED)),
        (func.coalesce(LearnerProgress.modules_started, 0) > 0, literal(IN_PROGRESS)),
        else_=literal(NOT_STARTED))


def progress_by_course(scope: Filters, modules: list[str]) -> tuple[Cube, dict[str, str]]:
    """Each learner enrolment by the person's overall progress (course, department,
    progress), and the courses' names."""
    status = _person_status(modules)
    department = _department(User.department)
    query = (select(Course.id, Course.title, Course.context_id, department,
                    status.label("status"), func.count())
             .select_from(Enrollment)
             .join(Course, Course.id == Enrollment.course_id)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(LearnerProgress, LearnerProgress.user_id == Enrollment.user_id)
             .where(User.organisation_id == scope.organisation_id, Enrollment.active.is_(True),
                    Enrollment.roles.contains(LEARNER)))
    rows = db.session.execute(query.group_by(Course.id, Course.title, Course.context_id,
                                             department, status)).all()
    labels: dict[str, str] = {}
    counts: dict[Box, int] = {}
    for course_id, title, context_id, dept, state, n in rows:
        key = str(course_id)
        labels[key] = title or context_id
        counts[(key, dept, state)] = int(n)
    return build_cube((COURSE, DEPARTMENT, "progress"), counts,
                      fixed={"progress": PROGRESS}), labels


def progress_by_department(scope: Filters, modules: list[str]) -> Cube:
    """People in scope by overall progress (course, department, progress)."""
    status = _person_status(modules)
    department = _department(User.department)
    query = (select(department, status.label("status"), func.count())
             .select_from(User).where(*in_scope(scope))
             .outerjoin(LearnerProgress, LearnerProgress.user_id == User.id)
             .group_by(department, status))
    counts: dict[Box, int] = {(course, dept, state): int(n)
                              for course, dept, state, n in _course_split(query)}
    return build_cube((COURSE, DEPARTMENT, "progress"), counts, fixed={"progress": PROGRESS},
                      counted_totals=(COURSE,))


def week_start(column: Any) -> Any:
    """The Monday of the column's week, as a date, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.date_trunc("week", column))
    return func.date(column, "weekday 0", "-6 days")


def weekly_completions(scope: Filters, modules: list[str], weeks: int = 12,
                       today: date | None = None) -> tuple[Cube, tuple[str, ...]]:
    """Module completions in each of the last `weeks` weeks (course, department, week,
    module), and the weeks in order."""
    today = today or datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    week = week_start(LearnerModule.completed_at)
    department = _department(User.department)
    query = (select(department, week, LearnerModule.module_slug, func.count())
             .select_from(LearnerModule).join(User, User.id == LearnerModule.user_id)
             .where(*in_scope(scope), LearnerModule.module_slug.in_(modules),
                    LearnerModule.completed_at >= datetime.combine(first, datetime.min.time(),
                                                                   UTC))
             .group_by(department, week, LearnerModule.module_slug))
    order = tuple((first + timedelta(weeks=i)).isoformat() for i in range(weeks))
    counts: dict[Box, int] = defaultdict(int)
    for course, dept, w, m, n in _course_split(query):
        if m in modules and str(w)[:10] in order:
            counts[(course, dept, str(w)[:10], m)] += int(n)
    return build_cube((COURSE, DEPARTMENT, "week", "module"), counts,
                      fixed={"week": order, "module": modules},
                      counted_totals=(COURSE,)), order


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


def certification_pipeline(scope: Filters, programme: Programme,
                           now: datetime | None = None) -> Cube:
    """Everyone enrolled in the programme by where they stand (course, department, stage,
    "people")."""
    status, (joined, source) = pipeline_status(programme, now)
    department = _department(User.department)
    query = (select(department, status.label("stage"), func.count())
             .select_from(joined.join(User, User.id == source.c.user_id))
             .where(*in_scope(scope)).group_by(department, status))
    counts: dict[Box, int] = {(course, dept, stage, "people"): int(n)
                              for course, dept, stage, n in _course_split(query)}
    return build_cube((COURSE, DEPARTMENT, "stage", "column"), counts,
                      fixed={"stage": PIPELINE, "column": ("people",)},
                      counted_totals=(COURSE,))


# --- readiness: peer supporters per employee (issue 16) ---------------------------------------


def month_ends(now: datetime, months: int = MONTHS) -> tuple[tuple[str, datetime], ...]:
    """The last `months` months, oldest first: each one's key (YYYY-MM) and the moment its
    supporters are counted at, the end of the month (the current month: now)."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [add_months(first, -k) for k in range(months - 1, -1, -1)]
    return tuple((start.strftime("%Y-%m"), add_months(start, 1) if k < months - 1 else now)
                 for k, start in enumerate(starts))


def _covers(moment: datetime) -> ColumnElement[bool]:
    """A certificate in force at `moment`, from its dates alone (so history is right):
    issued by then, not yet expired, not revoked by then."""
    return and_(Certificate.issued_at <= moment, Certificate.expires_at > moment,
                or_(Certificate.revoked_at.is_(None), Certificate.revoked_at > moment))


def supporters(slugs: list[str], now: datetime) -> Subquery:
    """Per person holding a certificate of one of the programmes `slugs` (the
    peer-supporter programmes; not the training certificate): `state`, LAPSING or
    SUPPORTING while they hold a current one (`Certificate.in_force`, not expired; due
    to lapse when the last of them expires within LAPSE_DAYS), else OTHERS; and `mask`,
    bit k set when they held one at the k-th of `month_ends(now)` (as text, 0: never)."""
    current = and_(Certificate.in_force(), Certificate.expires_at > now)
    until = func.max(case((current, Certificate.expires_at), else_=null()))
    state = case((until.is_(None), literal(OTHERS)),
                 (until <= now + timedelta(days=LAPSE_DAYS), literal(LAPSING)),
                 else_=literal(SUPPORTING))
    bits = [func.max(case((_covers(moment), literal(1 << k)), else_=literal(0)))
            for k, (_, moment) in enumerate(month_ends(now))]
    mask: ColumnElement[Any] = bits[0]
    for bit in bits[1:]:
        mask = mask + bit
    return (select(Certificate.user_id.label("user_id"), state.label("state"),
                   until.label("until"), cast(mask, String).label("mask"))
            .where(Certificate.programme_slug.in_(slugs))
            .group_by(Certificate.user_id).subquery("supporters"))


def readiness_by_department(scope: Filters, slugs: list[str],
                            now: datetime | None = None) -> Cube:
    """Everyone in scope by whether they are a current supporter (course, department,
    readiness state): the reference for the pass."""
    found = supporters(slugs, now or datetime.now(UTC))
    state = func.coalesce(found.c.state, OTHERS)
    department = _department(User.department)
    query = (select(department, state.label("state"), func.count()).select_from(User)
             .outerjoin(found, found.c.user_id == User.id).where(*in_scope(scope))
             .group_by(department, state))
    counts: dict[Box, int] = {(course, dept, s): int(n)
                              for course, dept, s, n in _course_split(query)}
    return build_cube((COURSE, DEPARTMENT, "readiness"), counts,
                      fixed={"readiness": READINESS}, counted_totals=(COURSE,))


def supporters_by_month(scope: Filters, slugs: list[str],
                        now: datetime | None = None) -> Cube:
    """Supporters in scope at each month's end (course, department, month, SUPPORTERS),
    a query per month: the reference for the pass."""
    ends = month_ends(now or datetime.now(UTC))
    department = _department(User.department)
    counts: dict[Box, int] = {}
    for key, moment in ends:
        held = exists().where(Certificate.user_id == User.id,
                              Certificate.programme_slug.in_(slugs), _covers(moment))
        query = (select(department, func.count()).select_from(User)
                 .where(*in_scope(scope), held).group_by(department))
        counts.update({(course, dept, key, SUPPORTERS): int(n)
                       for course, dept, n in _course_split(query)})
    return build_cube((COURSE, DEPARTMENT, "month", "column"), counts,
                      fixed={"month": tuple(k for k, _ in ends), "column": (SUPPORTERS,)},
                      counted_totals=(COURSE,))


def readiness_members(filters: Filters, slugs: list[str], department: str | None,
                      state: str | None, now: datetime | None = None) -> list[Member]:
    """Who is behind a cell of "Readiness": the employees in scope (of a department), by
    whether they are a current supporter; a supporter's entry gives the day their
    certificate expires."""
    now = now or datetime.now(UTC)
    scope = filters if department is None else replace(filters, department=department)
    found = supporters(slugs, now)
    status = func.coalesce(found.c.state, OTHERS)
    rows = _members(
        select(User.id, User.name, User.department,
               case((status == OTHERS, null()), else_=found.c.until))
        .select_from(User).outerjoin(found, found.c.user_id == User.id)
        .where(*in_scope(scope), *_progress_condition(status, state)))
    return [(i, n, d, None if until is None
             else gettext("Certificate expires %(day)s", day=day(_at(until))))
            for i, n, d, until in rows]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def supporter_members(filters: Filters, slugs: list[str], months: tuple[str, ...],
                      month: str | None, now: datetime | None = None) -> list[Member]:
    """Who is behind a cell of "Peer supporters by month": the supporters in scope at the
    end of that month (every month: each month's, one entry per person and month)."""
    moments = dict(month_ends(now or datetime.now(UTC)))
    if any(m not in moments for m in ([month] if month else months)):
        raise LookupError(gettext("There is no such month in this report."))
    found: list[Member] = []
    for key in [month] if month else list(months):
        held = exists().where(Certificate.user_id == User.id,
                              Certificate.programme_slug.in_(slugs), _covers(moments[key]))
        label = month_label(key)
        found += _members(select(User.id, User.name, User.department, literal(label))
                          .where(*in_scope(filters), held))
    return found


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


def people_query(filters: Filters, modules: list[str]) -> Select[Any]:
    """Everyone in scope (id, name, department, then per module: completed at, best
    score), by id, streamed: one statement joining each person to their completions and
    best scores pivoted per module (not a subquery per person and module), read through
    a server-side cursor a thousand rows at a time."""
    done = (select(ModuleCompletion.user_id, *[
        func.max(case((ModuleCompletion.module_slug == m, ModuleCompletion.completed_at)))
        .label(f"done_{i}") for i, m in enumerate(modules)])
        .where(ModuleCompletion.module_slug.in_(modules))
        .group_by(ModuleCompletion.user_id).subquery("done"))
    best = (select(QuizAttempt.user_id, *[
        func.max(case((QuizAttempt.quiz_slug == m, QuizAttempt.score)))
        .label(f"best_{i}") for i, m in enumerate(modules)])
        .where(QuizAttempt.submitted_at.is_not(None), QuizAttempt.quiz_slug.in_(modules))
        .group_by(QuizAttempt.user_id).subquery("best"))
    columns: list[Any] = [User.id, User.name, User.department]
    for i in range(len(modules)):
        columns += [done.c[f"done_{i}"], best.c[f"best_{i}"]]
    return (select(*columns).select_from(User)
            .outerjoin(done, done.c.user_id == User.id)
            .outerjoin(best, best.c.user_id == User.id)
            .where(*in_scope(filters)).order_by(User.id)
            .execution_options(yield_per=1000, stream_results=True))


# --- quiz results (evaluation: aggregate only) --------------------------------------------

BANDS = ("under_80", "80_100")
BAND_LABELS = {"under_80": N_("Under 80% (the pass mark)"), "80_100": N_("80% or more")}


def quiz_results_by_department(scope: Filters) -> Cube:
    """People in scope who have submitted a module quiz, by the mean of their first try's
    score on each quiz they took (course, department, band): how well the training
    prepares people before any retake. How people answered: only ever shown suppressed,
    never by name."""
    first = (select(func.min(QuizAttempt.id).label("id"))
             .where(QuizAttempt.submitted_at.is_not(None))
             .group_by(QuizAttempt.user_id, QuizAttempt.quiz_slug).subquery())
    mean = (select(QuizAttempt.user_id, func.avg(QuizAttempt.score).label("mean"))
            .join(first, first.c.id == QuizAttempt.id)
            .group_by(QuizAttempt.user_id).subquery())
    band = case((mean.c.mean >= 80, literal("80_100")), else_=literal("under_80"))
    department = _department(User.department)
    query = (select(department, band.label("band"), func.count())
             .select_from(User).join(mean, mean.c.user_id == User.id)
             .where(*in_scope(scope)).group_by(department, band))
    counts: dict[Box, int] = {(course, dept, b): int(n)
                              for course, dept, b, n in _course_split(query)}
    return build_cube((COURSE, DEPARTMENT, "band"), counts, fixed={"band": BANDS},
                      counted_totals=(COURSE,))


# --- named lists (administration: the people behind each count) -----------------------------

# (user id, name, department, what the entry is about: a module, a course, a date)
Member = tuple[int, str | None, str | None, str | None]
LIST_LIMIT = 5000


def _members(query: Select[*tuple[Any, ...]]) -> list[Member]:
    rows = db.session.execute(query.order_by(User.name, User.id).limit(LIST_LIMIT)).all()
    return [(int(i), n, d, None if x is None else str(x)) for i, n, d, x in rows]


def _progress_condition(status: Any, progress: str | None) -> list[ColumnElement[bool]]:
    return [] if progress is None else [status == progress]


def module_members(filters: Filters, titles: dict[str, str], module: str | None,
                   progress: str | None) -> list[Member]:
    """Who is behind a cell of "Completion by module": a person per module."""
    found: list[Member] = []
    for slug in ([module] if module is not None else list(titles)):
        status = case((LearnerModule.completed_at.is_not(None), literal(COMPLETED)),
                      (LearnerModule.id.is_not(None), literal(IN_PROGRESS)),
                      else_=literal(NOT_STARTED))
        found += _members(
            select(User.id, User.name, User.department, literal(titles[slug]))
            .select_from(User)
            .outerjoin(LearnerModule, and_(LearnerModule.user_id == User.id,
                                           LearnerModule.module_slug == slug))
            .where(*in_scope(filters), *_progress_condition(status, progress)))
    return found


def department_members(filters: Filters, modules: list[str], department: str | None,
                       progress: str | None) -> list[Member]:
    """Who is behind a cell of "Completion by department"."""
    scope = filters if department is None else replace(filters, department=department)
    status = _person_status(modules)
    return _members(
        select(User.id, User.name, User.department, null())
        .select_from(User).outerjoin(LearnerProgress, LearnerProgress.user_id == User.id)
        .where(*in_scope(scope), *_progress_condition(status, progress)))


def course_members(filters: Filters, modules: list[str], course_id: int | None,
                   progress: str | None) -> list[Member]:
    """The enrolments behind a cell of "Completion by LMS course" (a person in two
    courses is there twice, once with each course)."""
    status = _person_status(modules)
    conditions = [User.organisation_id == filters.organisation_id,
                  Enrollment.active.is_(True), Enrollment.roles.contains(LEARNER),
                  *_progress_condition(status, progress)]
    for wanted in (course_id, filters.course_id):
        if wanted is not None:
            conditions.append(Course.id == wanted)
    if filters.department is not None:
        conditions.append(_department(User.department) == filters.department)
    return _members(
        select(User.id, User.name, User.department,
               func.coalesce(Course.title, Course.context_id))
        .select_from(Enrollment).join(Course, Course.id == Enrollment.course_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(LearnerProgress, LearnerProgress.user_id == Enrollment.user_id)
        .where(*conditions))


def week_members(filters: Filters, titles: dict[str, str], weeks: tuple[str, ...],
                 week: str | None, module: str | None) -> list[Member]:
    """The module completions behind a cell of "Modules completed per week"."""
    first = date.fromisoformat(week or weeks[0])
    last = date.fromisoformat(week or weeks[-1]) + timedelta(weeks=1)
    title = case(*[(LearnerModule.module_slug == slug, literal(text))
                   for slug, text in titles.items()], else_=LearnerModule.module_slug)
    at = [datetime.combine(day, datetime.min.time(), UTC) for day in (first, last)]
    return _members(
        select(User.id, User.name, User.department, title)
        .select_from(LearnerModule).join(User, User.id == LearnerModule.user_id)
        .where(*in_scope(filters),
               LearnerModule.module_slug.in_([module] if module else list(titles)),
               LearnerModule.completed_at >= at[0], LearnerModule.completed_at < at[1]))


def stage_members(filters: Filters, programme: Programme, stage: str | None,
                  now: datetime | None = None) -> list[Member]:
    """Who is behind a cell of a certification pipeline."""
    status, (joined, source) = pipeline_status(programme, now)
    found = _members(
        select(User.id, User.name, User.department, status).select_from(joined)
        .join(User, User.id == source.c.user_id)
        .where(*in_scope(filters), *_progress_condition(status, stage)))
    return [(i, n, d, gettext(PIPELINE_LABELS[s]) if s in PIPELINE_LABELS else s)
            for i, n, d, s in found]
