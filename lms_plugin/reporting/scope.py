"""The one pass every dashboard report is cut from (issue 15): the learners in scope are
found once, each person once with everything the reports count about them (department,
overall progress, each module's progress and completion week, quiz band, each
programme's stage, whether they are a current peer supporter and in which of the last
months they were one), and every count comes back from a single statement, by course (a
person learning in several courses counts in each; TOTAL: everyone, once) and
department: a UNION ALL of one GROUP BY per dimension over the materialised scope.

It counts exactly what the per-table queries in `queries` count (they stay as the
reference: `tests/functional/reporting/test_scope_pass.py` compares the two, and
`bench/reports.py` times both)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..content.programme_schema import Programme
from ..extensions import db
from ..quiz.models import QuizAttempt
from ..training.models import LearnerModule, LearnerProgress
from ..users.models import LEARNER, Course, Enrollment, User
from .queries import (
    COMPLETED,
    IN_PROGRESS,
    NO_DEPARTMENT,
    NOT_STARTED,
    OTHERS,
    SUPPORTERS,
    _person_status,
    month_ends,
    pipeline_status,
    supporters,
    week_start,
)
from .suppression import TOTAL, Box

WEEKS = 12


@dataclass
class ScopeCounts:
    """Every count of the pass, for one organisation. Boxes start (course, department)."""
    status: dict[Box, int] = field(default_factory=dict)  # + (progress,)
    modules: dict[Box, int] = field(default_factory=dict)  # + (module, progress)
    weeks: dict[Box, int] = field(default_factory=dict)  # + (week, module)
    bands: dict[Box, int] = field(default_factory=dict)  # + (band,)
    stages: dict[str, dict[Box, int]] = field(default_factory=dict)  # slug -> + (stage,)
    ready: dict[Box, int] = field(default_factory=dict)  # + (readiness state,)
    trend: dict[Box, int] = field(default_factory=dict)  # + (month, SUPPORTERS)
    week_order: tuple[str, ...] = ()
    month_order: tuple[str, ...] = ()
    course_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def flat(counts: dict[Box, int]) -> list[list[Any]]:
            return [[*box, n] for box, n in counts.items()]

        return {"status": flat(self.status), "modules": flat(self.modules),
                "weeks": flat(self.weeks), "bands": flat(self.bands),
                "stages": {k: flat(v) for k, v in self.stages.items()},
                "ready": flat(self.ready), "trend": flat(self.trend),
                "week_order": list(self.week_order), "month_order": list(self.month_order),
                "course_labels": self.course_labels}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopeCounts:
        def boxes(rows: list[list[Any]]) -> dict[Box, int]:
            return {tuple(row[:-1]): int(row[-1]) for row in rows}

        return cls(boxes(data["status"]), boxes(data["modules"]), boxes(data["weeks"]),
                   boxes(data["bands"]), {k: boxes(v) for k, v in data["stages"].items()},
                   boxes(data.get("ready", [])), boxes(data.get("trend", [])),
                   tuple(data["week_order"]), tuple(data.get("month_order", ())),
                   dict(data["course_labels"]))


def week_order(today: date, weeks: int = WEEKS) -> tuple[str, ...]:
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    return tuple((first + timedelta(weeks=i)).isoformat() for i in range(weeks))


def count_scope(organisation_id: int, modules: Sequence[str],
                programmes: Sequence[Programme], now: datetime | None = None) -> ScopeCounts:
    """The pass: one statement (see the module's docstring)."""
    now = now or datetime.now(UTC)
    order = week_order(now.date())
    first_at = datetime.combine(date.fromisoformat(order[0]), time.min, UTC)
    enrolled = (select(Enrollment.user_id, Enrollment.course_id)
                .join(User, User.id == Enrollment.user_id)
                .where(User.organisation_id == organisation_id, Enrollment.active.is_(True),
                       Enrollment.roles.contains(LEARNER))
                .cte("enrolled"))
    first = (select(func.min(QuizAttempt.id).label("id"))
             .where(QuizAttempt.submitted_at.is_not(None))
             .group_by(QuizAttempt.user_id, QuizAttempt.quiz_slug).subquery("first_try"))
    mean = (select(QuizAttempt.user_id, func.avg(QuizAttempt.score).label("mean"))
            .join(first, first.c.id == QuizAttempt.id)
            .group_by(QuizAttempt.user_id).subquery("mean_score"))
    # The dimensions each set groups by, besides course and department.
    dims: list[tuple[str, Any]] = [
        ("status", _person_status(list(modules))),
        ("band", case((mean.c.mean.is_(None), null()),
                      (mean.c.mean >= 80, literal("80_100")), else_=literal("under_80")))]
    joined: Any = (User.__table__.outerjoin(LearnerProgress,
                                             LearnerProgress.user_id == User.id)
                   .outerjoin(mean, mean.c.user_id == User.id))
    for i, slug in enumerate(modules):
        module = aliased(LearnerModule, name=f"lm{i}")
        joined = joined.outerjoin(module, and_(module.user_id == User.id,
                                               module.module_slug == slug))
        dims.append((f"module:{slug}", case(
            (module.completed_at.is_not(None), literal(COMPLETED)),
            (module.id.is_not(None), literal(IN_PROGRESS)), else_=literal(NOT_STARTED))))
        dims.append((f"week:{slug}", case(
            (module.completed_at >= first_at,
             cast(week_start(module.completed_at), String)), else_=null())))
    for i, programme in enumerate(programmes):
        status, (stage_from, source) = pipeline_status(programme, now)
        stages = (select(source.c.user_id.label("user_id"), status.label("stage"))
                  .select_from(stage_from).subquery(f"stage{i}"))
        joined = joined.outerjoin(stages, stages.c.user_id == User.id)
        dims.append((f"stage:{programme.id}", stages.c.stage))
    held = supporters([p.id for p in programmes], now)
    joined = joined.outerjoin(held, held.c.user_id == User.id)
    dims.append(("ready", func.coalesce(held.c.state, OTHERS)))
    dims.append(("trend", case((held.c.mask == "0", null()), else_=held.c.mask)))
    names = [f"d{i}" for i in range(len(dims))]
    person = (select(User.id.label("user_id"),
                     func.coalesce(User.department, NO_DEPARTMENT).label("department"),
                     *[expr.label(name) for name, (_, expr) in zip(names, dims, strict=True)])
              .select_from(joined)
              .where(User.organisation_id == organisation_id,
                     User.id.in_(select(enrolled.c.user_id)))
              .cte("person"))
    people = [person.c[name] for name in ("department", *names)]
    split = union_all(
        select(cast(null(), Integer).label("course_id"), *people),
        select(enrolled.c.course_id, *people)
        .join(enrolled, enrolled.c.user_id == person.c.user_id)).cte("split")
    columns = [split.c[name] for name in names]
    # One GROUP BY per dimension over the same materialised scope, in one statement. (A
    # GROUP BY GROUPING SETS on PostgreSQL sorts the scope once per set: slower.)
    query = union_all(*[
        select(literal(k), split.c.course_id, split.c.department, column, func.count())
        .group_by(split.c.course_id, split.c.department, column)
        for k, column in enumerate(columns)])
    with _no_jit():
        rows = [tuple(row) for row in db.session.execute(query)]
    return _collect(rows, [name for name, _ in dims], list(modules), order,
                    tuple(key for key, _ in month_ends(now)), organisation_id)


@contextmanager
def _no_jit() -> Iterator[None]:
    """PostgreSQL: without JIT for this statement. Its many expressions over a scope whose
    size the planner cannot estimate make it compile for longer than the query runs
    (seconds, at 100,000 learners); the setting is put back after."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    before = db.session.scalar(select(func.current_setting("jit")))
    db.session.execute(select(func.set_config("jit", "off", True)))
    try:
        yield
    finally:
        db.session.execute(select(func.set_config("jit", before, True)))


def _collect(rows: list[tuple[Any, ...]], dims: list[str], modules: list[str],
             order: tuple[str, ...], months: tuple[str, ...],
             organisation_id: int) -> ScopeCounts:
    counts = ScopeCounts(week_order=order, month_order=months)
    weeks: dict[Box, int] = defaultdict(int)
    trend: dict[Box, int] = defaultdict(int)
    seen_courses: set[str] = set()
    for k, course_id, dept, value, n in rows:
        if value is None:
            continue
        course = TOTAL if course_id is None else str(course_id)
        if course_id is not None:
            seen_courses.add(course)
        name = dims[int(k)]
        if name == "status":
            counts.status[(course, dept, str(value))] = int(n)
        elif name == "band":
            counts.bands[(course, dept, str(value))] = int(n)
        elif name.startswith("module:"):
            counts.modules[(course, dept, name.removeprefix("module:"), str(value))] = int(n)
        elif name == "ready":
            counts.ready[(course, dept, str(value))] = int(n)
        elif name == "trend":  # a person per month they were a supporter at its end
            mask = int(value)
            for k, month in enumerate(months):
                if mask >> k & 1:
                    trend[(course, dept, month, SUPPORTERS)] += int(n)
        elif name.startswith("week:"):
            week = str(value)[:10]
            if week in order:
                weeks[(course, dept, week, name.removeprefix("week:"))] += int(n)
        else:
            counts.stages.setdefault(name.removeprefix("stage:"), {})[
                (course, dept, str(value), "people")] = int(n)
    counts.weeks = dict(weeks)
    counts.trend = dict(trend)
    if seen_courses:
        for course_id, title, context_id in db.session.execute(
                select(Course.id, Course.title, Course.context_id)
                .where(Course.organisation_id == organisation_id)):
            if str(course_id) in seen_courses:
                counts.course_labels[str(course_id)] = title or context_id
    return counts
