"""Each event's e-mail, sent by the worker to a real SMTP server (the sink) and read back
as it arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from lms_plugin.certification.certificates import revoke_certificate
from lms_plugin.certification.hours import decide_hours, resubmit_hours
from lms_plugin.certification.reminders import send_due_reminders
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.notifications.models import Notification
from lms_plugin.notifications.services import send_expiry_notices, send_supervisor_digests
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.authorization import Person, client_for, csrf_token
from tests.support.notifications import (
    BASE,
    REFLECTION,
    ana_and_her_supervisor,
    arrived,
    certified_trainee,
    deliver,
    everything,
    log,
    person,
    to,
)


def test_nothing_is_sent_in_the_request_only_by_the_worker(app, sample_content, sink):
    with app.app_context():
        certified_trainee()
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "notifications.email"))
        assert queued == 4 and sink.messages() == []  # 2 approved, 1 rejected, 1 certificate
        assert deliver() == 4
    assert len(arrived(sink, 4)) == 4


def test_certificate_issued_has_the_verification_link_in_text_and_html(app, sample_content,
                                                                       sink):
    with app.app_context():
        world = certified_trainee()
        code = world.certificate.code
        deliver()
    mail = [m for m in to(arrived(sink, 4), "sam@example.org")
            if m.subject == "Your certificate has been issued"]
    assert len(mail) == 1
    message = mail[0]
    assert message.message["From"] == "Training <training@example.org>"
    assert message.message.get_content_type() == "multipart/alternative"
    link = f"{BASE}/verify/{code}"
    assert link in message.text
    assert f'href="{link}"' in message.html


def test_hours_decided_carry_the_reason_and_never_the_reflection(app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        assert world.rejected.reflection == REFLECTION  # it is there to leak
        deliver()
    decided = [m for m in to(arrived(sink, 4), "sam@example.org")
               if m.subject == "Your supervisor decided on your logged hours"]
    assert len(decided) == 3
    rejected = [m for m in decided if "not approved" in m.text]
    assert len(rejected) == 1
    assert "the 1 hour you logged" in rejected[0].text
    assert sum("approved the 3 hours you logged" in m.text for m in decided) == 1
    assert "Please say what kind of support it was" in rejected[0].text
    assert "Please say what kind of support it was" in rejected[0].html
    for message in decided:
        assert REFLECTION not in everything(message)


def test_a_supervisors_reason_is_escaped_in_html(app, sample_content, sink):
    with app.app_context():
        trainee, supervisor = ana_and_her_supervisor()
        decide_hours(log(trainee, supervisor, "1"), supervisor, False, "<script>x()</script>")
        db.session.commit()
        deliver()
    (message,) = arrived(sink, 1)
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<script>x()</script>" in message.text  # plain text is plain


def test_revoked_certificate(app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        admin = person("Riley", "riley@example.org", "admin")
        revoke_certificate(world.certificate, admin, "Issued in error")
        db.session.commit()
        deliver()
    revoked = [m for m in arrived(sink, 5) if m.subject == "Your certificate has been revoked"]
    assert [m.recipients for m in revoked] == [("sam@example.org",)]


def test_renewal_reminders_at_the_programmes_offsets_once_each(app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        deliver()
        sink.clear()
        now = datetime.now(UTC)
        world.certificate.expires_at = now + timedelta(days=10)  # inside both 60 and 14
        db.session.commit()
        assert send_due_reminders(now) == 2
        assert send_due_reminders(now) == 0
        deliver()
        deliver()
    reminders = arrived(sink, 2)
    assert sorted(m.subject for m in reminders) == ["Your certificate is due for renewal"] * 2
    assert {m.recipients for m in reminders} == {("sam@example.org",)}
    assert all(f"{BASE}/programmes/listener" in m.text for m in reminders)


def test_expiry_then_lapse_each_once(app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        deliver()
        sink.clear()
        now = datetime.now(UTC)
        world.certificate.expires_at = now - timedelta(days=1)
        db.session.commit()
        assert send_expiry_notices(now) == 1
        assert send_expiry_notices(now) == 0
        later = now + timedelta(days=30)  # the sample programme's 30 grace days have passed
        assert send_expiry_notices(later) == 1  # lapsed; the expiry is not told again
        deliver()
    subjects = sorted(m.subject for m in arrived(sink, 2))
    assert subjects == ["Your certificate has expired", "Your certificate has lapsed"]


def test_an_expiry_long_past_is_not_mailed(app, sample_content, sink):
    """Turning e-mail on does not write to everyone whose certificate ran out long ago."""
    with app.app_context():
        world = certified_trainee()
        now = datetime.now(UTC)
        world.certificate.expires_at = now - timedelta(days=400)
        db.session.commit()
        assert send_expiry_notices(now) == 0


def test_supervisor_digest_once_a_day_with_counts_and_no_names(app, sample_content, sink):
    with app.app_context():
        name = certified_trainee().trainee.name
        deliver()
        sink.clear()
        morning = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        assert send_supervisor_digests(morning) == 1
        assert send_supervisor_digests(morning + timedelta(hours=9)) == 0  # the same day
        assert send_supervisor_digests(morning + timedelta(days=1)) == 1
        deliver()
    digests = arrived(sink, 2)
    assert {m.recipients for m in digests} == {("jordan@example.org",)}
    for message in digests:
        assert "1 logged entry is waiting" in message.text
        assert name not in everything(message)
        assert REFLECTION not in everything(message)


def test_erasure_requested_then_done_to_the_address_the_person_had(app, sample_content, sink):
    with app.app_context():
        learner = person("Alex", "alex@example.org")
        admin = person("Riley", "riley@example.org", "admin")
        db.session.commit()
        ids = learner.id, admin.id, learner.session_version, admin.session_version
    asker = client_for(app, Person(ids[0], ["learner"], ids[2]))
    assert asker.post("/privacy/erasure-request",
                      data={"csrf_token": csrf_token(app)}).status_code == 302
    with app.app_context():
        deliver()  # (one not yet sent when the erasure comes is erased with the rest)
    eraser = client_for(app, Person(ids[1], ["admin"], ids[3]))
    response = eraser.post(f"/admin/people/{ids[0]}/erase",
                           data={"csrf_token": csrf_token(app), "confirm": "ERASE"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, ids[0]).email is None
        deliver()
        kept = db.session.scalars(select(Notification.to_address).where(
            Notification.user_id == ids[0])).all()
        assert kept == [None]  # the address is gone once the last e-mail went
    messages = arrived(sink, 2)
    assert sorted(m.subject for m in messages) == [
        "We have your request to erase your records", "Your records have been erased"]
    assert {m.recipients for m in messages} == {("alex@example.org",)}


def test_no_address_from_the_lms_no_email(app, sample_content, sink):
    with app.app_context():
        trainee = person("No Mail", None)
        supervisor = person("Sup", "sup@example.org", "mentor")

        factories.mentor_of(supervisor, trainee)
        factories.enrolled(trainee, "listener")
        decide_hours(log(trainee, supervisor, "1"), supervisor, True, "")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_corrected_entry_decided_again_is_told_again(app, sample_content, sink):
    with app.app_context():
        trainee, supervisor = ana_and_her_supervisor()
        entry = log(trainee, supervisor, "1")
        decide_hours(entry, supervisor, False, "Say more")
        resubmit_hours(entry, trainee, hours=Decimal("1.5"), kind=entry.kind,
                       activity_date=(datetime.now(UTC) - timedelta(days=1)).date(),
                       reflection=None)
        decide_hours(entry, supervisor, True, "")
        db.session.commit()
        deliver()
    messages = arrived(sink, 2)
    assert sorted("not approved" in m.text for m in messages) == [False, True]
    assert any("approved the 1.5 hours" in m.text for m in messages)
