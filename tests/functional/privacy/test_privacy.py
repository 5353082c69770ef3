"""The privacy page, linked from every page, and a person's own data as JSON: theirs only,
without survey answers (which nobody can link to them), and audited."""

from __future__ import annotations

from sqlalchemy import select

from lms_plugin.audit import AuditEvent
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


def test_an_admin_erases_a_person_and_the_certificate_stays_verifiable(app, sample_content):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from sqlalchemy import func

    from lms_plugin.certification.attestations import sign_attestation
    from lms_plugin.certification.enrolments import enrol
    from lms_plugin.certification.hours import decide_hours, log_hours
    from lms_plugin.certification.models import Certificate, LoggedHours
    from lms_plugin.quiz.models import QuizAttempt
    from tests.support.authorization import Person, client_for, csrf_token

    with app.app_context():
        sam = factories.user("Sam Okafor")
        sam.email = "sam@example.org"
        mentor = factories.user("Jordan Lee", roles="mentor")
        admin = factories.user("Riley Chen", roles="admin")
        factories.mentor_of(mentor, sam)
        factories.completed(sam, "listening", 90)
        enrol(sam, "listener").enrolled_at -= timedelta(days=7)  # before yesterday's hours
        when = datetime.now(UTC) - timedelta(days=1)
        for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
            decide_hours(log_hours(sam, "listener", category="practice", kind=kind,
                                   hours=Decimal(hours), activity_date=when,
                                   supervisor=mentor, reflection="Used summaries."),
                         mentor, True, "")
        certificate = sign_attestation(sam, "listener", "code-of-conduct")
        db.session.add(QuizAttempt(user_id=sam.id, quiz_slug="listening", quiz_version="v",
                                   layout_json="[]", answers_json='{"a": ["b"]}'))
        db.session.commit()
        ids = {"admin": Person(admin.id, ["admin"]), "learner": Person(mentor.id, ["mentor"])}
        sam_id, code = sam.id, certificate.code
    admin_client = client_for(app, ids["admin"])
    token = csrf_token(app)
    unconfirmed = admin_client.post(f"/admin/people/{sam_id}/erase",
                                    data={"csrf_token": token, "confirm": "yes"})
    assert unconfirmed.status_code == 400
    refused = client_for(app, ids["learner"]).post(
        f"/admin/people/{sam_id}/erase", data={"csrf_token": token, "confirm": "ERASE"})
    assert refused.status_code == 403
    done = admin_client.post(f"/admin/people/{sam_id}/erase",
                             data={"csrf_token": token, "confirm": "ERASE"})
    assert done.status_code == 302
    with app.app_context():
        sam = db.session.get(User, sam_id)
        assert (sam.name, sam.email) == ("Erased person", None)
        assert sam.sub.startswith("erased-")
        for model in (LoggedHours, QuizAttempt):
            assert db.session.scalar(select(func.count()).select_from(model).where(
                model.user_id == sam_id)) == 0
        certificate = db.session.scalars(select(Certificate)).one()
        assert certificate.evidence == {} and certificate.holder_name == "Sam Okafor"
    public = app.test_client().get(f"/verify/{code}.json").get_json()
    assert public["status"] == "current" and public["holder"] == "Sam Okafor"


def test_retention_purge_removes_old_details_and_keeps_scores(app, runner, sample_content):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from lms_plugin.certification.models import LoggedHours
    from lms_plugin.quiz.models import QuizAttempt

    with app.app_context():
        sam = factories.user("Sam")
        long_ago = datetime.now(UTC) - timedelta(days=800)
        db.session.add_all([
            QuizAttempt(user_id=sam.id, quiz_slug="listening", quiz_version="v",
                        layout_json="[]", answers_json='{"old": ["a"]}',
                        submitted_at=long_ago, score=90, passed=True),
            QuizAttempt(user_id=sam.id, quiz_slug="listening", quiz_version="v",
                        layout_json="[]", answers_json='{"new": ["a"]}',
                        submitted_at=datetime.now(UTC), score=70, passed=False),
            LoggedHours(user_id=sam.id, programme_slug="listener", category="practice",
                        kind="check-in", hours=Decimal(1), activity_date=long_ago,
                        reflection="Old reflection", status="approved", decided_at=long_ago),
        ])
        db.session.add(AuditEvent(action="old.thing", at=long_ago - timedelta(days=3000)))
        db.session.commit()
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would remove 1 quiz attempt answers" in dry.output
    with app.app_context():
        assert db.session.scalar(select(LoggedHours.reflection)) == "Old reflection"
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "removed 1 hour reflections" in result.output
    with app.app_context():
        attempts = {a.answers_json: a.score for a in db.session.scalars(select(QuizAttempt))}
        assert attempts == {"{}": 90, '{"new": ["a"]}': 70}
        assert db.session.scalar(select(LoggedHours.reflection)) is None
        assert db.session.scalar(select(LoggedHours.hours)) == 1
        assert "old.thing" not in db.session.scalars(select(AuditEvent.action)).all()


def test_a_person_can_ask_for_erasure(client, lti):
    lti.launch(persona="learner")
    page = client.get("/privacy").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/privacy/erasure-request", data={"csrf_token": token})
    assert response.status_code == 302
