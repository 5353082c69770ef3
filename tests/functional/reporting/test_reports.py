"""The admin dashboard, its CSV exports, the people export, lists and per-person views, over
HTTP for a launched admin; refusal for everyone else; garbage filters refused."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.browser import ClientBrowser

ROUTES = ["/admin/reports", "/admin/reports/summary", "/admin/reports/modules.csv",
          "/admin/reports/people.csv", "/admin/audit",
          "/admin/reports/pipeline/listener/enrolled"]


def launched(app, registered, persona: str) -> ClientBrowser:
    browser = ClientBrowser(app.test_client(), registered.url)
    browser.launch(persona=persona)
    return browser


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_dashboard_shows_exact_administration_and_suppressed_evaluation(app, organisation):
    admin = launched(app, organisation, "admin")
    page = admin.client.get("/admin/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("Completion by module", "Completion by LMS course", "Completion by department",
                  "Modules completed per week", "Certification: Certified Listener",
                  "Quiz results by department", "Before the training", "After the training",
                  "Programme administration", "Evaluation"):
        assert title in html
    assert "<svg" in html and 'role="img"' in html  # a chart, with the table beside it
    assert "Legal" in html

    # Programme administration: who has completed the training is listed by name for the
    # admin, so its counts are exact (a "hidden" there would protect nobody).
    departments = {r[0]: r[1:] for r in rows(admin.client.get("/admin/reports/departments.csv"))}
    assert departments["Finance"] == ["10", "10", "20", "40"]
    assert departments["Legal"] == ["1", "1", "1", "3"]
    assert departments["Total"][-1] == "55"
    modules = {r[0]: r[1:] for r in rows(admin.client.get("/admin/reports/modules.csv"))}
    assert modules["Listening well"][-1] == "55"  # everyone in scope (the admin is no learner)

    # Evaluation: how people scored, by group, is suppressed as before: Legal's one quiz
    # taker is hidden everywhere, and so is a complement that would give it away.
    results = {r[0]: r[1:] for r in rows(admin.client.get("/admin/reports/quiz-results.csv"))}
    assert set(results["Legal"]) == {"hidden"}
    assert results["Finance"][-1] == "20"
    assert "hidden" in results["Operations"] or "hidden" in results["Total"]


def test_filters_cannot_be_subtracted_to_reveal_a_small_group(app, organisation):
    """Course B holds Operations (12) and Legal (3). Filtering evaluation by course B and
    by department Operations must not give away Legal's quiz takers by difference."""
    admin = launched(app, organisation, "admin")
    with app.app_context():
        course_b = db.session.scalars(select(factories.Course).where(
            factories.Course.context_id == "course-b")).one().id
    by_course = rows(admin.client.get(f"/admin/reports/quiz-results.csv?course={course_b}"))
    by_both = rows(admin.client.get(
        f"/admin/reports/quiz-results.csv?course={course_b}&department=Operations"))
    course_total, both_total = by_course[-1][-1], by_both[-1][-1]
    assert "hidden" in (course_total, both_total)


def test_exports_stream_and_are_audited_without_answers(app, organisation):
    admin = launched(app, organisation, "admin")
    response = admin.client.get("/admin/reports/people.csv")
    assert response.status_code == 200 and response.is_streamed
    table = rows(response)
    assert table[0][:2] == ["Name", "Department"]
    assert len(table) == 1 + 55
    finance_1 = next(r for r in table if r[0] == "Finance person 1")
    assert finance_1[1] == "Finance" and finance_1[3] == "81"
    assert "my private answer" not in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "report.people.export" in actions


def test_lists_and_person_views_are_audited(app, organisation):
    admin = launched(app, organisation, "admin")
    with app.app_context():
        person = db.session.scalars(select(User).where(User.name == "Finance person 1")).one()
    page = admin.client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Finance person 1" in page and "81%" in page
    assert "my private answer" not in page
    with app.app_context():
        views = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.view")).all()
        assert [v.subject_id for v in views] == [person.id]
    log = admin.client.get("/admin/audit").get_data(as_text=True)
    assert "Opened a person" in log and "Riley Chen" in log


@pytest.mark.parametrize("persona", ["learner", "trainee", "supervisor"])
def test_everyone_but_an_admin_is_refused(app, organisation, persona):
    browser = launched(app, organisation, persona)
    for route in ROUTES:
        assert browser.client.get(route).status_code == 403, route
    assert browser.client.get("/admin/reports/people/1").status_code == 403


@pytest.mark.parametrize("query", ["course=abc", "course=999999", "department=Nowhere",
                                   "course=-1"])
def test_garbage_filters_are_a_clear_400(app, organisation, query):
    admin = launched(app, organisation, "admin")
    response = admin.client.get(f"/admin/reports?{query}")
    assert response.status_code == 400
    assert "filter must be one of the listed" in response.get_data(as_text=True)


def test_unknown_reports_are_404(app, organisation):
    admin = launched(app, organisation, "admin")
    assert admin.client.get("/admin/reports/nothing.csv").status_code == 404
    assert admin.client.get("/admin/reports/pipeline/listener/nowhere").status_code == 404


def test_reports_are_cached_briefly_per_filter_and_shared(app, organisation):
    admin = launched(app, organisation, "admin")
    app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 60
    first = rows(admin.client.get("/admin/reports/modules.csv"))
    with app.app_context():
        extra = factories.user("Late joiner", issuer=organisation.issuer)
        extra.department = "Finance"
        db.session.commit()
    assert rows(admin.client.get("/admin/reports/modules.csv")) == first  # from the cache
    finance = rows(admin.client.get("/admin/reports/modules.csv?department=Finance"))
    assert finance[1][-1] == "41"  # another filter is another entry, computed fresh
    app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 0
    assert rows(admin.client.get("/admin/reports/modules.csv"))[1][-1] == "56"


def test_a_cached_report_is_kept_per_language(app, organisation):
    admin = launched(app, organisation, "admin")
    app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 60
    try:
        english = rows(admin.client.get("/admin/reports/modules.csv"))
        spanish = rows(admin.client.get("/admin/reports/modules.csv",
                                        headers={"Accept-Language": "es"}))
        assert english[0][0] == "Module" and "Not started" in english[0]
        assert spanish[0] == ["Módulo", "Sin empezar", "En curso", "Completado", "Total"]
        assert spanish[-1][0] == "Total" and spanish[1:] != [] and spanish[1][1:] == \
            english[1][1:]  # the same counts, in the other language's words
        # The Spanish build did not replace the English one in the cache.
        assert rows(admin.client.get("/admin/reports/modules.csv")) == english
        page = admin.client.get("/admin/reports", headers={"Accept-Language": "es"})
        html = page.get_data(as_text=True)
        assert "Finalización por módulo" in html and "Completion by module" not in html
        assert "Proporción que está de acuerdo" in html and "oculto" in html
    finally:
        app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 0


def test_every_report_downloads_for_an_admin(app, organisation):
    admin = launched(app, organisation, "admin")
    page = admin.client.get("/admin/reports").get_data(as_text=True)
    links = sorted({part.split('"', 1)[0] for part in page.split('href="/admin/reports/')[1:]
                    if part.split('"', 1)[0].split("?")[0].endswith(".csv")})
    assert {"modules.csv", "courses.csv", "departments.csv", "weekly.csv",
            "pipeline-listener.csv", "survey-pre.csv", "survey-post.csv",
            "people.csv"} <= {link.split("?")[0] for link in links}
    for link in links:
        response = admin.client.get("/admin/reports/" + link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert response.mimetype == "text/csv"
        assert len(rows(response)) >= 2, link
    assert "25%" in page  # the share not started: 10 of 40 in Finance
