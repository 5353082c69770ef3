"""The one pass (`reporting.scope.count_scope`) counts exactly what the per-table queries
count (`reporting.queries`, kept as the reference): every cell of every report's cube,
for two organisations seeded side by side (neither's people leak into the other's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from lms_plugin.content.services import get_catalog
from lms_plugin.extensions import db
from lms_plugin.jobs import registry
from lms_plugin.reporting.queries import (
    Filters,
    certification_pipeline,
    module_progress,
    progress_by_course,
    progress_by_department,
    quiz_results_by_department,
    readiness_by_department,
    supporters_by_month,
    weekly_completions,
)
from lms_plugin.reporting.scope import (
    ByCourse,
    ScopeCounts,
    by_course,
    count_scope,
    fingerprint,
)
from lms_plugin.reporting.services import (
    Sources,
    build_report,
    definition,
    min_size,
    module_titles,
    report_keys,
    scope_counts,
    warm_reports,
    where_of,
)
from lms_plugin.reporting.suppression import Cube
from tests.support import factories
from tests.support.reports import every_filter


def _cells(cube: Cube) -> dict[tuple[str, ...], int]:
    return {box: n for box, n in cube.values.items()}


def test_the_pass_counts_every_cell_the_per_table_queries_count(app, two_seeded):
    now = datetime.now(UTC)
    with app.app_context(), app.test_request_context():
        catalog = get_catalog()
        titles = module_titles()
        modules = list(titles)
        slugs = sorted(catalog.programmes)
        assert slugs, "the shipped content has a programme"
        totals = []
        for organisation_id in two_seeded:
            scope = Filters(organisation_id)
            sources = Sources(organisation_id)
            sources._counts = count_scope(organisation_id, modules,
                                          [catalog.programmes[s].document for s in slugs],
                                          now)

            def new(key: str, variant: str = "", sources: Sources = sources) -> Cube:
                named = f"{key}-{variant}" if variant else key
                return definition(named).build(sources, variant).family.cube

            assert _cells(new("modules")) == _cells(module_progress(scope, modules))
            old_courses, labels = progress_by_course(scope, modules)
            assert _cells(new("courses")) == _cells(old_courses)
            assert sources.counts.course_labels == labels
            assert _cells(new("departments")) == _cells(progress_by_department(scope, modules))
            old_weekly, weeks = weekly_completions(scope, modules, today=now.date())
            assert _cells(new("weekly")) == _cells(old_weekly)
            assert sources.counts.week_order == weeks
            assert _cells(new("quiz-results")) == _cells(quiz_results_by_department(scope))
            for slug in slugs:
                old = certification_pipeline(scope, catalog.programmes[slug].document, now)
                assert _cells(new("pipeline", slug)) == _cells(old)
            assert _cells(new("readiness")) == _cells(readiness_by_department(scope, slugs, now))
            trend = _cells(new("readiness-trend"))
            assert trend == _cells(supporters_by_month(scope, slugs, now))
            assert trend[("__total__",) * 2 + (sources.counts.month_order[-1], "supporters")]
            weekly = _cells(new("weekly"))
            totals.append(sum(weekly.values()))
            # Not vacuous: the seed has people at every stage of the modules, several
            # weeks of completions and some quiz results.
            assert {box[3] for box, n in _cells(new("modules")).items() if n} >= {
                "not_started", "in_progress", "completed"}
            assert sum(n for box, n in _cells(new("quiz-results")).items()
                       if box[0] == box[1] == box[2] == "__total__") > 0
        assert all(totals)


def test_the_pass_is_cached_per_organisation_and_warmed_by_the_worker(app, registered,
                                                                    two_seeded):
    (task,) = [t for t in registry(app)["periodic"] if t.work is warm_reports]
    # Warmed a little before the cached pass expires, whatever the cache's length.
    assert task.every({"LMS_PLUGIN_REPORT_CACHE_SECONDS": 60}) < 60
    assert task.every({"LMS_PLUGIN_REPORT_CACHE_SECONDS": 600}) < 600
    with app.app_context(), app.test_request_context():
        app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 300
        issuer = registered.issuer
        try:
            assert warm_reports() >= 2  # both organisations
            first, second = (scope_counts(i) for i in two_seeded)
            assert first.status != second.status  # each its own
            # A learner added after the warm-up is not counted until the next one.
            factories.user(issuer=issuer, course=factories.get_course(issuer, "new-course"))
            db.session.commit()
            assert scope_counts(two_seeded[0]).to_json() == first.to_json()
            warm_reports()
            after = scope_counts(two_seeded[0])
            everyone = sum(n for box, n in after.status.items() if box[0] == "__total__")
            before = sum(n for box, n in first.status.items() if box[0] == "__total__")
            assert everyone == before + 1
            assert scope_counts(two_seeded[1]).to_json() == second.to_json()
        finally:
            app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 0


def test_every_table_cut_from_the_stored_pass_is_the_counted_one(app, two_seeded):
    """A pass read back from the store (each course's counts read when a table needs
    them, an evaluation family suppressed once for every filter) gives every report
    under every filter exactly as the pass just counted does."""
    with app.app_context(), app.test_request_context():
        organisation_id = two_seeded[0]
        counted = Sources(organisation_id)  # as the one pass counts: plain dicts
        catalog = get_catalog()
        counted._counts = count_scope(organisation_id, list(module_titles()), [
            catalog.programmes[slug].document for slug in sorted(catalog.programmes)])
        assert isinstance(counted.counts.modules, dict)
        stored = Sources(organisation_id)
        stored._counts = ScopeCounts.from_json(json.loads(json.dumps(
            counted.counts.to_json())))
        assert isinstance(stored.counts.modules, ByCourse)
        compared = 0
        for filters in every_filter(organisation_id):
            for key in report_keys():
                for _ in range(2):  # the second: the suppressed family kept from the first
                    assert build_report(key, filters, stored).view == \
                        build_report(key, filters, counted).view, (key, filters)
                    compared += 1
        assert compared > 100
        assert stored.counts.to_json() == counted.counts.to_json()
        # Stored the same whatever order the database gave the counts in.
        modules = counted.counts.modules
        assert by_course(dict(reversed(list(modules.items())))) == by_course(modules)
        # What is kept by the counts is found again whether they were counted or stored.
        assert fingerprint(stored.counts.bands) == fingerprint(counted.counts.bands)


def test_a_kept_evaluation_family_is_its_own_organisations(app, two_seeded):
    """quiz-results' suppressed family is kept per process by its counts: each
    organisation's table is the one suppressed from its own counts, never the other's."""
    with app.app_context(), app.test_request_context():
        cubes = []
        for organisation_id in two_seeded:
            filters = Filters(organisation_id)
            sources = Sources(organisation_id)
            built = definition("quiz-results").build(sources, "")
            cubes.append(built.family.cube.values)
            expected = built.family.table(built.family.suppress(min_size()),
                                          where_of(filters))
            for _ in range(2):
                assert build_report("quiz-results", filters, sources).view == expected
        assert cubes[0] != cubes[1]  # else this would show nothing
