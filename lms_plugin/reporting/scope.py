"""The one pass every dashboard report is cut from (issue 15): the learners in scope are
found once, each person once with everything the reports count about them as a person
(department, overall progress, quiz band, whether they are a current peer supporter and
in which of the last months they were one, each programme's stage), then once more per
course they learn in (course NULL: everyone, once; a person learning in several courses
counts in each), and every count comes back from a single statement: one GROUP BY of
that scope by every value at once, and one of the modules they started (by module,
state and week of completion). "Not started" and "not a current supporter" are each
group's size less the rest.

It counts exactly what the per-table queries in `queries` count (they stay as the
reference: `tests/functional/reporting/test_scope_pass.py` compares the two, and
`bench/reports.py` times both). Stored (`ScopeCounts.to_json`), each course's counts are
one JSON text, read only when a table asks for that course (`ByCourse`)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence
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


class ByCourse(Mapping[Box, int]):
    """Counts whose boxes start with the course, as the store keeps them: each course's
    counts one JSON text, read only when asked for. A table of one course (or of
    everyone) reads two courses of two hundred (`only`), so reading the pass back from
    the store costs what that table needs, not what every course's tables would."""

    def __init__(self, encoded: Mapping[str, str] | None,
                 decoded: Mapping[str, dict[Box, int]] | None = None) -> None:
        self._encoded = None if encoded is None else dict(encoded)
        self._decoded: dict[str, dict[Box, int]] = dict(decoded or {})
        self._all: dict[Box, int] | None = None

    @classmethod
    def of(cls, counts: Mapping[Box, int]) -> ByCourse:
        """Counts just counted, kept by course as they are (encoded only if asked for:
        a fingerprint, or the store), so that a table of one course reads its own."""
        per_course: dict[str, dict[Box, int]] = defaultdict(dict)
        for box, n in counts.items():
            per_course[box[0]][box] = n
        return cls(None, per_course)

    def course(self, course: str) -> dict[Box, int]:
        found = self._decoded.get(course)
        if found is None:
            text = None if self._encoded is None else self._encoded.get(course)
            found = {} if text is None else {(course, *row[:-1]): int(row[-1])
                                             for row in json.loads(text)}
            self._decoded[course] = found
        return found

    def only(self, courses: Iterable[str]) -> dict[Box, int]:
        found: dict[Box, int] = {}
        for course in dict.fromkeys(courses):
            found.update(self.course(course))
        return found

    def encoded(self) -> dict[str, str]:
        if self._encoded is None:
            self._encoded = _encode(self._every())
        return self._encoded

    def _every(self) -> dict[Box, int]:
        if self._all is None:
            self._all = self.only(self._decoded if self._encoded is None else self._encoded)
        return self._all

    def __getitem__(self, box: Box) -> int:
        return self.course(box[0])[box]

    def __iter__(self) -> Iterator[Box]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def items(self) -> ItemsView[Box, int]:  # the dict's own, not one lookup per key
        return self._every().items()


def by_course(counts: Mapping[Box, int]) -> dict[str, str]:
    """Counts as `ByCourse` keeps them: per course, its rows (the box after the course,
    then the count) as JSON text, in order."""
    if isinstance(counts, ByCourse):
        return counts.encoded()
    return _encode(counts)


def _encode(counts: Mapping[Box, int]) -> dict[str, str]:
    rows: dict[str, list[list[Any]]] = defaultdict(list)
    for box, n in counts.items():
        rows[box[0]].append([*box[1:], n])
    # Sorted: the same counts are the same text whatever order the database gave them
    # in, so what is kept by their fingerprint (`services.protected`) is found again
    # after each warm-up that counted nothing new.
    return {course: json.dumps(sorted(found), separators=(",", ":"))
            for course, found in sorted(rows.items())}


def fingerprint(counts: Mapping[Box, int]) -> str:
    """The same for the same counts, however kept: what a result computed from them (an
    evaluation family's suppression) can be kept by."""
    return hashlib.sha256(json.dumps(by_course(counts), sort_keys=True).encode()).hexdigest()


def only_courses(counts: Mapping[Box, int], courses: Iterable[str]) -> Mapping[Box, int]:
    """The counts of these courses (all of them, if not kept `ByCourse`: a filter over
    them would cost what reading them does)."""
    return counts.only(courses) if isinstance(counts, ByCourse) else counts


Counts = Mapping[Box, int]


@dataclass
class ScopeCounts:
    """Every count of the pass, for one organisation. Boxes start (course, department)."""
    status: Counts = field(default_factory=dict)  # + (progress,)
    modules: Counts = field(default_factory=dict)  # + (module, progress)
    weeks: Counts = field(default_factory=dict)  # + (week, module)
    bands: Counts = field(default_factory=dict)  # + (band,)
    stages: dict[str, Counts] = field(default_factory=dict)  # slug -> + (stage,)
    ready: Counts = field(default_factory=dict)  # + (readiness state,)
    trend: Counts = field(default_factory=dict)  # + (month, SUPPORTERS)
    week_order: tuple[str, ...] = ()
    month_order: tuple[str, ...] = ()
    course_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": by_course(self.status), "modules": by_course(self.modules),
                "weeks": by_course(self.weeks), "bands": by_course(self.bands),
                "stages": {k: by_course(v) for k, v in self.stages.items()},
                "ready": by_course(self.ready), "trend": by_course(self.trend),
                "week_order": list(self.week_order), "month_order": list(self.month_order),
                "course_labels": self.course_labels}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopeCounts:
        return cls(ByCourse(data["status"]), ByCourse(data["modules"]),
                   ByCourse(data["weeks"]), ByCourse(data["bands"]),
                   {k: ByCourse(v) for k, v in data["stages"].items()},
                   ByCourse(data.get("ready", {})), ByCourse(data.get("trend", {})),
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
    # Each person's first try at each quiz (the lowest id submitted), numbered by a window
    # rather than found by a GROUP BY joined back (the same tries, in 60% of the time).
    tries = (select(QuizAttempt.user_id, QuizAttempt.score,
                    func.row_number().over(partition_by=(QuizAttempt.user_id,
                                                         QuizAttempt.quiz_slug),
                                           order_by=QuizAttempt.id).label("try"))
             .where(QuizAttempt.submitted_at.is_not(None)).subquery("tries"))
    mean = (select(tries.c.user_id, func.avg(tries.c.score).label("mean"))
            .where(tries.c["try"] == 1)
            .group_by(tries.c.user_id).subquery("mean_score"))
    held = supporters([p.id for p in programmes], now)
    # Each person in scope once, with what the reports count about them as a person.
    joined: Any = (User.__table__
                   .outerjoin(LearnerProgress, LearnerProgress.user_id == User.id)
                   .outerjoin(mean, mean.c.user_id == User.id)
                   .outerjoin(held, held.c.user_id == User.id))
    values: list[Any] = [
        _person_status(list(modules)),
        case((mean.c.mean.is_(None), null()),
             (mean.c.mean >= 80, literal("80_100")), else_=literal("under_80")),
        held.c.state, held.c.mask]
    for i, programme in enumerate(programmes):
        status, (stage_from, source) = pipeline_status(programme, now)
        stages = (select(source.c.user_id.label("user_id"), status.label("stage"))
                  .select_from(stage_from).subquery(f"stage{i}"))
        joined = joined.outerjoin(stages, stages.c.user_id == User.id)
        values.append(stages.c.stage)
    names = [f"v{i}" for i in range(len(values))]
    person = (select(User.id.label("user_id"),
                     func.coalesce(User.department, NO_DEPARTMENT).label("department"),
                     *[cast(value, String).label(name) for name, value in zip(
                         names, values, strict=True)])
              .select_from(joined)
              .where(User.organisation_id == organisation_id,
                     User.id.in_(select(enrolled.c.user_id)))
              .cte("person"))
    # ... once more per course they learn in (course NULL: everyone, once).
    everyone = [person.c[name] for name in ("user_id", "department", *names)]
    scope = union_all(
        select(cast(null(), Integer).label("course_id"), *everyone),
        select(enrolled.c.course_id, *everyone)
        .join(enrolled, enrolled.c.user_id == person.c.user_id)).cte("scope")
    columns = [scope.c[name] for name in names]
    group = [scope.c.course_id, scope.c.department]
    # Two GROUP BYs of the same scope: the people by every value at once (a few tens of
    # thousands of groups at 100,000 learners: far fewer scans than a GROUP BY per
    # value), and the modules they started, by module, state and week of completion.
    module = LearnerModule
    state = case((module.completed_at.is_not(None), literal(COMPLETED)),
                 else_=literal(IN_PROGRESS))
    week = case((module.completed_at >= first_at, cast(week_start(module.completed_at),
                                                       String)), else_=null())
    padding = [cast(null(), String)] * (len(names) - 3)
    query = union_all(
        select(literal("person"), *group, *columns, func.count()).group_by(*group, *columns),
        select(literal("module"), *group, cast(module.module_slug, String), state, week,
               *padding, func.count())
        .join(module, and_(module.user_id == scope.c.user_id,
                           module.module_slug.in_(list(modules))))
        .group_by(*group, module.module_slug, state, week))
    with _planner_settings():
        rows = db.session.execute(query).all()  # one fetch; rows index as tuples
    return _collect(rows, list(modules), [p.id for p in programmes], order,
                    tuple(key for key, _ in month_ends(now)), organisation_id)


@contextmanager
def _planner_settings() -> Iterator[None]:
    """PostgreSQL, for this statement only (put back after): no JIT (its expressions over
    a scope whose size the planner cannot estimate made it compile for longer than the
    query runs), and memory enough for its hash tables not to spill to disk (the
    default 4 MB makes the first tries' scores at 100,000 learners go to disk)."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    settings = {"jit": "off", "work_mem": "64MB"}
    before = {name: db.session.scalar(select(func.current_setting(name)))
              for name in settings}
    for name, value in settings.items():
        db.session.execute(select(func.set_config(name, value, True)))
    try:
        yield
    finally:
        for name, earlier in before.items():
            db.session.execute(select(func.set_config(name, earlier, True)))


def _collect(rows: Sequence[Any], modules: list[str], programmes: list[str],
             order: tuple[str, ...], months: tuple[str, ...],
             organisation_id: int) -> ScopeCounts:
    counts = ScopeCounts(week_order=order, month_order=months)
    status: dict[Box, int] = defaultdict(int)
    bands: dict[Box, int] = defaultdict(int)
    ready: dict[Box, int] = defaultdict(int)
    trend: dict[Box, int] = defaultdict(int)
    stages: dict[str, dict[Box, int]] = {slug: defaultdict(int) for slug in programmes}
    started: dict[Box, int] = defaultdict(int)  # (course, dept, module, state) -> people
    weeks: dict[Box, int] = defaultdict(int)
    size: dict[Box, int] = defaultdict(int)  # (course, dept) -> people in scope
    current: dict[Box, int] = defaultdict(int)  # (course, dept) -> current supporters
    shown = set(order)
    names: dict[Any, str] = {None: TOTAL}  # course id -> its key (str() once per course)
    for row in rows:
        course_id, dept, n = row[1], row[2], int(row[-1])
        course = names.get(course_id)
        if course is None:
            course = names[course_id] = str(course_id)
        if row[0] == "module":  # most rows: keep this branch short
            started[(course, dept, row[3], row[4])] += n
            week = row[5]
            if week is not None:
                week = str(week)[:10]
                if week in shown:
                    weeks[(course, dept, week, row[3])] += n
            continue
        progress, band, held, mask, *stage = row[3:-1]
        status[(course, dept, progress)] += n
        size[(course, dept)] += n
        if band is not None:
            bands[(course, dept, band)] += n
        if held is not None and held != OTHERS:  # a current supporter, lapsing or not
            ready[(course, dept, held)] += n
            current[(course, dept)] += n
        if mask is not None:  # each month they held a certificate at its end
            bits = int(mask)
            for k, month in enumerate(months):
                if bits >> k & 1:
                    trend[(course, dept, month, SUPPORTERS)] += n
        for slug, value in zip(programmes, stage, strict=True):
            if value is not None:
                stages[slug][(course, dept, value, "people")] += n
    by_module = by_module_state(size, started, modules)
    for (course, dept), everyone in size.items():
        if everyone - current[(course, dept)]:
            ready[(course, dept, OTHERS)] = everyone - current[(course, dept)]
    counts.status, counts.bands, counts.ready = dict(status), dict(bands), dict(ready)
    counts.modules = by_module
    counts.stages = {slug: dict(found) for slug, found in stages.items() if found}
    counts.weeks = dict(weeks)
    counts.trend = dict(trend)
    label_courses(counts, organisation_id,
                  {name for course_id, name in names.items() if course_id is not None})
    return counts


def label_courses(counts: ScopeCounts, organisation_id: int, seen: set[str]) -> None:
    """The label of each course the counts name (its title, else the LMS's context id)."""
    if not seen:
        return
    for course_id, title, context_id in db.session.execute(
            select(Course.id, Course.title, Course.context_id)
            .where(Course.organisation_id == organisation_id)):
        if str(course_id) in seen:
            counts.course_labels[str(course_id)] = title or context_id


def by_module_state(size: Mapping[Box, int], started: Mapping[Box, int],
                    modules: Sequence[str], read: set[str] | None = None) -> dict[Box, int]:
    """Each group's people per module and state: in progress and completed as counted
    (`started`), not started the group (`size`) less those who started. A course outside
    `read` (its counts were not read) gets none, rather than wrong ones."""
    by_module: dict[Box, int] = {}
    for (course, dept), everyone in size.items():
        if read is not None and course not in read:
            continue
        for slug in modules:
            begun = 0
            for state in (IN_PROGRESS, COMPLETED):
                people = started.get((course, dept, slug, state), 0)
                if people:
                    by_module[(course, dept, slug, state)] = people
                    begun += people
            if everyone - begun:
                by_module[(course, dept, slug, NOT_STARTED)] = everyone - begun
    return by_module
