"""Certification follows evidence: whichever requirement is met last (here a quiz pass),
the certificate is issued in that same request, and never twice."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.extensions import db
from tests.support.browser import ClientBrowser
from tests.support.certification import log
from tests.support.quiz import RIGHT
from tests.support.quiz import csrf as token


def test_quiz_pass_last_issues_the_certificate_in_the_same_request(
        app, registered, sample_content):
    supervisor = ClientBrowser(app.test_client(), registered.url)
    supervisor.launch(persona="supervisor")
    trainee = ClientBrowser(app.test_client(), registered.url)
    trainee.launch(persona="trainee")
    client = trainee.client

    page = client.get("/programmes/listener").get_data(as_text=True)
    assert client.post("/programmes/listener/enrol",
                       data={"csrf_token": token(page)}).status_code == 302
    page = client.get("/programmes/listener").get_data(as_text=True)
    select_html = page.split('name="supervisor"', 1)[1].split("</select>", 1)[0]
    mentor_id = select_html.split('value="', 1)[1].split('"', 1)[0]
    assert log(client, page, mentor_id, "3", "peer-conversation").status_code == 302
    assert log(client, page, mentor_id, "1", "supervision").status_code == 302
    queue = supervisor.client.get("/supervision").get_data(as_text=True)
    with app.app_context():
        ids = [e.id for e in db.session.scalars(select(LoggedHours))]
    for entry_id in ids:
        assert supervisor.client.post(f"/supervision/hours/{entry_id}", data={
            "csrf_token": token(queue), "decision": "approve", "reason": ""}).status_code == 302
    client.post("/programmes/listener/attestations/code-of-conduct",
                data={"csrf_token": token(page)})
    with app.app_context():
        assert db.session.scalars(listener_certificates()).all() == []

    # The quiz pass is the last missing requirement.
    for number in (1, 2):
        lesson = client.get(f"/modules/listening/lessons/{number}").get_data(as_text=True)
        client.post(f"/modules/listening/lessons/{number}/complete",
                    data={"csrf_token": token(lesson)})
    with app.app_context():
        assert db.session.scalars(listener_certificates()).all() == []
    quiz = client.get("/quiz/listening").get_data(as_text=True)
    url = client.post("/quiz/listening/start",
                      data={"csrf_token": token(quiz)}).headers["Location"]
    attempt = client.get(url).get_data(as_text=True)
    # A page post may carry answers to any question of the try; then the summary's submit.
    data = MultiDict([("csrf_token", token(attempt)), ("action", "save"), ("page", "1")])
    for name, values in RIGHT.items():
        for value in values:
            data.add(name, value)
    assert client.post(url, data=data).status_code in (200, 302, 204)
    submitted = client.post(url + "/submit", data={"csrf_token": token(attempt),
                                                   "confirm": "anyway"})
    assert submitted.status_code in (200, 302)
    with app.app_context():
        certificates = db.session.scalars(listener_certificates()).all()
        assert len(certificates) == 1 and certificates[0].current_key

    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Ready to certify" not in page
    assert "you are certified" in page.lower() or "Certified" in page

    # Evidence after the certificate never issues a second one.
    page = client.get("/programmes/listener").get_data(as_text=True)
    client.post("/programmes/listener/attestations/code-of-conduct",
                data={"csrf_token": token(page)})
    with app.app_context():
        assert len(db.session.scalars(listener_certificates()).all()) == 1


def listener_certificates():
    """The programme's certificates (finishing every module also earns the training one)."""
    return select(Certificate).where(Certificate.programme_slug == "listener")
