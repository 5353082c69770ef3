"""The hours form and the correction form, the GOV.UK way: an error summary linking to
each field, the error next to its field, what was typed kept, each form's errors in that
form only; a waiting entry can be changed or withdrawn, a rejected one's text deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lms_plugin.certification.models import LoggedHours
from lms_plugin.extensions import db
from tests.support.browser import ClientBrowser
from tests.support.certification import log
from tests.support.quiz import csrf as token
from tests.support.training import finish_module

NAMED = "Met Priya in the Leeds office; I listened and we agreed a next step."


def _setup(app, registered):
    supervisor = ClientBrowser(app.test_client(), registered.url)
    supervisor.launch(persona="supervisor")
    trainee = ClientBrowser(app.test_client(), registered.url)
    trainee.launch(persona="trainee")
    client = trainee.client
    finish_module(client)
    page = client.get("/programmes/listener").get_data(as_text=True)
    client.post("/programmes/listener/enrol", data={"csrf_token": token(page)})
    page = client.get("/programmes/listener").get_data(as_text=True)
    select_html = page.split('name="supervisor"', 1)[1].split("</select>", 1)[0]
    mentor_id = select_html.split('value="', 1)[1].split('"', 1)[0]
    return supervisor.client, client, page, mentor_id


def _entries(app):
    with app.app_context():
        return {e.id: (e.status, str(e.hours), e.reflection, e.decision_reason, e.submissions)
                for e in db.session.scalars(select(LoggedHours).order_by(LoggedHours.id))}


def test_hours_form_errors_the_govuk_way(app, registered, sample_content):
    _, client, page, mentor_id = _setup(app, registered)
    refused = log(client, page, mentor_id, "2.5", "peer-conversation", NAMED)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "<title>Error: " in html
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#reflection"' in summary and "name or place" in summary
    assert "“Priya”" in summary and "a colleague" in summary
    field = html.split('for="reflection"', 1)[1].split("</textarea>", 1)[0]
    assert 'id="reflection-error"' in field and 'aria-invalid="true"' in field
    assert NAMED.replace("'", "&#39;") in field  # what was typed is kept
    assert 'value="2.5"' in html
    assert _entries(app) == {}


def test_correction_form_keeps_its_errors_and_entries_can_change(
        app, registered, sample_content):
    supervisor, client, page, mentor_id = _setup(app, registered)
    for hours, text in (("2", "Listened, then summarised what I heard."), ("1", ""),
                        ("1", "")):
        assert log(client, page, mentor_id, hours, "peer-conversation", text
                   ).status_code == 302
    rejected, waiting, withdrawn = _entries(app)
    queue = supervisor.get("/supervision").get_data(as_text=True)
    supervisor.post(f"/supervision/hours/{rejected}", data={
        "csrf_token": token(queue), "decision": "reject", "reason": "Date looks wrong"})
    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Rejected: Date looks wrong" in page and "Delete the text" in page

    # A correction with bad hours: the error is in that form, next to its field.
    bad = client.post(f"/programmes/listener/hours/{rejected}/resubmit", data={
        "csrf_token": token(page), "category": "practice", "kind": "peer-conversation",
        "hours": "99", "activity_date": datetime.now(UTC).date().isoformat(),
        "supervisor": mentor_id, "reflection": "Kept text"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert f'href="#hours-{rejected}"' in html.split('id="error-summary"', 1)[1]
    hours_field = html.split(f'for="hours-{rejected}"', 1)[1].split(">", 3)
    assert f'id="hours-{rejected}-error"' in "".join(hours_field)
    assert 'value="99"' in html and "Kept text" in html
    main_form = html.split("Log these hours", 1)[0].split("<h2>Log hours</h2>", 1)[1]
    assert "error-message" not in main_form

    # Deleting the text of the rejected entry keeps its hours.
    client.post(f"/programmes/listener/hours/{rejected}/reflection/delete",
                data={"csrf_token": token(page)})
    assert _entries(app)[rejected][:3] == ("rejected", "2.00", None)

    # Corrected: the old reason is no longer shown as current.
    fixed = client.post(f"/programmes/listener/hours/{rejected}/resubmit", data={
        "csrf_token": token(page), "category": "practice", "kind": "peer-conversation",
        "hours": "2", "activity_date": datetime.now(UTC).date().isoformat(),
        "supervisor": mentor_id, "reflection": ""}, follow_redirects=True)
    html = fixed.get_data(as_text=True)
    assert "Corrected, waiting for your supervisor" in html
    assert "Date looks wrong" not in html

    # A waiting entry can be changed, and withdrawn.
    changed = client.post(f"/programmes/listener/hours/{waiting}/resubmit", data={
        "csrf_token": token(page), "category": "practice", "kind": "check-in",
        "hours": "1.5", "activity_date": datetime.now(UTC).date().isoformat(),
        "supervisor": mentor_id, "reflection": ""}, follow_redirects=True)
    assert "Changed. Your supervisor will see the new details." in changed.get_data(as_text=True)
    assert _entries(app)[waiting] == ("pending", "1.50", None, None, 1)
    gone = client.post(f"/programmes/listener/hours/{withdrawn}/withdraw",
                       data={"csrf_token": token(page)}, follow_redirects=True)
    assert "Withdrawn." in gone.get_data(as_text=True)
    assert withdrawn not in _entries(app)
    # A decided entry cannot be withdrawn; nobody else's entry can be touched.
    supervisor.post(f"/supervision/hours/{waiting}", data={
        "csrf_token": token(queue), "decision": "approve", "reason": ""})
    assert client.post(f"/programmes/listener/hours/{waiting}/withdraw",
                       data={"csrf_token": token(page)}).status_code == 409
    assert supervisor.post(f"/programmes/listener/hours/{rejected}/withdraw",
                           data={"csrf_token": token(queue)}).status_code == 404
    assert _entries(app)[waiting][0] == "approved"
