"""Maintained report counts (issue 15): the dashboard reads a few thousand pre-counted
rows (`ReportCount`) instead of every learner, and is still computed from current data.

How it stays right, in three steps a newcomer can check one at a time:

1. **Marking.** Database triggers (migration `b3c7e1f9a2d4`) add a row to `report_dirty`
   whenever a write changes one of a person's report facts: their enrolments (course,
   active, roles), their organisation or department, their progress counters, the
   modules they started or completed, their quiz tries. Triggers, so that no writer
   (the launch's one-statement upsert, a roster sync, an erasure's cascade, a bulk
   import) can forget, and no request runs a statement more for it.
2. **Refreshing** (`refresh`). For each marked person: their facts now (`_facts`,
   read from the same tables), and what they added before (`ReportLearner`); the
   counts change by the difference, and the new facts replace the old. Idempotent (a
   person refreshed twice adds nothing the second time), and one refresh at a time (an
   advisory lock on PostgreSQL; SQLite has one writer anyway). A mark written by a
   transaction still open is not seen and not consumed: it is refreshed next time.
3. **Reading** (`maintained_counts`). Refresh what is marked (usually nothing or a few
   people), then read the organisation's counts, and count what depends on today's
   date (certificates: readiness, its trend and the programme stages, a few thousand
   people at most) from their own tables. The result is the same `ScopeCounts` the
   one pass (`scope.count_scope`, kept as the reference) computes from scratch.

What is counted is independent of the content and of the date, so that nothing needs
recounting when they change: progress as (modules completed / any started), applied to
today's number of modules when read; completions by their absolute week, of which the
last 12 are read. `rebuild` recounts everything (`lms-plugin reports rebuild`)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    delete,
    func,
    select,
    true,
    union,
)

from ..content.programme_schema import Programme
from ..extensions import db
from ..i18n import N_
from ..personal_data import DELETE, Item, declare
from ..quiz.models import QuizAttempt
from ..training.models import LearnerModule, LearnerProgress
from ..upsert import insert_for
from ..users.models import LEARNER, Enrollment, User
from .models import ReportCount, ReportDirty, ReportLearner
from .queries import (
    COMPLETED,
    IN_PROGRESS,
    NO_DEPARTMENT,
    NOT_STARTED,
    OTHERS,
    SUPPORTERS,
    month_ends,
    pipeline_status,
    supporters,
    week_start,
)
from .scope import ByCourse, ScopeCounts, by_module_state, label_courses, week_order
from .suppression import TOTAL, Box

EVERYONE = 0  # ReportCount.course_id of the counts of everyone, once
STATUS, BAND, MODULE, WEEK = "status", "band", "module", "week"  # ReportCount.measure
CHUNK = 2000  # people refreshed per round (each round: six statements)
LOCK = 15_015  # PostgreSQL advisory lock: one refresh at a time

# One row of ReportCount: (organisation, measure, course, department, key, detail).
Key = tuple[int, str, int, str, str, str]


# --- 2. refreshing ------------------------------------------------------------------------


def _one_at_a_time() -> None:
    """One refresh at a time per set of tables: a PostgreSQL advisory lock, held to the
    end of the transaction, keyed by LOCK and the schema (advisory locks belong to the
    whole database, which several installs, or test runs, may share by schema). SQLite
    has one writer anyway."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(
            LOCK, func.hashtext(func.current_schema()))))


def refresh(limit: int | None = None) -> int:
    """Fold every marked person's change into the counts (at most `limit` marks).
    Returns how many people it refreshed. The caller commits."""
    _one_at_a_time()
    done = 0
    change: Counter[Key] = Counter()  # written once, at the end: each row once
    while limit is None or done < limit:
        # Consumed as read (SQLite: this write takes the database's lock first).
        taken = (select(ReportDirty.id).order_by(ReportDirty.id)
                 .limit(CHUNK if limit is None else min(CHUNK, limit - done)))
        marked = db.session.scalars(delete(ReportDirty).where(ReportDirty.id.in_(taken))
                                    .returning(ReportDirty.user_id)).all()
        if not marked:
            break
        people = sorted(set(marked))
        change.update(_replace(people, _facts(people)))  # adds (+= would drop negatives)
        done += len(marked)
    _add(change)
    return done


def forget(person: Any) -> int:
    """Erasure (privacy): take the person's share out of the counts and remove what
    `ReportLearner` kept about them (a plain delete would leave their share counted).
    Returns the rows removed. Marks left for them by the erasure's other deletes find
    nothing to change later."""
    _one_at_a_time()
    kept = db.session.scalar(select(func.count()).select_from(ReportLearner).where(
        ReportLearner.user_id == person.id)) or 0
    _add(_replace([person.id], {}))
    return int(kept)


# Personal data (privacy's export and erasure): what the counts keep about a learner.
declare(Item(
    "report_counts", ReportLearner, title=N_("What you add to your organisation's reports"),
    description=N_("Your department, your courses and how far you are in the training, as "
                   "your organisation's counts include them. Admins see only the counts of "
                   "groups, never this."),
    links=("user_id",), where=lambda person: ReportLearner.user_id == person.id,
    erasure=DELETE, on_erasure=N_("Removed, and taken out of the counts."), erase=forget))


REFRESH_EVERY = 60.0  # seconds: the worker folds marks in at least this often


def refresh_periodically() -> int:
    """Periodic work (the jobs worker, every REFRESH_EVERY seconds): fold in what was
    marked, so that a dashboard finds little or nothing to refresh even after a roster
    sync or an import marked thousands of people at once."""
    people = refresh()
    db.session.commit()
    return people


def _replace(people: list[int], facts: dict[int, dict[str, Any]]) -> Counter[Key]:
    """Store what `people` add now (`facts`) in place of what they added before, and
    return the difference: how the counts change."""
    before = {person: text for person, text in db.session.execute(
        select(ReportLearner.user_id, ReportLearner.facts)
        .where(ReportLearner.user_id.in_(people)))}
    change: Counter[Key] = Counter()
    for person in people:
        if person in before:
            change.subtract(contribution(json.loads(before[person])))
        if person in facts:
            change.update(contribution(facts[person]))
    db.session.execute(delete(ReportLearner).where(ReportLearner.user_id.in_(people)))
    if facts:
        db.session.execute(ReportLearner.__table__.insert(), [
            {"user_id": person, "facts": json.dumps(found, separators=(",", ":")),
             "organisation_id": found["o"], "department": found["d"],
             "courses": " ".join(map(str, found["c"]))}
            for person, found in facts.items()])
    return change


def _add(change: Counter[Key]) -> None:
    """Add the change to the counts: one upsert per row that changes, in key order."""
    rows = [{"organisation_id": k[0], "measure": k[1], "course_id": k[2],
             "department": k[3], "key": k[4], "detail": k[5], "people": n}
            for k, n in sorted(change.items()) if n]
    if rows:
        stmt = insert_for(db.session.get_bind().dialect.name)(ReportCount)
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=[c.name for c in ReportCount.__table__.primary_key.columns],
            set_={"people": ReportCount.people + stmt.excluded.people}), rows)


def contribution(facts: dict[str, Any]) -> list[Key]:
    """The ReportCount rows one person adds 1 to: everyone's, then each course's."""
    organisation, department = facts["o"], facts["d"]
    completed, begun = facts["s"].split("/")
    values: list[tuple[str, str, str]] = [(STATUS, completed, begun)]
    if facts["b"] is not None:
        values.append((BAND, facts["b"], ""))
    for slug, state, week in facts["m"]:
        values.append((MODULE, slug, state))
        if week is not None:
            values.append((WEEK, week, slug))
    return [(organisation, measure, course, department, key, detail)
            for course in (EVERYONE, *facts["c"]) for measure, key, detail in values]


def _facts(people: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What the reports count about each of `people` now, for those in scope (an active
    learner enrolment): organisation "o", department "d", courses "c", progress "s"
    (modules completed / any started), quiz band "b", modules "m" ([slug, state, week
    of completion])."""
    courses: dict[int, list[int]] = defaultdict(list)
    for person, course in db.session.execute(
            select(Enrollment.user_id, Enrollment.course_id)
            .where(Enrollment.user_id.in_(people), Enrollment.active.is_(True),
                   Enrollment.roles.contains(LEARNER))
            .order_by(Enrollment.user_id, Enrollment.course_id)):
        courses[person].append(course)
    if not courses:
        return {}
    within = list(courses)
    found: dict[int, dict[str, Any]] = {
        person: {"o": organisation, "d": department, "c": courses[person], "s": "0/0",
                 "b": None, "m": []}
        for person, organisation, department in db.session.execute(
            select(User.id, User.organisation_id,
                   func.coalesce(User.department, NO_DEPARTMENT))
            .where(User.id.in_(within)))}
    for person, started, completed in db.session.execute(
            select(LearnerProgress.user_id, LearnerProgress.modules_started,
                   LearnerProgress.modules_completed)
            .where(LearnerProgress.user_id.in_(within))):
        if person in found:
            found[person]["s"] = f"{completed}/{min(started, 1)}"
    for person, mean in db.session.execute(_first_try_means(within)):
        if person in found and mean is not None:
            found[person]["b"] = "80_100" if mean >= 80 else "under_80"
    week = week_start(LearnerModule.completed_at)
    for person, slug, completed, started_week in db.session.execute(
            select(LearnerModule.user_id, LearnerModule.module_slug,
                   LearnerModule.completed_at.is_not(None), week)
            .where(LearnerModule.user_id.in_(within))
            .order_by(LearnerModule.user_id, LearnerModule.module_slug)):
        if person in found:
            found[person]["m"].append([slug, COMPLETED if completed else IN_PROGRESS,
                                       None if not completed else str(started_week)[:10]])
    return found


def _first_try_means(people: Sequence[int]) -> Any:
    """Each person's mean score at their first submitted try of each quiz (as the one
    pass counts it)."""
    tries = (select(QuizAttempt.user_id, QuizAttempt.score,
                    func.row_number().over(partition_by=(QuizAttempt.user_id,
                                                         QuizAttempt.quiz_slug),
                                           order_by=QuizAttempt.id).label("try"))
             .where(QuizAttempt.submitted_at.is_not(None), QuizAttempt.user_id.in_(people))
             .subquery("tries"))
    return (select(tries.c.user_id, func.avg(tries.c.score))
            .where(tries.c["try"] == 1).group_by(tries.c.user_id))


def mark_everyone() -> None:
    """Mark every person with an enrolment (a rebuild, or the first refresh)."""
    db.session.execute(ReportDirty.__table__.insert().from_select(
        ["user_id"], select(Enrollment.user_id).distinct()))


def rebuild() -> int:
    """Count everything again from scratch: the operators' repair (`lms-plugin reports
    rebuild`), and what the migration leaves for the first refresh. The caller
    commits."""
    _one_at_a_time()
    for model in (ReportCount, ReportLearner, ReportDirty):
        db.session.execute(delete(model))
    mark_everyone()
    return refresh()


# --- 3. reading ---------------------------------------------------------------------------


def maintained_counts(organisation_id: int, modules: Sequence[str],
                      programmes: Sequence[Programme], now: datetime | None = None,
                      courses: Sequence[int] | None = None) -> ScopeCounts:
    """The organisation's `ScopeCounts`, as `scope.count_scope` counts them, from the
    maintained rows (refreshed first) and today's certificates. `courses`: only
    everyone's module and week counts and these courses' are read (a dashboard of one
    course filter, or of none, shows no other); None: every course's. The caller
    commits (the refresh's writes)."""
    now = now or datetime.now(UTC)
    refresh()
    order = week_order(now.date())
    months = tuple(key for key, _ in month_ends(now))
    counts = ScopeCounts(week_order=order, month_order=months)
    # Progress, as today's modules make it (completed them all, started any, neither),
    # summed by the database: a few rows per group rather than one per count of modules.
    status = ReportCount.measure == STATUS
    shown_key = case((status, case((cast(ReportCount.key, Integer) >= len(modules), COMPLETED),
                                   (ReportCount.detail == "1", IN_PROGRESS),
                                   else_=NOT_STARTED)),
                     else_=ReportCount.key)
    shown_detail = case((status, ""), else_=ReportCount.detail)
    table = ReportCount.__table__.c
    rows = db.session.connection().execute(  # Core: plain tuples, no ORM rows
        select(table.measure, table.course_id, table.department, shown_key, shown_detail,
               func.sum(table.people))
        .where(table.organisation_id == organisation_id, table.people != 0,
               (table.measure != WEEK) | (table.key >= order[0]),
               true() if courses is None else (
                   table.measure.in_([STATUS, BAND])
                   | table.course_id.in_([EVERYONE, *courses])))
        .group_by(table.measure, table.course_id, table.department, shown_key,
                  shown_detail)).all()  # one fetch: row by row costs more than the query
    wanted, shown = set(modules), set(order)
    progress: dict[Box, int] = {}
    bands: dict[Box, int] = {}
    started: dict[Box, int] = {}
    weeks: dict[Box, int] = {}
    size: dict[Box, int] = defaultdict(int)
    names: dict[int, str] = {EVERYONE: TOTAL}
    for measure, course_id, dept, key, detail, n in rows:
        course = names.get(course_id)
        if course is None:
            course = names[course_id] = str(course_id)
        if measure == MODULE:
            if key in wanted:
                started[(course, dept, key, detail)] = n
        elif measure == STATUS:
            progress[(course, dept, key)] = n
            size[(course, dept)] += n
        elif measure == BAND:
            bands[(course, dept, key)] = n
        elif measure == WEEK and key in shown and detail in wanted:
            weeks[(course, dept, key, detail)] = n
    read = None if courses is None else {TOTAL, *map(str, courses)}
    by_module = by_module_state(size, started, modules, read)
    counts.status, counts.bands, counts.modules, counts.weeks = (
        progress, bands, by_module, weeks)
    _certificates(counts, organisation_id, programmes, now, size)
    # Kept by course (`ByCourse`), as the stored pass is: a table of one course, or of
    # everyone, looks at its course's counts only, not at every course's.
    counts.status, counts.bands, counts.modules, counts.weeks, counts.ready, \
        counts.trend = (ByCourse.of(found) for found in (
            counts.status, counts.bands, counts.modules, counts.weeks, counts.ready,
            counts.trend))
    counts.stages = {slug: ByCourse.of(found) for slug, found in counts.stages.items()}
    label_courses(counts, organisation_id,
                  {name for course_id, name in names.items() if course_id != EVERYONE})
    return counts


def _certificates(counts: ScopeCounts, organisation_id: int,
                  programmes: Sequence[Programme], now: datetime,
                  size: dict[Box, int]) -> None:
    """Readiness, its trend and each programme's stages: what depends on today's date,
    counted now over the few people with a certificate or a programme enrolment (one
    statement: their standing and their groups), as the one pass counts them."""
    held = supporters([p.id for p in programmes], now)
    stages = []
    for i, programme in enumerate(programmes):
        status, (stage_from, source) = pipeline_status(programme, now)
        stages.append(select(source.c.user_id.label("user_id"), status.label("stage"))
                      .select_from(stage_from).subquery(f"stage{i}"))
    few = union(select(held.c.user_id),
                *[select(stage.c.user_id) for stage in stages]).subquery("few")
    # Their groups (everyone's, and each course they learn in) come with them, from what
    # the refresh just stored about them (the same people the counts hold; someone not
    # stored there is in no group of this organisation).
    stored = ReportLearner.__table__
    learner = stored.c
    joined: Any = few.join(stored, (learner.user_id == few.c.user_id)
                           & (learner.organisation_id == organisation_id))
    joined = joined.outerjoin(held, held.c.user_id == few.c.user_id)
    for stage in stages:
        joined = joined.outerjoin(stage, stage.c.user_id == few.c.user_id)
    people: dict[int, tuple[list[Box], tuple[Any, ...]]] = {}  # groups, standing
    for person, department, courses, *standing in db.session.execute(
            select(few.c.user_id, learner.department, learner.courses, held.c.state,
                   held.c.mask,
                   *[cast(stage.c.stage, String).label(f"s{i}")
                     for i, stage in enumerate(stages)])
            .select_from(joined)):
        people[person] = ([(TOTAL, department),
                           *[(course, department) for course in courses.split()]],
                          tuple(standing))
    if not people:
        counts.ready = {(*group, OTHERS): n for group, n in size.items() if n}
        return
    # Tallied first by what the counts need (most people share their group, standing
    # and months with others), then counted once per distinct tally.
    tally: Counter[tuple[Any, ...]] = Counter()
    for groups, standing_of in people.values():
        for group in groups:
            tally[(group, *standing_of)] += 1
    ready: dict[Box, int] = defaultdict(int)
    trend: dict[Box, int] = defaultdict(int)
    staged: dict[str, dict[Box, int]] = {p.id: defaultdict(int) for p in programmes}
    current: dict[Box, int] = defaultdict(int)
    held_months: dict[str, list[str]] = {}  # mask -> the months it has a bit for
    for (group, held_state, mask, *stage_values), n in tally.items():
        if held_state is not None and held_state != OTHERS:
            ready[(*group, held_state)] += n
            current[group] += n
        if mask is not None:
            months = held_months.get(mask)
            if months is None:
                months = held_months[mask] = [month for k, month in enumerate(
                    counts.month_order) if int(mask) >> k & 1]
            for month in months:
                trend[(*group, month, SUPPORTERS)] += n
        for programme, value in zip(programmes, stage_values, strict=True):
            if value is not None:
                staged[programme.id][(*group, value, "people")] += n
    for group, everyone in size.items():
        if everyone - current[group]:
            ready[(*group, OTHERS)] = everyone - current[group]
    counts.ready, counts.trend = dict(ready), dict(trend)
    counts.stages = {slug: dict(found) for slug, found in staged.items() if found}
