"""A supervisor's home: the launch lands on the queue, the header counts what waits, a
refused decision is explained next to its field, several entries are approved at once
after one confirmation, and a trainee's progress is shown as numbers only."""

from __future__ import annotations

from sqlalchemy import select

from lms_plugin.certification.models import APPROVED, PENDING, LoggedHours
from lms_plugin.extensions import db
from tests.support.browser import ClientBrowser
from tests.support.certification import log
from tests.support.quiz import csrf as token
from tests.support.training import finish_module

SECRET = "Used open questions and a summary."


def test_supervisor_home(app, registered, sample_content):
    supervisor = ClientBrowser(app.test_client(), registered.url)
    landed = supervisor.launch(persona="supervisor", follow_redirects=False)
    assert landed.status_code == 302 and landed.headers["Location"].endswith("/supervision")
    trainee = ClientBrowser(app.test_client(), registered.url)
    assert not trainee.launch(persona="trainee", follow_redirects=False
                              ).headers["Location"].endswith("/supervision")
    client = trainee.client
    finish_module(client)
    page = client.get("/programmes/listener").get_data(as_text=True)
    client.post("/programmes/listener/enrol", data={"csrf_token": token(page)})
    page = client.get("/programmes/listener").get_data(as_text=True)
    select_html = page.split('name="supervisor"', 1)[1].split("</select>", 1)[0]
    mentor_id = select_html.split('value="', 1)[1].split('"', 1)[0]
    for hours, kind, text in (("3", "peer-conversation", SECRET), ("1", "supervision", ""),
                              ("1", "check-in", "")):
        assert log(client, page, mentor_id, hours, kind, text).status_code == 302
    with app.app_context():
        ids = [e.id for e in db.session.scalars(select(LoggedHours).order_by(LoggedHours.id))]
        trainee_id = db.session.get(LoggedHours, ids[0]).user_id

    queue = supervisor.client.get("/supervision").get_data(as_text=True)
    assert "Supervision <span class=\"nav-count\">(3 waiting)</span>" in queue

    # Reject without a reason: the error is next to the reason, the choice is kept.
    refused = supervisor.client.post(f"/supervision/hours/{ids[2]}", data={
        "csrf_token": token(queue), "decision": "reject", "reason": "  "})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="error-summary"' in html and f'href="#reason-{ids[2]}"' in html
    reason_field = html.split(f'for="reason-{ids[2]}"', 1)[1].split("</textarea>", 1)[0]
    assert "Give the trainee a reason when you reject an entry." in reason_field
    assert f'id="reason-{ids[2]}-error"' in reason_field and 'aria-invalid="true"' in reason_field
    reject = html.split(f'id="decision-{ids[2]}-2"', 1)[1].split(">", 1)[0]
    approve = html.split(f'id="decision-{ids[2]}-1"', 1)[1].split(">", 1)[0]
    assert "checked" in reject and "checked" not in approve
    assert "flash-success" not in html
    other = html.split(f'id="reason-{ids[0]}"', 1)[1].split("</textarea>", 1)[0]
    assert "error" not in other  # the error belongs to that entry's form only

    # Bulk approval: one confirmation step, then all of the chosen entries at once.
    confirm = supervisor.client.post("/supervision/approve", data={
        "csrf_token": token(queue), "entry": [str(ids[0]), str(ids[1])]})
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Approve 2 entries?" in html
    with app.app_context():
        assert {e.status for e in db.session.scalars(select(LoggedHours))} == {PENDING}
    done = supervisor.client.post("/supervision/approve", data={
        "csrf_token": token(html), "entry": [str(ids[0]), str(ids[1])], "confirm": "yes"},
        follow_redirects=True).get_data(as_text=True)
    assert "Approved 2 entries." in done
    assert "(1 waiting)" in done
    with app.app_context():
        statuses = {e.id: e.status for e in db.session.scalars(select(LoggedHours))}
    assert statuses == {ids[0]: APPROVED, ids[1]: APPROVED, ids[2]: PENDING}
    assert supervisor.client.post("/supervision/approve", data={
        "csrf_token": token(html), "confirm": "yes"}).status_code == 422

    # The trainee's progress, for their supervisor: numbers, never reflections.
    progress = supervisor.client.get(f"/supervision/trainees/{trainee_id}")
    assert progress.status_code == 200
    html = progress.get_data(as_text=True)
    assert "requirements met" in html and "3 of 3 supervised practice hours approved" in html
    assert SECRET not in html
    assert client.get(f"/supervision/trainees/{trainee_id}").status_code == 404


def test_who_lands_on_the_supervision_queue(app, sample_content):
    from lms_plugin.certification.supervisors import assign_supervisor, lands_on_supervision
    from lms_plugin.users.models import MENTOR
    from tests.support import factories

    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        admin = factories.user("Riley Chen", roles="admin")
        colleague = factories.user("Alex Morgan", roles="learner")
        assert lands_on_supervision(mentor, {MENTOR})
        assert not lands_on_supervision(colleague, {"learner"})
        assert not lands_on_supervision(trainee, {"learner"})
        assign_supervisor(trainee, admin, "listener", admin)  # qualified as an admin
        assert lands_on_supervision(admin, {"admin"})
        db.session.rollback()
