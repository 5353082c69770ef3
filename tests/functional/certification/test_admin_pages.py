"""The programme pages for admins, supervisors and certified supporters, over HTTP from
real launches: admins see status and numbers (never reflections) and every view of a
person is audited; learners are refused; the directory and reminders show in the tool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.certification.reminders import send_due_reminders
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.browser import ClientBrowser, parse_form
from tests.support.certification import log
from tests.support.quiz import csrf as token
from tests.support.training import finish_module


def launched(app, registered, persona: str) -> ClientBrowser:
    browser = ClientBrowser(app.test_client(), registered.url)
    browser.launch(persona=persona)
    return browser


def enrolled_trainee(app, registered) -> ClientBrowser:
    trainee = launched(app, registered, "trainee")
    finish_module(trainee.client)
    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    trainee.client.post("/programmes/listener/enrol", data={"csrf_token": token(page)})
    return trainee


def user_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.name == name)).one()


def test_admin_sees_people_without_reflections_and_each_view_is_audited(
        app, registered, sample_content):
    supervisor = launched(app, registered, "supervisor")
    trainee = enrolled_trainee(app, registered)
    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    mentor = page.split('name="supervisor"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert log(trainee.client, page, mentor, "2", "peer-conversation",
               "Practised reflective listening; felt rushed at the end.").status_code == 302
    admin = launched(app, registered, "admin")
    sam = user_id(app, "Sam Okafor")

    people = admin.client.get("/programmes/listener/people")
    assert people.status_code == 200
    html = people.get_data(as_text=True)
    assert "Sam Okafor" in html and "Provisional" in html
    assert "<td>1</td>" in html  # one entry awaiting approval

    old = admin.client.get(f"/programmes/listener/people/{sam}")  # the old address
    assert old.status_code == 301
    assert old.headers["Location"].endswith(f"/admin/people/{sam}#programme-listener")
    person = admin.client.get(f"/admin/people/{sam}").get_data(as_text=True)
    assert "0 of 3 supervised practice hours approved" in person
    assert "peer conversation" in person
    assert "felt rushed" not in person  # reflections are for the supervisor only
    assert "felt rushed" in supervisor.client.get("/supervision").get_data(as_text=True)
    with app.app_context():
        views = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.view")).all()
        assert [v.subject_id for v in views] == [sam]

    for outsider in (trainee, supervisor, launched(app, registered, "learner")):
        assert outsider.client.get("/programmes/listener/people").status_code == 403
        assert outsider.client.get(f"/programmes/listener/people/{sam}").status_code == 403
    assert admin.client.get("/programmes/listener/people/999999").status_code == 404


def test_admin_assigns_a_supervisor_waives_prior_learning_and_extends_a_deadline(
        app, registered, sample_content):
    trainee = enrolled_trainee(app, registered)
    admin = launched(app, registered, "admin")
    sam = user_id(app, "Sam Okafor")
    with app.app_context():
        factories.user("Dana Fox", roles="mentor", issuer=registered.issuer)
        factories.user("Plain Learner", issuer=registered.issuer)
        db.session.commit()
    dana = user_id(app, "Dana Fox")
    learner = user_id(app, "Plain Learner")

    page = admin.client.get(f"/admin/people/{sam}").get_data(as_text=True)
    form = page.split(f'action="/programmes/listener/people/{sam}/supervisors"', 1)[1]
    assert "Dana Fox" in form.split("</form>", 1)[0]
    assert "Plain Learner" not in form.split("</form>", 1)[0]
    csrf = token(page)
    refused = admin.client.post(f"/programmes/listener/people/{sam}/supervisors",
                                data={"csrf_token": csrf, "supervisor": learner})
    assert refused.status_code == 422
    assigned = admin.client.post(f"/programmes/listener/people/{sam}/supervisors",
                                 data={"csrf_token": csrf, "supervisor": dana})
    assert assigned.status_code == 302
    mine = trainee.client.get("/programmes/listener").get_data(as_text=True)
    assert "Dana Fox" in mine.split('name="supervisor"', 1)[1].split("</select>", 1)[0]

    garbage = admin.client.post(f"/programmes/listener/people/{sam}/waivers", data={
        "csrf_token": csrf, "requirement": "practice:supervised", "evidence": "x" * 10,
        "reason": "Not waivable in this programme"})
    assert garbage.status_code == 422
    assert "does not allow that requirement" in garbage.get_data(as_text=True)
    missing = admin.client.post(f"/programmes/listener/people/{sam}/waivers", data={
        "csrf_token": csrf, "requirement": "module:listening", "evidence": "", "reason": ""})
    assert missing.status_code == 422

    ext = admin.client.post(f"/programmes/listener/people/{sam}/extension",
                            data={"csrf_token": csrf, "reason": "Parental leave"})
    assert ext.status_code == 302
    again = admin.client.post(f"/programmes/listener/people/{sam}/extension",
                              data={"csrf_token": csrf, "reason": "Again"})
    assert again.status_code == 409
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "supervisor.assign" in actions and "deadline.extend" in actions


def test_a_certified_supporter_opts_in_to_the_directory_and_gets_reminders(
        app, registered, sample_content):
    supervisor = launched(app, registered, "supervisor")
    trainee = enrolled_trainee(app, registered)
    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    mentor = page.split('name="supervisor"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    log(trainee.client, page, mentor, "3", "peer-conversation")
    log(trainee.client, page, mentor, "1", "supervision")
    queue = supervisor.client.get("/supervision").get_data(as_text=True)
    with app.app_context():
        ids = db.session.scalars(select(LoggedHours.id)).all()
    for entry_id in ids:
        supervisor.client.post(f"/supervision/hours/{entry_id}", data={
            "csrf_token": token(queue), "decision": "approve"})
    trainee.client.post("/programmes/listener/attestations/code-of-conduct",
                        data={"csrf_token": token(page)})

    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    assert "Find a peer supporter: your listing" in page
    form = parse_form(page.split('id="directory-heading"', 1)[1])
    empty = trainee.client.post("/programmes/listener/listing", data={
        "csrf_token": form.fields["csrf_token"], "contact": "", "languages": "",
        "availability": ""})
    assert empty.status_code == 422 and "Say how colleagues can reach you" in \
        empty.get_data(as_text=True)
    listed = trainee.client.post("/programmes/listener/listing", data={
        "csrf_token": form.fields["csrf_token"], "contact": "<script>alert(1)</script> x101",
        "languages": "English, Yoruba", "availability": "Tuesday lunchtimes"})
    assert listed.status_code == 302
    colleague = launched(app, registered, "learner")
    directory = colleague.client.get("/peer-supporters").get_data(as_text=True)
    assert "Sam Okafor" in directory and "Tuesday lunchtimes" in directory
    assert "<script>alert(1)</script>" not in directory
    assert "&lt;script&gt;" in directory

    with app.app_context():
        certificate = db.session.scalars(select(Certificate).where(
            Certificate.programme_slug == "listener")).one()  # not the training one
        certificate.expires_at = datetime.now(UTC) + timedelta(days=10)
        certificate.issued_at = certificate.expires_at - timedelta(days=365)
        db.session.commit()
        assert send_due_reminders() == 2  # 60 and 14 days before
    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    assert "Time to renew" in page and "left to renew" in page
    assert "0 of 2 continuing education hours this period" in page
    admin = launched(app, registered, "admin")
    people = admin.client.get("/programmes/listener/people").get_data(as_text=True)
    assert "14 days before" in people and "60 days before" in people

    page = trainee.client.get("/programmes/listener").get_data(as_text=True)
    trainee.client.post("/programmes/listener/listing/remove",
                        data={"csrf_token": token(page)})
    assert "Sam Okafor" not in colleague.client.get("/peer-supporters").get_data(as_text=True)
