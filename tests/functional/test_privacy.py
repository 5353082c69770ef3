"""The privacy page, linked from every page, and a person's own data as JSON: theirs only,
without survey answers (which nobody can link to them), and audited."""

from __future__ import annotations

from sqlalchemy import select

from lms_plugin.certification.models import AuditEvent
from lms_plugin.extensions import db
from lms_plugin.reporting.survey import record_answers
from lms_plugin.users.models import User
from tests.support import factories


def test_the_privacy_page_is_public_and_linked_from_every_page(client, lti):
    page = client.get("/privacy")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "never see your" in text and "quiz answers" in text
    for path in ("/help", "/verify/AAAAAAAAAAAAAAAAAAAA"):
        assert 'href="/privacy"' in client.get(path).get_data(as_text=True)
    lti.launch(persona="learner")
    assert 'href="/privacy"' in client.get("/").get_data(as_text=True)


def test_a_person_downloads_their_own_data_and_nobody_elses(app, client, lti):
    with app.app_context():
        other = factories.user("Someone Else", issuer=lti.platform_url)
        other.email = "someone.else@example.org"
        db.session.commit()
    lti.launch(persona="learner")
    with app.app_context():
        me = db.session.scalars(select(User).where(User.sub == "demo-learner-1")).one()
        record_answers(me, "pre", {"comfort-talking": 2})
        db.session.commit()
    response = client.get("/privacy/my-data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    assert data["person"]["sub"] == "demo-learner-1"
    assert data["person"]["email"] == "alex.morgan@example.org"
    assert data["enrolments"][0]["course"]["context_id"] == "wellbeing-101"
    assert [s["phase"] for s in data["surveys_answered"]] == ["pre"]
    body = response.get_data(as_text=True)
    assert "someone.else@example.org" not in body and "Someone Else" not in body
    assert "comfort-talking" not in body  # answers are unlinked: not even you can find them
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "privacy.export")).all() == ["privacy.export"]


def test_anonymous_cannot_download(client):
    assert client.get("/privacy/my-data.json").status_code == 401
