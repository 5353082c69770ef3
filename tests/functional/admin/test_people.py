"""People search: everyone of the organisation (not only programme enrollees), by name,
e-mail or department, paged and sorted, audited; nobody of another organisation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lms_plugin.extensions import db
from tests.support import factories
from tests.support.admin import events, signed_in
from tests.support.authorization import OTHER_ISSUER


@pytest.fixture
def staff(app, sample_content):
    with app.app_context():
        admin = factories.user("Riley Chen", roles="admin")
        now = datetime.now(UTC)
        people = [("Priya Shah", "priya.shah@example.org", "Finance", 3),
                  ("Tom O'Neil", "tom@example.org", "Warehouse", 1),
                  ("Ada 100% Lovelace", None, None, None)]  # on a roster only: never launched
        for name, email, department, days in people:
            person = factories.user(name)
            person.email, person.department = email, department
            person.last_launch_at = now - timedelta(days=days) if days else None
        trainee = factories.user("Sam Okafor")
        trainee.last_launch_at = now
        factories.completed(trainee, "listening", 90)
        factories.enrolled(trainee, "listener")
        factories.user("Priya Elsewhere", issuer=OTHER_ISSUER)
        db.session.commit()
        return admin.id


def search(app, admin_id, **query):
    return signed_in(app, admin_id, ["admin"]).get("/admin/people", query_string=query)


def test_everyone_is_found_by_name_email_or_department_and_the_search_is_audited(app, staff):
    html = search(app, staff).get_data(as_text=True)
    for name in ("Priya Shah", "Tom O&#39;Neil", "Ada 100% Lovelace", "Sam Okafor",
                 "Riley Chen"):
        assert name in html
    assert "Priya Elsewhere" not in html  # another organisation
    assert "Never (on a roster)" in html
    assert "Certified Listener (test programme): Provisional" in html
    assert "1 of 1 modules" in html
    assert "L&amp;D admin" in html and "Learner" in html

    assert "Priya Shah" in search(app, staff, q="priya.shah@").get_data(as_text=True)
    by_department = search(app, staff, q="wareHOUSE").get_data(as_text=True)
    assert "Tom O&#39;Neil" in by_department and "Priya Shah" not in by_department
    literal = search(app, staff, q="100%").get_data(as_text=True)  # % is not a wildcard
    assert "Ada 100% Lovelace" in literal and "Sam Okafor" not in literal
    nobody = search(app, staff, q="Elsewhere").get_data(as_text=True)
    assert "0 people" in nobody and "Priya Elsewhere" not in nobody

    searches = events(app, "people.search")
    assert [json.loads(e.detail_json)["query"] for e in searches] == [
        "", "priya.shah@", "wareHOUSE", "100%", "Elsewhere"]
    assert all(e.actor_id == staff and e.subject_id is None for e in searches)


def test_the_list_is_paged_and_sorted(app, staff):
    with app.app_context():
        now = datetime.now(UTC)
        for i in range(55):
            person = factories.user(f"Zed Person {i:02d}")
            person.department = "Zulu"
            person.last_launch_at = now - timedelta(hours=i)
        db.session.commit()
    first = search(app, staff).get_data(as_text=True)
    assert "60 people" in first and "Page 1 of 2" in first
    assert first.count('href="/admin/people/') == 50 and "Next page" in first
    second = search(app, staff, page="2").get_data(as_text=True)
    assert second.count('href="/admin/people/') == 10 and "Previous page" in second
    assert "Zed Person 54" in second  # by name: the last ones on page 2

    recent = search(app, staff, sort="last_launch").get_data(as_text=True)
    assert recent.index("Zed Person 00") < recent.index("Zed Person 01") < recent.index(
        "Tom O&#39;Neil")
    by_department = search(app, staff, sort="department").get_data(as_text=True)
    assert by_department.index("Finance") < by_department.index("Warehouse") < \
        by_department.index("Zulu")


@pytest.mark.parametrize(("query", "message"), [
    ({"sort": "salary"}, "Sort by name"), ({"page": "0"}, "positive number"),
    ({"page": "x"}, "positive number"), ({"q": "x" * 201}, "at most 200 characters")])
def test_garbage_is_a_clear_400(app, staff, query, message):
    response = search(app, staff, **query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_only_an_admin_may_search(app, staff):
    with app.app_context():
        learner = factories.user("Alex Morgan").id
        db.session.commit()
    assert signed_in(app, learner, ["learner"]).get("/admin/people").status_code == 403
    assert not events(app, "people.search")
