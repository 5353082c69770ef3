"""Delivery: one e-mail per event whatever repeats (a signal sent twice, a worker that died
after sending), and an SMTP server that is down: retried with backoff, never lost, never
a 500 for the person whose action caused the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lms_plugin.certification.hours import decide_hours
from lms_plugin.demo.mailbox import Sink
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.notifications.models import Notification
from lms_plugin.notifications.services import EMAIL_KIND, on_certificate_issued
from tests.support import factories
from tests.support.authorization import Person, client_for, csrf_token
from tests.support.notifications import (
    ana_and_her_supervisor,
    arrived,
    certified_trainee,
    deliver,
    log,
    person,
)


def emails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == EMAIL_KIND).order_by(OutboxMessage.id)))


def test_an_event_signalled_twice_is_one_email(app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        on_certificate_issued(world.certificate, renewal=False)  # the same event again
        db.session.commit()
        assert len(emails()) == 4
        deliver()
    assert len(arrived(sink, 4)) == 4
    assert len(sink.wait_for(5, timeout=1)) == 4


def test_a_worker_that_died_after_sending_does_not_send_twice(app, sample_content, sink):
    """The message is claimed again when its lease runs out; the notification row says it
    was sent, so the second try sends nothing."""
    with app.app_context():
        certified_trainee()
        deliver()
        arrived(sink, 4)
        # As if the worker had died between the SMTP send and marking the message sent.
        db.session.execute(update(OutboxMessage).where(OutboxMessage.kind == EMAIL_KIND)
                           .values(sent_at=None, locked_until=None, locked_by=None))
        db.session.commit()
        assert deliver() == 4
        assert all(message.sent_at is not None for message in emails())
    assert len(sink.wait_for(5, timeout=1)) == 4


def test_smtp_down_is_retried_with_backoff_and_never_lost(app, sample_content, sink):
    with app.app_context():
        trainee, supervisor = ana_and_her_supervisor()
        entry = log(trainee, supervisor, "1")
        db.session.commit()
        ids = entry.id, supervisor.id, supervisor.session_version
    sink.stop()  # the mail server is down
    client = client_for(app, Person(ids[1], ["mentor"], ids[2]))
    response = client.post(f"/supervision/hours/{ids[0]}", data={
        "csrf_token": csrf_token(app), "decision": "reject", "reason": "Too short"})
    assert response.status_code == 302  # the decision is made; the e-mail waits
    with app.app_context():
        before = datetime.now(UTC)
        deliver()
        (message,) = emails()
        assert message.sent_at is None and message.attempts == 1 and message.last_error
        assert message.available_at.replace(tzinfo=UTC) >= before + timedelta(seconds=9)
        assert db.session.scalar(select(Notification.sent_at)) is None
        # The server is back (elsewhere, as the configuration now says) and the backoff over.
        back = Sink().start()
        try:
            app.config["LMS_PLUGIN_SMTP_URL"] = back.url
            message.available_at = datetime.now(UTC) - timedelta(seconds=1)
            db.session.commit()
            deliver()
            (received,) = arrived(back, 1)
        finally:
            back.stop()
        assert "Too short" in received.text
        assert emails()[0].sent_at is not None


def test_a_failed_email_waits_for_its_backoff_before_another_try(app, sample_content, sink):
    with app.app_context():
        trainee, supervisor = ana_and_her_supervisor()
        entry = log(trainee, supervisor, "1")
        sink.stop()
        decide_hours(entry, supervisor, True, "")
        db.session.commit()
        deliver()
        deliver()  # not due yet: backing off
        (message,) = emails()
        assert message.attempts == 1 and message.sent_at is None


def test_an_address_the_server_refuses_is_not_retried_forever(app, sample_content, sink):
    with app.app_context():
        trainee = person("Ana", "gone@example.org")
        supervisor = person("Sup", "sup@example.org", "mentor")
        factories.mentor_of(supervisor, trainee)
        factories.enrolled(trainee, "listener")
        sink.refuse.add("gone@example.org")
        decide_hours(log(trainee, supervisor, "1"), supervisor, True, "")
        db.session.commit()
        deliver()
        (message,) = emails()
        assert message.sent_at is not None  # done with: nothing to retry
        assert db.session.scalar(select(Notification.skipped)) == "address refused"
    assert sink.messages() == []
