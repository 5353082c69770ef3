"""Assemble the dashboard: each report's table, cut from its whole family of tables
(every filter) suppressed as one, with its labels."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import select

from ..content.programme_schema import Programme
from ..content.services import get_catalog
from ..dates import day, month_label
from ..extensions import db
from ..i18n import N_, current_locale
from ..jobs import hourly
from ..store import get_store
from ..users.models import Organisation
from .maintained import maintained_counts
from .queries import (
    BAND_LABELS,
    BANDS,
    COURSE,
    DEPARTMENT,
    LAPSE_DAYS,
    NO_DEPARTMENT,
    PIPELINE,
    PIPELINE_LABELS,
    PROGRESS,
    PROGRESS_LABELS,
    READINESS,
    READINESS_LABELS,
    SUPPORTERS,
    Filters,
    Member,
    course_members,
    department_members,
    module_members,
    readiness_members,
    stage_members,
    supporter_members,
    week_members,
)
from .scope import ScopeCounts, count_scope, fingerprint, only_courses
from .suppression import (
    TOTAL,
    Box,
    Cube,
    Family,
    SuppressedCube,
    SuppressedTable,
    build_cube,
    cut,
    hide_small_groups,
)
from .survey import SCALE, survey_config, survey_counts

# What a report is about decides what an admin may see of it (docs: the privacy page).
# Programme administration: who is enrolled, certified, expiring, who has completed the
# mandatory training. An admin may list these people by name (audited), so the counts are
# shown exactly (hiding a number the same admin can count by name protects nobody), and
# each count opens the list of exactly those people.
ADMINISTRATION = "administration"
# Evaluation: how people answered (survey answers, quiz scores by group). Aggregate only,
# suppressed (see `suppression`), never with names and never a list.
EVALUATION = "evaluation"


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    description: str
    view: SuppressedTable
    row_labels: dict[str, str]
    column_labels: dict[str, str]
    chart: str  # "bars" | "weekly" | "none"
    row_heading: str = N_("Group")

    @property
    def definition(self) -> ReportDefinition:
        return definition(self.key)

    @property
    def kind(self) -> str:
        return kind_of(self.key)

    @property
    def named(self) -> bool:
        """Whether each count opens the list of the people behind it."""
        return self.kind == ADMINISTRATION


def min_size() -> int:
    return max(1, int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5)))


def protected(family: Family, filters: Filters, kept_by: str | None = None
              ) -> SuppressedTable:
    """The one way a table reaches a page or a file: the filters' slice of the report's
    whole family of tables, suppressed together (see `suppression`). `kept_by`: what
    identifies the family's counts (the same counts, the same key), so that each filter
    of the same family is cut from one suppression (kept per process, a few of them)."""
    return family.table(_suppressed(family, min_size(), kept_by), where_of(filters))


# An evaluation family cut from a stored pass, and its suppression, by what identifies
# its counts: every filter's table of it (each a request of its own) is cut from one.
_FAMILIES: dict[str, Family] = {}
_SUPPRESSED: dict[tuple[str, int], SuppressedCube] = {}


def _keep(kept: dict[Any, Any], key: Any, value: Any) -> None:
    """Keep a few (organisations') at most: the oldest goes. Threads may share `kept`:
    each step is one dict operation, and a key another thread dropped is no error."""
    while len(kept) >= 16:
        try:
            kept.pop(next(iter(kept)), None)
        except (StopIteration, RuntimeError):  # emptied or changed meanwhile
            break
    kept[key] = value


def _suppressed(family: Family, size: int, kept_by: str | None) -> SuppressedCube:
    if kept_by is None:
        return family.suppress(size)
    found = _SUPPRESSED.get((kept_by, size))
    if found is None:
        found = family.suppress(size)
        _keep(_SUPPRESSED, (kept_by, size), found)
    return found


def exact(family: Family, filters: Filters, group_sizes: Cube | None = None
          ) -> SuppressedTable:
    """An administration report's table: the same slice of the same family, nothing
    hidden (the admin may list every one of these people by name). With `group_sizes`
    (readiness), a course or department with fewer people than the minimum group size
    has no figure of its own (`suppression.hide_small_groups`)."""
    where = where_of(filters)
    suppressed = (SuppressedCube(family.cube, frozenset(), min_size()) if group_sizes is None
                  else hide_small_groups(family.cube, BOTH, group_sizes, min_size()))
    return family.table(suppressed, where)


def target_per() -> int:
    """Readiness target: one current peer supporter per this many employees."""
    return max(1, int(current_app.config.get("LMS_PLUGIN_READINESS_TARGET_PER", 20)))


def translated(labels: Mapping[str, str], **values: Any) -> dict[str, str]:
    """Labels marked with N_ (queries' constants), in the request's language."""
    return {key: gettext(label, **values) for key, label in labels.items()}


def _departments_labels() -> dict[str, str]:
    """The rows of a table by department: the departments as the LMS sent them, and the
    people with none (`NO_DEPARTMENT`) in the request's language."""
    return {NO_DEPARTMENT: gettext(NO_DEPARTMENT)}


def module_titles() -> dict[str, str]:
    # The refresher is renewal practice, not training: nobody "completes" by it.
    return {m.slug: m.meta.title for m in get_catalog().ordered_modules()
            if not m.meta.refresher}


# --- the registry: one definition per report (issue 14) -----------------------------------


@dataclass(frozen=True)
class Built:
    """What a definition makes of the sources: its whole family of tables, labelled."""
    title: str
    description: str
    family: Family
    row_labels: dict[str, str]
    column_labels: dict[str, str]
    # Whose size decides which groups have no figure of their own (see `exact`).
    group_sizes: Cube | None = None
    # What identifies the family's counts (`protected`), if it is kept.
    kept_by: str | None = None


class Sources:
    """What every report of one organisation is built from: its counts (see
    `scope_counts`), read once, on first use. `courses`: a dashboard of one filter
    reads, of the module and week counts, only everyone's and these courses' (the only
    ones its tables show; progress and quiz bands are read for every course, as the
    `courses` table and suppression's broader views need): [] for no course filter,
    [course] for one; None (the default): every course's."""

    def __init__(self, organisation_id: int, courses: Sequence[int] | None = None) -> None:
        self.organisation_id = organisation_id
        self.courses = None if courses is None else list(courses)
        self.titles = module_titles()
        self.modules = list(self.titles)
        self._counts: ScopeCounts | None = None

    @classmethod
    def of(cls, filters: Filters) -> Sources:
        """The sources of one filter's dashboard (or one of its tables)."""
        return cls(filters.organisation_id,
                   [] if filters.course_id is None else [filters.course_id])

    @property
    def counts(self) -> ScopeCounts:
        if self._counts is None:
            self._counts = scope_counts(self.organisation_id, courses=self.courses)
        return self._counts

    def course_counts(self, where: Where | None) -> ScopeCounts:
        """The counts, for a table of `where`: refused (rather than wrong) if these
        sources did not read the module and week counts of its course."""
        course = None if where is None else where.get(COURSE)
        if self.courses is not None and (where is None or (
                course is not None and int(course) not in self.courses)):
            raise ValueError(f"these sources hold no module counts of course {course}")
        return self.counts


# The one table a page shows: a filter dimension's value (COURSE, DEPARTMENT), None for all.
Where = Mapping[str, str | None]


def where_of(filters: Filters) -> dict[str, str | None]:
    return {COURSE: None if filters.course_id is None else str(filters.course_id),
            DEPARTMENT: filters.department}


class Build(Protocol):
    """How a definition cuts its family from the sources. `where`: only the slice of the
    family the table of these filters reads (an administration report, shown exactly:
    nothing is suppressed across the family, so nothing else is needed); None: the
    whole family (an evaluation report is always built whole, as suppression needs)."""

    def __call__(self, sources: Sources, variant: str, where: Where | None = None, /
                 ) -> Built: ...


# (filters, module titles, the report's table, row, column, variant) -> the people
MembersQuery = Callable[[Filters, dict[str, str], SuppressedTable, str | None, str | None,
                         str], list[Member]]


@dataclass(frozen=True)
class ReportDefinition:
    """One report. `key` names it (with `variants`, a family of reports, one per
    variant: `key-variant`); `build` cuts its family from the sources; an administration
    report's `members` lists the people behind a count (`detail`: the list's third
    column); `agree`: the table shows the share who agree; `total_label`: the heading of
    the column of row totals; `column_totals`: whether the table ends with a total row
    (not for a count at several moments); `readiness`: the table is readiness's, which
    pages also state in words (`readiness_lines`). The dashboard, the printable summary,
    the CSV of each table and the named lists all iterate `REPORTS`."""
    key: str
    kind: str  # ADMINISTRATION | EVALUATION
    build: Build
    chart: str = "bars"  # "bars" | "weekly" | "none"
    row_heading: str = N_("Group")
    variants: Callable[[], list[str]] | None = None
    members: MembersQuery | None = None
    detail: str | None = None
    agree: bool = False
    total_label: str = N_("Total")
    column_totals: bool = True
    readiness: bool = False

    def instance_keys(self) -> list[str]:
        if self.variants is None:
            return [self.key]
        return [f"{self.key}-{variant}" for variant in self.variants()]


BOTH = (COURSE, DEPARTMENT)


def _cube(dims: tuple[str, ...], counts: Mapping[Box, int], where: Where | None, *,
          fixed: Mapping[str, Sequence[str]], counted_totals: tuple[str, ...] = (),
          whole: tuple[str, ...] = ()) -> Cube:
    """The cube of a report: all of it, or with `where` only the cells its table at
    `where` reads (`suppression.cut`; `whole`: the dimension of the table's rows)."""
    if where is not None:
        if COURSE in counted_totals and COURSE not in whole:  # its course and everyone
            counts = only_courses(counts, [TOTAL, *filter(None, [where.get(COURSE)])])
        counts, counted_totals = cut(dims, counts, where, whole=whole,
                                     counted_totals=counted_totals)
    return build_cube(dims, counts, fixed=fixed, counted_totals=counted_totals)


def _by_department(counts: Mapping[Box, int], columns: tuple[str, ...], column_dim: str,
                   where: Where | None = None) -> Family:
    cube = _cube((COURSE, DEPARTMENT, column_dim), counts, where, fixed={column_dim: columns},
                 counted_totals=(COURSE,), whole=(DEPARTMENT,))
    return Family(cube, DEPARTMENT, column_dim,
                  tuple(sorted(cube.values_of(DEPARTMENT), key=str.lower)), columns, BOTH,
                  present_rows_only=True)


def _modules(sources: Sources, _: str, where: Where | None = None) -> Built:
    cube = _cube((COURSE, DEPARTMENT, "module", "progress"),
                 sources.course_counts(where).modules, where,
                 fixed={"module": sources.modules, "progress": PROGRESS},
                 counted_totals=(COURSE,))
    return Built(gettext("Completion by module"),
                 gettext("People in scope, by how far they are with each module."),
                 Family(cube, "module", "progress", tuple(sources.modules), PROGRESS, BOTH),
                 sources.titles, translated(PROGRESS_LABELS))


def _courses(sources: Sources, _: str, where: Where | None = None) -> Built:
    labels = sources.counts.course_labels
    counts = {box: n for box, n in sources.counts.status.items() if box[0] != TOTAL}
    cube = _cube((COURSE, DEPARTMENT, "progress"), counts, where,
                 fixed={"progress": PROGRESS}, whole=(COURSE,))
    return Built(gettext("Completion by LMS course"),
                 gettext("Each enrolment: every module completed, some progress, or none "
                         "yet."),
                 Family(cube, COURSE, "progress",
                        tuple(sorted(labels, key=lambda k: labels[k].lower())), PROGRESS,
                        BOTH, present_rows_only=True), labels, translated(PROGRESS_LABELS))


def _departments(sources: Sources, _: str, where: Where | None = None) -> Built:
    return Built(gettext("Completion by department"),
                 gettext("From the department your LMS sends with each launch."),
                 _by_department(sources.counts.status, PROGRESS, "progress", where),
                 _departments_labels(), translated(PROGRESS_LABELS))


def _weekly(sources: Sources, _: str, where: Where | None = None) -> Built:
    weeks = sources.counts.week_order
    cube = _cube((COURSE, DEPARTMENT, "week", "module"), sources.course_counts(where).weeks,
                 where,
                 fixed={"week": weeks, "module": sources.modules}, counted_totals=(COURSE,))
    return Built(gettext("Modules completed per week"),
                 gettext("Module completions in each of the last 12 weeks (weeks start on "
                         "Monday)."),
                 Family(cube, "week", "module", weeks, tuple(sources.modules), BOTH),
                 {w: day(date.fromisoformat(w)) for w in weeks}, sources.titles)


def _programmes() -> list[str]:
    return sorted(get_catalog().programmes)


def _pipeline(sources: Sources, slug: str, where: Where | None = None) -> Built:
    programme = get_catalog().programmes[slug].document
    cube = _cube((COURSE, DEPARTMENT, "stage", "column"), sources.counts.stages.get(slug, {}),
                 where, fixed={"stage": PIPELINE, "column": ("people",)},
                 counted_totals=(COURSE,))
    return Built(gettext("Certification: %(programme)s", programme=programme.title),
                 gettext("Everyone enrolled in the programme, by where they stand now."),
                 Family(cube, "stage", "column", PIPELINE, ("people",), BOTH),
                 translated(PIPELINE_LABELS), {"people": gettext("People")})


def _employees(sources: Sources, where: Where | None = None) -> Family:
    return _by_department(sources.counts.ready, READINESS, "readiness", where)


def _readiness(sources: Sources, _: str, where: Where | None = None) -> Built:
    family = _employees(sources, where)
    return Built(gettext("Readiness: peer supporters"),
                 gettext("Everyone on the courses' rosters, whether or not they have opened "
                         "the tool, by whether they hold a current peer-supporter certificate "
                         "(issued, not expired, not revoked). A group smaller than the "
                         "minimum group size has no figure of its own."), family,
                 _departments_labels(), translated(READINESS_LABELS, days=LAPSE_DAYS),
                 group_sizes=family.cube)


def _trend(sources: Sources, _: str, where: Where | None = None) -> Built:
    months = sources.counts.month_order
    cube = _cube((COURSE, DEPARTMENT, "month", "column"), sources.counts.trend, where,
                 fixed={"month": months, "column": (SUPPORTERS,)}, counted_totals=(COURSE,))
    labels = {m: month_label(m) for m in months}
    if months:
        labels[months[-1]] = gettext("%(month)s (today)", month=labels[months[-1]])
    return Built(gettext("Peer supporters by month"),
                 gettext("Current peer supporters on the rosters at the end of each of the "
                         "last 12 months, from their certificates' dates (issued, expired, "
                         "revoked)."),
                 Family(cube, "month", "column", months, (SUPPORTERS,), BOTH), labels,
                 {SUPPORTERS: gettext("Current supporters")},
                 group_sizes=_employees(sources, where).cube)


def _quiz_results(sources: Sources, _: str, where: Where | None = None) -> Built:
    # Evaluation: always the whole family (suppressed together), whatever `where`.
    bands = sources.counts.bands
    kept_by = "quiz-results:" + fingerprint(bands)
    family = _FAMILIES.get(kept_by)
    if family is None:
        family = _by_department(bands, BANDS, "band")
        _keep(_FAMILIES, kept_by, family)
    return Built(gettext("Quiz results by department"),
                 gettext("People who took a module quiz, by their average score at the first "
                         "try."), family, _departments_labels(), translated(BAND_LABELS),
                 kept_by=kept_by)


def _survey(sources: Sources, phase: str, where: Where | None = None) -> Built:
    items = survey_config(current_app).items
    # The survey is not linked to courses: only the department filter applies.
    family = Family(survey_counts(sources.organisation_id, items, phase), "item", "value",
                    tuple(i.id for i in items), tuple(str(v) for v in SCALE), (DEPARTMENT,))
    return Built(gettext("Before the training") if phase == "pre"
                 else gettext("After the training"),
                 gettext("How many people chose each answer."), family,
                 {i.id: gettext(i.text) for i in items},
                 {str(k): gettext(v) for k, v in SCALE.items()})


REPORTS: tuple[ReportDefinition, ...] = (
    ReportDefinition(
        "modules", ADMINISTRATION, _modules, row_heading=N_("Module"), detail=N_("Module"),
        members=lambda f, titles, view, row, column, _: module_members(f, titles, row,
                                                                         column)),
    ReportDefinition(
        "courses", ADMINISTRATION, _courses, row_heading=N_("Course"),
        detail=N_("LMS course"),
        members=lambda f, titles, view, row, column, _: course_members(
            f, list(titles), None if row is None else int(row), column)),
    ReportDefinition(
        "departments", ADMINISTRATION, _departments, row_heading=N_("Department"),
        members=lambda f, titles, view, row, column, _: department_members(
            f, list(titles), row, column)),
    ReportDefinition(
        "weekly", ADMINISTRATION, _weekly, chart="weekly", row_heading=N_("Week starting"),
        detail=N_("Module completed"),
        members=lambda f, titles, view, row, column, _: week_members(f, titles, view.rows,
                                                                       row, column)),
    ReportDefinition(
        "pipeline", ADMINISTRATION, _pipeline, chart="none", row_heading=N_("Stage"),
        variants=_programmes, detail=N_("Stage"),
        members=lambda f, titles, view, row, column, slug: stage_members(
            f, get_catalog().programmes[slug].document, row)),
    ReportDefinition(
        "readiness", ADMINISTRATION, _readiness, row_heading=N_("Department"),
        detail=N_("Certificate"), total_label=N_("Employees"), readiness=True,
        members=lambda f, titles, view, row, column, _: readiness_members(
            f, _programmes(), row, column)),
    ReportDefinition(
        "readiness-trend", ADMINISTRATION, _trend, chart="weekly", row_heading=N_("Month"),
        detail=N_("Supporter at the end of"), column_totals=False,
        members=lambda f, titles, view, row, column, _: supporter_members(
            f, _programmes(), view.rows, row)),
    ReportDefinition("quiz-results", EVALUATION, _quiz_results,
                     row_heading=N_("Department")),
    ReportDefinition("survey", EVALUATION, _survey, row_heading=N_("Statement"),
                     variants=lambda: ["pre", "post"], agree=True),
)
KINDS = {d.key: d.kind for d in REPORTS}


def _named(key: str) -> tuple[ReportDefinition, str]:
    """The definition a key names and its variant (unchecked: no catalog needed)."""
    for d in REPORTS:
        if d.variants is None and key == d.key:
            return d, ""
        if d.variants is not None and key.startswith(d.key + "-"):
            return d, key.removeprefix(d.key + "-")
    raise LookupError(gettext("There is no such report."))


def kind_of(key: str) -> str:
    """A report's kind, from its definition; unknown keys are a LookupError."""
    return _named(key)[0].kind


def definition(key: str) -> ReportDefinition:
    """The definition of a report that exists now (its variant among today's)."""
    found, variant = _named(key)
    if found.variants is not None and variant not in found.variants():
        raise LookupError(gettext("There is no such report."))
    return found


def report_keys() -> list[str]:
    return [key for d in REPORTS for key in d.instance_keys()]


def _table(kind: str, built: Built, filters: Filters) -> SuppressedTable:
    if kind == ADMINISTRATION:
        return exact(built.family, filters, built.group_sizes)
    return protected(built.family, filters, built.kept_by)


def _cache_seconds(config: Mapping[str, Any] | None = None) -> int:
    """LMS_PLUGIN_REPORT_CACHE_SECONDS, of `config` or else the current app's."""
    return int((current_app.config if config is None else config).get(
        "LMS_PLUGIN_REPORT_CACHE_SECONDS", 0))


SCOPE_FORMAT = 2  # how the stored pass is written (ScopeCounts.to_json): 2, by course


def scope_counts(organisation_id: int, *, refresh: bool = False,
                 courses: Sequence[int] | None = None) -> ScopeCounts:
    """The organisation's pass: the one the worker counted (`warm_reports`) if it did in
    the last LMS_PLUGIN_REPORT_CACHE_SECONDS, so every filter of every report is cut
    from it with no query at all; else counted now, once for the whole dashboard (and
    not stored: a report is never older than the cache's seconds plus the worker's).
    `refresh`: count it and store it. `courses`: see `Sources` (what is stored holds
    every course's)."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return _count(organisation_id, courses)
    cache_key = "report-scope:" + hashlib.sha256(json.dumps(
        [organisation_id, _content_version(), datetime.now(UTC).date().isoformat(),
         SCOPE_FORMAT]
    ).encode()).hexdigest()
    store = get_store()
    if not refresh:
        cached = store.get(cache_key)
        if isinstance(cached, dict):
            return ScopeCounts.from_json(cached)
        return _count(organisation_id, courses)
    counts = _count(organisation_id)
    store.set(cache_key, counts.to_json(), seconds)
    return counts


def _count(organisation_id: int, courses: Sequence[int] | None = None) -> ScopeCounts:
    """Counted now, from the maintained counts (`maintained`: the few people changed
    since the last read are folded in first, and that is committed at once, so the
    refresh's lock is not held for the rest of the request). `courses`: see
    `maintained_counts`."""
    modules, programmes = _counted()
    counts = maintained_counts(organisation_id, modules, programmes, courses=courses)
    db.session.commit()
    return counts


def _counted() -> tuple[list[str], list[Programme]]:
    """What the reports count: the modules, and the programmes in order."""
    catalog = get_catalog()
    return list(module_titles()), [catalog.programmes[slug].document
                                   for slug in sorted(catalog.programmes)]


def counts_agree(organisation_id: int) -> bool:
    """Whether the maintained counts are what the one pass counts from scratch (the
    `reports check` command, the tests and the benchmark ask)."""
    modules, programmes = _counted()
    now = datetime.now(UTC)
    kept = maintained_counts(organisation_id, modules, programmes, now)
    return kept.to_json() == count_scope(organisation_id, modules, programmes, now).to_json()


def warm_every(config: Mapping[str, Any]) -> float:
    """How often the worker warms the reports: a little sooner than the cached pass
    expires (LMS_PLUGIN_REPORT_CACHE_SECONDS), so a dashboard is always warm; hourly
    (when it does nothing) if reports are not cached."""
    seconds = _cache_seconds(config)
    return max(5.0, seconds * 0.8) if seconds > 0 else hourly(config)


def warm_reports() -> int:
    """Periodic work (jobs.register_periodic, every `warm_every`): count every
    organisation's pass again and store it for LMS_PLUGIN_REPORT_CACHE_SECONDS, so no
    admin waits on a cold dashboard. Returns how many organisations it counted."""
    if _cache_seconds() <= 0:
        return 0
    warmed = 0
    for organisation_id in db.session.scalars(select(Organisation.id)):
        scope_counts(organisation_id, refresh=True)
        warmed += 1
    db.session.rollback()  # read only: end the transaction
    return warmed


def build_report(key: str, filters: Filters, sources: Sources | None = None) -> Report:
    """A report, from the shared cache when it was built in the last
    LMS_PLUGIN_REPORT_CACHE_SECONDS (every process and host shares it). `sources`:
    the dashboard's, shared by all its reports."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return _build_report(key, filters, sources)
    cache_key = "report:" + hashlib.sha256(json.dumps(
        [key, filters.organisation_id, filters.course_id, filters.department, min_size(),
         _content_version(), current_locale()]).encode()).hexdigest()  # labels: its language
    store = get_store()
    cached = store.get(cache_key)
    if isinstance(cached, dict):
        return _from_json(cached)
    report = _build_report(key, filters, sources)
    store.set(cache_key, _to_json(report), seconds)
    return report


def build_reports(filters: Filters) -> list[Report]:
    """Every report in the registry's order, from one pass."""
    sources = Sources.of(filters)
    return [build_report(key, filters, sources) for key in report_keys()]


def _content_version() -> list[str]:
    catalog = get_catalog()
    return sorted([f"m:{m.slug}:{m.version}" for m in catalog.modules.values()]
                  + [f"p:{p.slug}:{p.version}" for p in catalog.programmes.values()])


def _to_json(report: Report) -> dict[str, Any]:
    view = report.view
    return {"key": report.key, "title": report.title, "description": report.description,
            "rows": list(view.rows), "columns": list(view.columns),
            "values": [[r, c, v] for (r, c), v in view.values.items()],
            "min_size": view.min_size, "row_labels": report.row_labels,
            "column_labels": report.column_labels, "chart": report.chart,
            "row_heading": report.row_heading}


def _from_json(data: dict[str, Any]) -> Report:
    view = SuppressedTable(tuple(data["rows"]), tuple(data["columns"]),
                           {(r, c): v for r, c, v in data["values"]}, data["min_size"])
    return Report(data["key"], data["title"], data["description"], view, data["row_labels"],
                  data["column_labels"], data["chart"], data["row_heading"])


def _build_report(key: str, filters: Filters, sources: Sources | None = None) -> Report:
    found = definition(key)
    variant = _named(key)[1]
    # An administration report is shown exactly: its table needs only its own cells.
    built = found.build(sources or Sources.of(filters), variant,
                        where_of(filters) if found.kind == ADMINISTRATION else None)
    return Report(key, built.title, built.description,
                  _table(found.kind, built, filters), built.row_labels,
                  built.column_labels, found.chart, gettext(found.row_heading))


def members(report: Report, filters: Filters, row: str, column: str) -> list[Member]:
    """The people (or enrolments, or completions) behind one count of an administration
    report: exactly as many as the count. `row` or `column` TOTAL: all of them."""
    found, variant = _named(report.key)
    if found.kind != ADMINISTRATION or found.members is None:
        raise LookupError(gettext("This report is aggregate only: it has no list of names."))
    if (row != TOTAL and row not in report.view.rows) or (
            column != TOTAL and column not in report.view.columns):
        raise LookupError(gettext("There is no such count in this report."))
    if report.view.values.get((row, column)) is None:
        raise LookupError(gettext("This count is hidden: too few people for a figure of its "
                                  "own."))
    return found.members(filters, module_titles(), report.view,
                         None if row == TOTAL else row, None if column == TOTAL else column,
                         variant)


def agree_share(view: SuppressedTable, row: str) -> int | None:
    """Per cent who agree or strongly agree, only where no value of the row is hidden (a
    share next to hidden counts could give them away)."""
    values = [view.get(row, c) for c in view.columns]
    total = view.row_total(row)
    if total in (None, 0) or any(v is None for v in values):
        return None
    agree = (view.get(row, "4") or 0) + (view.get(row, "5") or 0)
    return round(100 * agree / total)


@dataclass(frozen=True)
class Readiness:
    """One line of readiness: N supporters for M employees against the target.
    `supporters` None: the group is too small for a figure of its own."""
    label: str
    supporters: int | None
    employees: int | None
    target_per: int

    @property
    def shown(self) -> bool:
        return self.supporters is not None and self.employees is not None

    @property
    def needed(self) -> int:
        return math.ceil((self.employees or 0) / self.target_per)

    @property
    def short(self) -> int:
        return max(0, self.needed - (self.supporters or 0))

    @property
    def per(self) -> int | None:
        """One supporter per this many employees (None: no supporter)."""
        return round(self.employees / self.supporters) if self.supporters and \
            self.employees else None

    def text(self) -> str:
        """The line in words, in the request's language."""
        if not self.shown:
            return gettext("too few people for a figure of its own")
        n, m = self.supporters or 0, self.employees or 0
        if m == 0:
            return gettext("nobody on the rosters yet")
        who = (gettext("No supporters") if n == 0
               else ngettext("%(num)s supporter", "%(num)s supporters", n))
        employees = ngettext("%(num)s employee", "%(num)s employees", m)
        verdict = (gettext("met") if not self.short
                   else gettext("short by %(count)s", count=self.short))
        if self.per is None:
            return gettext("%(who)s for %(employees)s (target 1 per %(target)s): %(verdict)s",
                           who=who, employees=employees, target=self.target_per,
                           verdict=verdict)
        return gettext("%(who)s for %(employees)s (1 per %(per)s; target 1 per %(target)s): "
                       "%(verdict)s", who=who, employees=employees, per=self.per,
                       target=self.target_per, verdict=verdict)


def readiness_lines(report: Report) -> list[Readiness]:
    """The readiness table in words: the whole scope first, then each group."""
    view, per = report.view, target_per()

    def line(row: str, label: str) -> Readiness:
        values = [view.values.get((row, c)) for c in (*READINESS[:2], TOTAL)]
        lapsing, supporting, employees = values
        supporters = None if lapsing is None or supporting is None else lapsing + supporting
        return Readiness(label, supporters, employees, per)

    return [line(TOTAL, gettext("Everyone in scope")),
            *[line(row, report.row_labels.get(row, row)) for row in view.rows]]
