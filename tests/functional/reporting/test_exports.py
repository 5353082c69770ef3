"""Every CSV export quotes every field and guards formulas (issue 11, finding 11), with
names, departments and course titles that the LMS sends, i.e. anyone can choose."""

from __future__ import annotations

import csv
import io

from lms_plugin.extensions import db
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
