"""Assemble the dashboard: each report's table, cut from its whole family of tables
(every filter) suppressed as one, with its labels."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import current_app

from ..content.services import get_catalog
from ..dates import day
from ..store import get_store
from .queries import (
    BAND_LABELS,
    BANDS,
    COURSE,
    DEPARTMENT,
    PIPELINE,
    PIPELINE_LABELS,
    PROGRESS,
    PROGRESS_LABELS,
    Filters,
    Member,
    certification_pipeline,
    course_members,
    department_members,
    module_members,
    module_progress,
    progress_by_course,
    progress_by_department,
    quiz_results_by_department,
    stage_members,
    week_members,
    weekly_completions,
)
from .suppression import TOTAL, Family, SuppressedCube, SuppressedTable
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
KINDS = {"modules": ADMINISTRATION, "courses": ADMINISTRATION,
         "departments": ADMINISTRATION, "weekly": ADMINISTRATION,
         "pipeline": ADMINISTRATION, "quiz-results": EVALUATION, "survey": EVALUATION}


def kind_of(key: str) -> str:
    """A report's kind, from its definition above; unknown keys are a LookupError."""
    family = key.split("-", 1)[0] if key.startswith(("pipeline-", "survey-")) else key
    if family not in KINDS:
        raise LookupError("There is no such report.")
    return KINDS[family]


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    description: str
    view: SuppressedTable
    row_labels: dict[str, str]
    column_labels: dict[str, str]
    chart: str  # "bars" | "weekly" | "none"
    row_heading: str = "Group"

    @property
    def kind(self) -> str:
        return kind_of(self.key)

    @property
    def named(self) -> bool:
        """Whether each count opens the list of the people behind it."""
        return self.kind == ADMINISTRATION


def min_size() -> int:
    return max(1, int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5)))


def protected(family: Family, filters: Filters) -> SuppressedTable:
    """The one way a table reaches a page or a file: the filters' slice of the report's
    whole family of tables, suppressed together (see `suppression`)."""
    where = {COURSE: None if filters.course_id is None else str(filters.course_id),
             DEPARTMENT: filters.department}
    return family.table(family.suppress(min_size()), where)


def exact(family: Family, filters: Filters) -> SuppressedTable:
    """An administration report's table: the same slice of the same family, nothing
    hidden (the admin may list every one of these people by name)."""
    where = {COURSE: None if filters.course_id is None else str(filters.course_id),
             DEPARTMENT: filters.department}
    return family.table(SuppressedCube(family.cube, frozenset(), min_size()), where)


def _table(key: str, family: Family, filters: Filters) -> SuppressedTable:
    return exact(family, filters) if kind_of(key) == ADMINISTRATION else \
        protected(family, filters)


def module_titles() -> dict[str, str]:
    return {m.slug: m.meta.title for m in get_catalog().ordered_modules()}


def build_report(key: str, filters: Filters) -> Report:
    """A report, from the shared cache when it was built in the last
    LMS_PLUGIN_REPORT_CACHE_SECONDS (every process and host shares it)."""
    seconds = int(current_app.config.get("LMS_PLUGIN_REPORT_CACHE_SECONDS", 0))
    if seconds <= 0:
        return _build_report(key, filters)
    cache_key = "report:" + hashlib.sha256(json.dumps(
        [key, filters.organisation_id, filters.course_id, filters.department, min_size(),
         _content_version()]).encode()).hexdigest()
    store = get_store()
    cached = store.get(cache_key)
    if isinstance(cached, dict):
        return _from_json(cached)
    report = _build_report(key, filters)
    store.set(cache_key, _to_json(report), seconds)
    return report


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


def _build_report(key: str, filters: Filters) -> Report:
    titles = module_titles()
    modules = list(titles)
    scope = replace(filters, course_id=None, department=None)  # every table of the family
    both = (COURSE, DEPARTMENT)
    if key == "modules":
        family = Family(module_progress(scope, modules), "module", "progress",
                        tuple(modules), PROGRESS, both)
        return Report(key, "Completion by module",
                      "People in scope, by how far they are with each module.",
                      _table(key, family, filters), titles, PROGRESS_LABELS, "bars", "Module")
    if key == "courses":
        cube, labels = progress_by_course(scope, modules)
        family = Family(cube, COURSE, "progress",
                        tuple(sorted(labels, key=lambda k: labels[k].lower())), PROGRESS,
                        both, present_rows_only=True)
        return Report(key, "Completion by LMS course",
                      "Each enrolment: every module completed, some progress, or none yet.",
                      _table(key, family, filters), labels, PROGRESS_LABELS, "bars", "Course")
    if key == "departments":
        cube = progress_by_department(scope, modules)
        found = cube.values_of(DEPARTMENT)
        family = Family(cube, DEPARTMENT, "progress", tuple(sorted(found, key=str.lower)),
                        PROGRESS, both, present_rows_only=True)
        return Report(key, "Completion by department",
                      "From the department your LMS sends with each launch.",
                      _table(key, family, filters), {}, PROGRESS_LABELS, "bars", "Department")
    if key == "weekly":
        cube, weeks = weekly_completions(scope, modules)
        family = Family(cube, "week", "module", weeks, tuple(modules), both)
        return Report(key, "Modules completed per week",
                      "Module completions in each of the last 12 weeks (weeks start on Monday).",
                      _table(key, family, filters),
                      {w: day(date.fromisoformat(w)) for w in weeks}, titles, "weekly",
                      "Week starting")
    if key.startswith("pipeline-"):
        slug = key.removeprefix("pipeline-")
        content = get_catalog().programmes.get(slug)
        if content is None:
            raise LookupError(f"There is no programme called {slug!r}.")
        family = Family(certification_pipeline(scope, content.programme), "stage", "column",
                        PIPELINE, ("people",), both)
        return Report(key, f"Certification: {content.programme.title}",
                      "Everyone enrolled in the programme, by where they stand now.",
                      _table(key, family, filters), PIPELINE_LABELS, {"people": "People"},
                      "none", "Stage")
    if key == "quiz-results":
        cube = quiz_results_by_department(scope)
        family = Family(cube, DEPARTMENT, "band",
                        tuple(sorted(cube.values_of(DEPARTMENT), key=str.lower)), BANDS,
                        both, present_rows_only=True)
        return Report(key, "Quiz results by department",
                      "People who took a module quiz, by their average score at the first try.",
                      _table(key, family, filters), {}, BAND_LABELS, "bars", "Department")
    if key.startswith("survey-"):
        phase = key.removeprefix("survey-")
        if phase not in ("pre", "post"):
            raise LookupError("There is no such survey table.")
        items = survey_config(current_app).items
        # The survey is not linked to courses: only the department filter applies.
        family = Family(survey_counts(scope.organisation_id, items, phase), "item", "value",
                        tuple(i.id for i in items), tuple(str(v) for v in SCALE),
                        (DEPARTMENT,))
        return Report(key, ("Before" if phase == "pre" else "After") + " the training",
                      "How many people chose each answer.", _table(key, family, filters),
                      {i.id: i.text for i in items}, {str(k): v for k, v in SCALE.items()},
                      "bars", "Statement")
    raise LookupError("There is no such report.")


def report_keys() -> list[str]:
    keys = ["modules", "courses", "departments", "weekly"]
    keys += [f"pipeline-{slug}" for slug in sorted(get_catalog().programmes)]
    return [*keys, "quiz-results", "survey-pre", "survey-post"]


def members(report: Report, filters: Filters, row: str, column: str) -> list[Member]:
    """The people (or enrolments, or completions) behind one count of an administration
    report: exactly as many as the count. `row` or `column` TOTAL: all of them."""
    if report.kind != ADMINISTRATION:
        raise LookupError("This report is aggregate only: it has no list of names.")
    if (row != TOTAL and row not in report.view.rows) or (
            column != TOTAL and column not in report.view.columns):
        raise LookupError("There is no such count in this report.")
    one_row = None if row == TOTAL else row
    one_column = None if column == TOTAL else column
    titles = module_titles()
    if report.key == "modules":
        return module_members(filters, titles, one_row, one_column)
    if report.key == "departments":
        return department_members(filters, list(titles), one_row, one_column)
    if report.key == "courses":
        return course_members(filters, list(titles), None if one_row is None
                              else int(one_row), one_column)
    if report.key == "weekly":
        return week_members(filters, titles, report.view.rows, one_row, one_column)
    content = get_catalog().programmes[report.key.removeprefix("pipeline-")]
    return stage_members(filters, content.programme, one_row)


def agree_share(view: SuppressedTable, row: str) -> int | None:
    """Per cent who agree or strongly agree, only where no value of the row is hidden (a
    share next to hidden counts could give them away)."""
    values = [view.get(row, c) for c in view.columns]
    total = view.row_total(row)
    if total in (None, 0) or any(v is None for v in values):
        return None
    agree = (view.get(row, "4") or 0) + (view.get(row, "5") or 0)
    return round(100 * agree / total)
