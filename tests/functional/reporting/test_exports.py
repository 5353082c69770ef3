"""Every CSV export quotes every field and guards formulas (issue 11, finding 11), with
names, departments and course titles that the LMS sends, i.e. anyone can choose."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.reporting.services import module_titles
from tests.support import factories
from tests.support.browser import ClientBrowser

HOSTILE = [" =1+1", "\n=1+1", "＝1+1", "a;=1+1", "@SUM(A1)", "-2+3"]


def test_people_and_table_exports_guard_every_cell(app, registered, sample_content):
    with app.app_context():
        course = factories.get_course(registered.issuer, "hostile")
        course.title = "+HYPERLINK(\"http://evil.example\")"
        for i, text in enumerate(HOSTILE):
            for n in range(5):  # groups big enough to be shown
                person = factories.user(f"{text}" if n == 0 else f"Person {i}-{n}",
                                        issuer=registered.issuer, course=course)
                person.department = text
        db.session.commit()
    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    exports = {}
    for name in ("people", "departments", "courses"):
        response = admin.client.get(f"/admin/reports/{name}.csv")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        exports[name] = list(csv.reader(io.StringIO(body)))
        quoted = io.StringIO()
        csv.writer(quoted, quoting=csv.QUOTE_ALL).writerows(exports[name])
        assert body == quoted.getvalue()  # every field quoted
    cells = {cell for table in exports.values() for row in table for cell in row}
    for text in HOSTILE:
        assert text not in cells, text
        assert "'" + text in cells, text
    assert "'+HYPERLINK(\"http://evil.example\")" in cells


def test_people_export_has_each_persons_completions_and_best_scores_only(
        app, registered, second_platform, shipped_content):
    """people.csv is one statement (completions and best scores pivoted per module):
    each module's own date and best submitted score, nobody else's, no other
    organisation's people."""
    done_at = datetime.now(UTC) - timedelta(days=3)
    with app.test_request_context():
        modules = list(module_titles())
        assert len(modules) >= 2
        first, second = modules[:2]

        def attempt(person_id: int, slug: str, score: float | None) -> None:
            db.session.add(QuizAttempt(
                user_id=person_id, quiz_slug=slug, quiz_version="v1", layout_json="[]",
                answers_json="{}", started_at=done_at,
                submitted_at=None if score is None else done_at, score=score,
                passed=score is not None and score >= 80))

        finisher = factories.user("Finisher", issuer=registered.issuer)
        for score in (60, 90, 70):
            attempt(finisher.id, first, score)
        attempt(finisher.id, second, 50)
        attempt(finisher.id, second, None)  # not submitted: not a score
        db.session.add(factories.ModuleCompletion(
            user_id=finisher.id, module_slug=first, module_version="v1", quiz_score=90,
            completed_at=done_at))
        factories.user("Starter", issuer=registered.issuer)
        elsewhere = factories.user("Elsewhere", issuer=second_platform.issuer)
        attempt(elsewhere.id, first, 100)
        db.session.commit()
    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    table = list(csv.reader(io.StringIO(
        admin.client.get("/admin/reports/people.csv").get_data(as_text=True))))
    by_name = {row[0]: row for row in table[1:]}
    assert "Elsewhere" not in by_name
    assert by_name["Finisher"][2:6] == [done_at.date().isoformat(), "90", "", "50"]
    assert set(by_name["Starter"][2:]) == {""}
