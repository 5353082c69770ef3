"""Assemble the dashboard: each report's count table, suppressed against every broader
view a person could subtract it from, with its labels."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ..content.services import get_catalog
from ..store import get_store
from .queries import (
    PIPELINE_LABELS,
    PROGRESS_LABELS,
    Filters,
    certification_pipeline,
    module_progress,
    progress_by_course,
    progress_by_department,
    weekly_completions,
)
from .suppression import CountTable, SuppressedTable, suppress
from .survey import SCALE, survey_config, survey_tables


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
    links: dict[str, str] = field(default_factory=dict)  # row -> URL (pipeline lists)


def min_size() -> int:
    return max(1, int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5)))


def protected(build: Callable[[Filters], CountTable], filters: Filters) -> SuppressedTable:
    """The one way a table reaches a page or a file."""
    return suppress(build(filters), min_size(), [build(f) for f in filters.broader()])


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
    if key == "modules":
        return Report(key, "Completion by module",
                      "People in scope, by how far they are with each module.",
                      protected(lambda f: module_progress(f, modules), filters), titles,
                      PROGRESS_LABELS, "bars", "Module")
    if key == "courses":
        labels: dict[str, str] = {}

        def by_course(f: Filters) -> CountTable:
            table, names = progress_by_course(f, modules)
            labels.update(names)
            return table

        view = protected(by_course, filters)
        return Report(key, "Completion by LMS course",
                      "Each enrolment: every module completed, some progress, or none yet.",
                      view, labels, PROGRESS_LABELS, "bars", "Course")
    if key == "departments":
        view = protected(lambda f: progress_by_department(f, modules), filters)
        return Report(key, "Completion by department",
                      "From the department your LMS sends with each launch.",
                      view, {}, PROGRESS_LABELS, "bars", "Department")
    if key == "weekly":
        view = protected(lambda f: weekly_completions(f, modules), filters)
        return Report(key, "Modules completed per week",
                      "Module completions in each of the last 12 weeks (weeks start on Monday).",
                      view, {}, titles, "weekly", "Week starting")
    if key.startswith("pipeline-"):
        slug = key.removeprefix("pipeline-")
        content = get_catalog().programmes.get(slug)
        if content is None:
            raise LookupError(f"There is no programme called {slug!r}.")
        view = protected(lambda f: certification_pipeline(f, content.programme), filters)
        return Report(key, f"Certification: {content.programme.title}",
                      "Everyone enrolled in the programme, by where they stand now.",
                      view, PIPELINE_LABELS, {"people": "People"}, "none", "Stage")
    if key.startswith("survey-"):
        phase = key.removeprefix("survey-")
        if phase not in ("pre", "post"):
            raise LookupError("There is no such survey table.")
        items = survey_config(current_app).items

        def survey(f: Filters) -> CountTable:
            tables = survey_tables(f.organisation_id, items, f.department)
            return tables.pre if phase == "pre" else tables.post

        # The survey is not linked to courses: only the department filter applies.
        scoped = Filters(filters.organisation_id, None, filters.department)
        return Report(key, ("Before" if phase == "pre" else "After") + " the training",
                      "How many people chose each answer.", protected(survey, scoped),
                      {i.id: i.text for i in items}, {str(k): v for k, v in SCALE.items()},
                      "bars", "Statement")
    raise LookupError("There is no such report.")


def report_keys() -> list[str]:
    keys = ["modules", "courses", "departments", "weekly"]
    keys += [f"pipeline-{slug}" for slug in sorted(get_catalog().programmes)]
    return [*keys, "survey-pre", "survey-post"]


def agree_share(view: SuppressedTable, row: str) -> int | None:
    """Per cent who agree or strongly agree, only where no value of the row is hidden (a
    share next to hidden counts could give them away)."""
    values = [view.get(row, c) for c in view.columns]
    total = view.row_total(row)
    if total in (None, 0) or any(v is None for v in values):
        return None
    agree = (view.get(row, "4") or 0) + (view.get(row, "5") or 0)
    return round(100 * agree / total)
