"""/notifications: each person turns off the non-essential kinds of e-mail, for themselves
only; the essential ones still arrive."""

from __future__ import annotations

from sqlalchemy import func, select

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.hours import decide_hours
from lms_plugin.extensions import db
from lms_plugin.notifications.models import Notification, NotificationOptOut
from lms_plugin.notifications.services import HOURS_DECIDED
from lms_plugin.notifications.topics import TOPICS, optional
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.authorization import OTHER_ISSUER, Person, client_for, csrf_token
from tests.support.notifications import arrived, deliver, log, person


def signed_in(app, user_id: int, roles: list[str]):
    return client_for(app, Person(user_id, roles))


def test_turning_off_hours_decided_stops_them_but_not_the_certificate(app, sample_content,
                                                                     sink):
    with app.app_context():
        trainee = person("Sam", "sam@example.org")
        supervisor = person("Jordan", "jordan@example.org", "mentor")
        factories.mentor_of(supervisor, trainee)
        factories.completed(trainee, "listening", 90)
        factories.enrolled(trainee, "listener")
        db.session.commit()
        trainee_id, supervisor_id = trainee.id, supervisor.id
    client = signed_in(app, trainee_id, ["learner"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "sam@example.org" in page and 'value="hours_decided" checked' in page
    keep = [topic for topic in optional() if topic != HOURS_DECIDED]
    response = client.post("/notifications", data={"csrf_token": csrf_token(app), "on": keep})
    assert response.status_code == 302
    assert 'value="hours_decided" checked' not in client.get("/notifications").get_data(
        as_text=True)
    with app.app_context():
        trainee = db.session.get(User, trainee_id)
        supervisor = db.session.get(User, supervisor_id)
        for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
            decide_hours(log(trainee, supervisor, hours, kind), supervisor, True, "")
        assert sign_attestation(trainee, "listener", "code-of-conduct") is not None
        db.session.commit()
        deliver()
    (message,) = arrived(sink, 1)
    assert message.subject == TOPICS["certificate_issued"].subject
    assert len(sink.wait_for(2, timeout=1)) == 1


def test_turned_off_after_it_was_queued_is_not_sent(app, sample_content, sink):
    with app.app_context():
        trainee = person("Sam", "sam@example.org")
        supervisor = person("Jordan", "jordan@example.org", "mentor")
        factories.mentor_of(supervisor, trainee)
        factories.enrolled(trainee, "listener")
        decide_hours(log(trainee, supervisor, "1"), supervisor, True, "")
        db.session.commit()
        trainee_id = trainee.id
    client = signed_in(app, trainee_id, ["learner"])
    assert client.post("/notifications", data={"csrf_token": csrf_token(app)}).status_code == 302
    with app.app_context():
        deliver()
        assert db.session.scalar(select(Notification.skipped)) == "opted out"
    assert sink.wait_for(1, timeout=1) == []


def test_an_unknown_or_essential_kind_is_refused_and_nothing_changes(app, sample_content):
    with app.app_context():
        learner = person("Alex", "alex@example.org")
        db.session.add(NotificationOptOut(user_id=learner.id, topic=HOURS_DECIDED))
        db.session.commit()
        learner_id = learner.id
    client = signed_in(app, learner_id, ["learner"])
    for bad in (["certificate_issued"], ["nonsense"], [*optional(), "erasure_done"]):
        response = client.post("/notifications", data={"csrf_token": csrf_token(app),
                                                        "on": bad})
        assert response.status_code == 400
        assert "no such kind of e-mail" in response.get_data(as_text=True)
    assert client.post("/notifications", data={"on": list(optional())}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(NotificationOptOut.topic)).all() == [HOURS_DECIDED]


def test_each_person_sets_only_their_own_across_organisations(app, sample_content, sink):
    """Someone of a second organisation (and a colleague) turning e-mail off changes
    nothing for anyone else, and nobody's page shows another's address."""
    with app.app_context():
        trainee = person("Sam", "sam@example.org")
        supervisor = person("Jordan", "jordan@example.org", "mentor")
        factories.mentor_of(supervisor, trainee)
        factories.enrolled(trainee, "listener")
        other_trainee = person("Other", "other@other.example.net", issuer=OTHER_ISSUER)
        other_admin = person("Other admin", "admin@other.example.net", "admin",
                             issuer=OTHER_ISSUER)
        db.session.commit()
        ids = trainee.id, supervisor.id, other_trainee.id, other_admin.id
    for user_id, roles in ((ids[2], ["learner"]), (ids[3], ["admin"]), (ids[1], ["mentor"])):
        client = signed_in(app, user_id, roles)
        page = client.get("/notifications").get_data(as_text=True)
        assert "sam@example.org" not in page
        assert client.post("/notifications",
                           data={"csrf_token": csrf_token(app)}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NotificationOptOut).where(
            NotificationOptOut.user_id == ids[0])) == 0
        trainee = db.session.get(User, ids[0])
        supervisor = db.session.get(User, ids[1])
        decide_hours(log(trainee, supervisor, "1"), supervisor, True, "")
        db.session.commit()
        deliver()
    (message,) = arrived(sink, 1)
    assert message.recipients == ("sam@example.org",)


def test_the_page_needs_a_sign_in(app):
    response = app.test_client().get("/notifications")
    assert response.status_code in (302, 401)
