"""The trainee's programme page in plain words: every requirement before enrolling, human
names, confirmations, and a revoked certificate's reason shown to its holder."""

from __future__ import annotations

from sqlalchemy import select

from lms_plugin.certification.certificates import revoke_certificate
from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support.browser import ClientBrowser
from tests.support.certification import log
from tests.support.quiz import csrf as token
from tests.support.training import finish_module


def test_programme_in_plain_words_from_enrolment_to_revocation(
        app, registered, sample_content):
    supervisor = ClientBrowser(app.test_client(), registered.url)
    supervisor.launch(persona="supervisor")
    trainee = ClientBrowser(app.test_client(), registered.url)
    trainee.launch(persona="trainee")
    client = trainee.client

    before = client.get("/programmes/listener").get_data(as_text=True)
    assert "What the programme asks of you" in before
    assert ("Complete the “Listening well” module and score at least 80% in its quiz"
            in before)
    assert "3 hours of supervised practice (peer conversation or check in)" in before
    assert "1 hour of supervision with your supervisor" in before
    assert "Sign the “Code of conduct” statement" in before
    assert "All within 90 days of enrolling" in before

    enrolled = client.post("/programmes/listener/enrol", data={"csrf_token": token(before)},
                           follow_redirects=True).get_data(as_text=True)
    assert "You are enrolled." in enrolled
    assert "Module listening" not in enrolled
    assert "“Listening well” module: not completed yet" in enrolled
    assert "Practice approved by a supervisor: 0 so far" in enrolled
    assert "1 of 1" not in enrolled and "0 of 1 different" not in enrolled

    signed = client.post("/programmes/listener/attestations/code-of-conduct",
                         data={"csrf_token": token(enrolled)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Signed: Code of conduct. Thank you." in signed

    finish_module(client)
    page = client.get("/programmes/listener").get_data(as_text=True)
    select_html = page.split('name="supervisor"', 1)[1].split("</select>", 1)[0]
    mentor_id = select_html.split('value="', 1)[1].split('"', 1)[0]
    log(client, page, mentor_id, "3", "peer-conversation")
    log(client, page, mentor_id, "1", "supervision")
    queue = supervisor.client.get("/supervision").get_data(as_text=True)
    with app.app_context():
        from lms_plugin.certification.models import LoggedHours

        ids = [e.id for e in db.session.scalars(select(LoggedHours))]
    for entry_id in ids:
        supervisor.client.post(f"/supervision/hours/{entry_id}", data={
            "csrf_token": token(queue), "decision": "approve", "reason": ""})
    certified = client.get("/programmes/listener").get_data(as_text=True)
    assert "Valid until" in certified

    with app.app_context():
        certificate = db.session.scalars(select(Certificate).where(
            Certificate.programme_slug != "training-complete")).one()
        admin = db.session.scalars(select(User).where(User.id != certificate.user_id)).first()
        revoke_certificate(certificate, admin, "Conduct complaint upheld")
        db.session.commit()
    revoked = client.get("/programmes/listener").get_data(as_text=True)
    assert "Valid until" not in revoked
    assert "Revoked on " in revoked and "because: Conduct complaint upheld" in revoked
