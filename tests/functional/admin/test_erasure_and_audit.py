"""The erasure requests queue (received, due one calendar month later, overdue marked,
done ones listed as done, erase from there) and the audit log (readable labels for every
event the code writes, filters by kind, person and dates, paging, 400 on garbage), each
for one organisation only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lms_plugin.admin.services import PER_PAGE, add_one_month
from lms_plugin.audit import EVENT_LABELS, AuditEvent, audit
from lms_plugin.dates import day
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.admin import events, post, signed_in
from tests.support.authorization import OTHER_ISSUER


def requested(person: User, days_ago: int) -> datetime:
    audit("privacy.erasure_request", person, person, None)
    event = db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert event is not None
    event.at = datetime.now(UTC) - timedelta(days=days_ago)
    db.session.flush()
    return event.at


@pytest.fixture
def queue(app, sample_content):
    with app.app_context():
        admin = factories.user("Riley Chen", roles="admin")
        late, recent, done = (factories.user(n) for n in ("Lee Late", "Rae Recent", "Dee Done"))
        outsider = factories.user("Far Away", issuer=OTHER_ISSUER)
        other_admin = factories.user("Other Admin", roles="admin", issuer=OTHER_ISSUER)
        at = {"late": requested(late, 40), "recent": requested(recent, 2),
              "done": requested(done, 10)}
        requested(outsider, 1)
        db.session.commit()
        return {"admin": admin.id, "late": late.id, "recent": recent.id, "done": done.id,
                "other_admin": other_admin.id, "at": at}


def test_requests_show_when_they_are_due_and_which_are_overdue(app, queue):
    client = signed_in(app, queue["admin"], ["admin"])
    page = client.get(f"/admin/people/{queue['done']}").get_data(as_text=True)
    assert "Erasure requests <span class=\"nav-count\">(3 open)</span>" in page
    assert f"Dee Done asked for this on {day(queue['at']['done'])}" in page
    late = client.get(f"/admin/people/{queue['late']}").get_data(as_text=True)
    assert "(overdue)" in late
    erased = post(app, client, f"/admin/people/{queue['done']}/erase", confirm="ERASE")
    assert erased.status_code == 302 and erased.headers["Location"].endswith(
        "/admin/erasure-requests")  # they had asked: back to the queue

    html = client.get("/admin/erasure-requests").get_data(as_text=True)
    assert "(2 open)" in html and "Far Away" not in html
    open_part, done_part = html.split("<h2>Done", 1)
    assert open_part.index("Lee Late") < open_part.index("Rae Recent")  # soonest due first
    late_row = open_part.split("Lee Late", 1)[1].split("</tr>", 1)[0]
    recent_row = open_part.split("Rae Recent", 1)[1].split("</tr>", 1)[0]
    assert day(add_one_month(queue["at"]["late"])) in late_row and "Overdue" in late_row
    assert day(queue["at"]["recent"]) in recent_row and "Overdue" not in recent_row
    assert day(add_one_month(queue["at"]["recent"])) in recent_row
    assert 'class="overdue"' in open_part.split("Lee Late", 1)[0].rsplit("<tr", 1)[1]
    assert "Erased person" in done_part and "(done)" in done_part
    assert "Dee Done" not in html

    with app.app_context():
        unasked = factories.user("Una Asked").id
        db.session.commit()
    assert "asked for this" not in client.get(f"/admin/people/{unasked}").get_data(
        as_text=True)
    erased = post(app, client, f"/admin/people/{unasked}/erase", confirm="ERASE")
    assert erased.headers["Location"].endswith("/admin/people")  # nobody asked: the list

    other = signed_in(app, queue["other_admin"], ["admin"])
    theirs = other.get("/admin/erasure-requests").get_data(as_text=True)
    assert "Far Away" in theirs and "Lee Late" not in theirs and "(1 open)" in theirs


@pytest.mark.parametrize(("received", "due"), [
    (datetime(2026, 1, 31, 9, tzinfo=UTC), datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2028, 1, 30, 9, tzinfo=UTC), datetime(2028, 2, 29, 9, tzinfo=UTC)),
    (datetime(2026, 12, 15, 9, tzinfo=UTC), datetime(2027, 1, 15, 9, tzinfo=UTC)),
    (datetime(2026, 3, 31, 9, tzinfo=UTC), datetime(2026, 4, 30, 9, tzinfo=UTC))])
def test_one_calendar_month(received, due):
    assert add_one_month(received) == due


# --- the audit log --------------------------------------------------------------------------


@pytest.fixture
def log(app, sample_content):
    with app.app_context():
        admin = factories.user("Riley Chen", roles="admin")
        priya, tom = factories.user("Priya Shah"), factories.user("Tom Baker")
        outsider = factories.user("Far Away", issuer=OTHER_ISSUER)
        now = datetime.now(UTC)

        def event(action, actor, subject, days_ago, **detail):
            audit(action, actor, subject, None, **detail)
            db.session.flush()
            db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first().at = \
                now - timedelta(days=days_ago)

        event("person.view", admin, priya, 1, page="admin")
        event("quiz.extra_attempt", admin, tom, 3, quiz="listening", reason="Was unwell.")
        event("programme.enrol", priya, priya, 20, programme="listener")
        event("privacy.export", outsider, outsider, 1, format="json")
        for i in range(PER_PAGE + 5):
            event("people.search", admin, None, 40, query=f"search {i}")
        db.session.commit()
        return {"admin": admin.id, "now": now}


def audit_page(app, log, **query):
    return signed_in(app, log["admin"], ["admin"]).get("/admin/audit", query_string=query)


def test_events_read_as_words_with_their_details(app, log):
    html = audit_page(app, log).get_data(as_text=True)
    assert "Opened a person&#39;s record" in html and "Gave one more quiz try" in html
    assert "Reason: Was unwell." in html and "Quiz: Listening quiz" in html
    assert "Programme: Certified Listener (test programme)" in html
    assert "person.view" not in html.split("<table", 1)[1]  # no raw codes in the table
    assert "Far Away" not in html  # another organisation's log
    assert "Older" in html and "Newer" not in html
    older = audit_page(app, log, page="2").get_data(as_text=True)
    assert "Newer" in older and "Older" not in older
    # 58 events of this organisation: 50, then 8
    assert older.split("<tbody>", 1)[1].count("Searched people") == 8


def test_filters_by_kind_person_and_dates(app, log):
    kind = audit_page(app, log, kind="quiz.extra_attempt").get_data(as_text=True)
    table = kind.split("<tbody>", 1)[1]
    assert "Gave one more quiz try" in table and "Opened a person" not in table
    who = audit_page(app, log, who="priya").get_data(as_text=True).split("<tbody>", 1)[1]
    assert "Opened a person" in who and "Enrolled in a programme" in who  # subject or actor
    assert "Gave one more quiz try" not in who
    today = log["now"].date()
    recent = audit_page(app, log, **{"from": str(today - timedelta(days=5)),
                                     "to": str(today)}).get_data(as_text=True)
    assert "Opened a person" in recent and "Gave one more quiz try" in recent
    assert "Enrolled in a programme" not in recent.split("<tbody>", 1)[1]
    assert "Searched people" not in recent.split("<tbody>", 1)[1]
    # The filters stay on the next page's link.
    searches = audit_page(app, log, kind="people.search").get_data(as_text=True)
    assert "kind=people.search" in re.search(r'href="([^"]*page=2[^"]*)"', searches).group(1)
    nothing = audit_page(app, log, who="nobody at all").get_data(as_text=True)
    assert "No event matches." in nothing


def test_the_audit_log_reads_in_spanish_with_details_as_recorded(app, log):
    client = signed_in(app, log["admin"], ["admin"])
    spanish = {"Accept-Language": "es"}
    html = client.get("/admin/audit", headers=spanish).get_data(as_text=True)
    table = html.split("<tbody>", 1)[1]
    assert "Abrió el expediente de una persona" in table and "Dio un intento más" in table
    assert "Motivo: Was unwell." in table  # the label translated, the value as written
    assert "Gave one more quiz try" not in html and "Reason:" not in table
    assert "Far Away" not in html  # still only this organisation's log
    # The filter lists the kinds by their Spanish labels, in that order.
    kinds = re.findall(r'<option value="[a-z_.]+"[^>]*>([^<]+)</option>', html)
    assert kinds == sorted(kinds) and "Buscó personas" in kinds
    too_long = client.get("/admin/audit", headers=spanish, query_string={"who": "x" * 201})
    assert too_long.status_code == 400
    assert "El campo nombre de la persona puede tener 200 caracteres como máximo." in \
        too_long.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ({"kind": "drop table"}, "one of the listed"), ({"from": "yesterday"}, "from date"),
    ({"to": "2026-02-30"}, "to date"), ({"page": "0"}, "positive number"),
    ({"from": "2026-03-05", "to": "2026-03-01"}, "on or before"),
    ({"who": "x" * 201}, "at most 200")])
def test_garbage_filters_are_a_clear_400(app, log, query, message):
    response = audit_page(app, log, **query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_every_event_the_code_writes_has_a_readable_label():
    """Each `audit("name", ...)` call, and both names of `audit("a" if x else "b", ...)`."""
    code = "\n".join(p.read_text() for p in (Path(__file__).parents[3] / "lms_plugin")
                     .rglob("*.py"))
    written = set(re.findall(r'audit\(\s*"([a-z_]+\.[a-z_.]+)"', code))
    written |= set(re.findall(r'audit\(\s*"[a-z_.]+"\s+if [^,]*?else\s+"([a-z_]+\.[a-z_.]+)"',
                              code))
    assert {"person.view", "hours.reject", "hours.edit", "quiz.cooldown_lift"} <= written
    assert written - set(EVENT_LABELS) == set()


def test_only_an_admin_reads_the_log(app, log):
    with app.app_context():
        learner = factories.user("Alex Morgan").id
        db.session.commit()
    assert signed_in(app, learner, ["learner"]).get("/admin/audit").status_code == 403
    assert signed_in(app, learner, ["learner"]).get(
        "/admin/erasure-requests").status_code == 403
    assert not events(app, "person.erase")
