"""After the certificate: supervisors assigned by an admin, deadline extensions, renewal
reminders, renewal by continuing education, and the Find-a-peer-supporter directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.certificates import revoke_certificate
from lms_plugin.certification.directory import (
    listed_supporters,
    may_list,
    remove_listing,
    save_listing,
)
from lms_plugin.certification.enrolments import CertificationError, extend_deadline, get_enrolment
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate, Reminder
from lms_plugin.certification.reminders import reminder_for, send_due_reminders
from lms_plugin.certification.rules import CERTIFIED, EXPIRING, LAPSED
from lms_plugin.certification.standing import get_standing
from lms_plugin.certification.supervisors import assign_supervisor, may_supervise, supervisors_of
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories


def yesterday() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)


@pytest.fixture
def people(app, sample_content):
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        admin = factories.user("Riley Chen", roles="admin")
        colleague = factories.user("Alex Morgan")
        factories.mentor_of(mentor, trainee)
        factories.completed(trainee, "listening", 90)
        factories.enrolled(trainee, "listener")
        db.session.commit()
        return trainee.id, mentor.id, admin.id, colleague.id


def load(*ids):
    return [db.session.get(User, i) for i in ids]


def log(trainee, supervisor, hours="3", kind="peer-conversation", category="practice",
        on=None):
    return log_hours(trainee, "listener", category=category, kind=kind, hours=Decimal(hours),
                     activity_date=on or yesterday(), supervisor=supervisor, reflection=None)


def certify(trainee, mentor) -> Certificate:
    decide_hours(log(trainee, mentor), mentor, True, "")
    decide_hours(log(trainee, mentor, "1", "supervision"), mentor, True, "")
    certificate = sign_attestation(trainee, "listener", "code-of-conduct")
    assert certificate is not None
    db.session.commit()
    return certificate


def move_certificate(certificate: Certificate, expires_in: timedelta) -> None:
    """Shift a certificate in time so that it expires `expires_in` from now."""
    length = certificate.expires_at - certificate.issued_at
    certificate.expires_at = datetime.now(UTC) + expires_in
    certificate.issued_at = certificate.expires_at - length
    db.session.commit()


def test_an_admin_assigns_a_qualified_supervisor_who_may_then_approve(app, people):
    with app.app_context():
        trainee, mentor, admin, colleague = load(*people)
        other_mentor = factories.user("Dana Fox", roles="mentor")
        assert not may_supervise(other_mentor, trainee)
        with pytest.raises(CertificationError, match="not qualified"):
            assign_supervisor(trainee, colleague, "listener", admin)  # a plain learner
        with pytest.raises(CertificationError, match="themselves"):
            assign_supervisor(trainee, trainee, "listener", admin)
        elsewhere = factories.user("Far Away", roles="mentor", issuer="https://other.example")
        with pytest.raises(CertificationError, match="same organisation"):
            assign_supervisor(trainee, elsewhere, "listener", admin)

        assign_supervisor(trainee, other_mentor, "listener", admin)
        assign_supervisor(trainee, other_mentor, "listener", admin)  # twice: still one
        db.session.commit()
        assert may_supervise(other_mentor, trainee)
        assert [u.display_name for u in supervisors_of(trainee)] == ["Dana Fox", "Jordan Lee"]
        entry = log(trainee, other_mentor)
        decide_hours(entry, other_mentor, True, "")
        assert entry.status == "approved"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "supervisor.assign")) == 1


def test_a_certified_peer_supporter_qualifies_when_the_programme_says_so(app, people):
    with app.app_context():
        trainee, mentor, admin, colleague = load(*people)
        # The test programme qualifies mentors and admins only: a certificate is not enough.
        certify(trainee, mentor)
        other = factories.user("New Trainee")
        factories.completed(other, "listening", 95)
        factories.enrolled(other, "listener")
        with pytest.raises(CertificationError, match="not qualified"):
            assign_supervisor(other, trainee, "listener", admin)


def test_the_deadline_extends_once_with_a_reason(app, people):
    with app.app_context():
        trainee, _, admin, _ = load(*people)
        enrolment = get_enrolment(trainee, "listener")
        before = get_standing(trainee, "listener").evaluation.deadline
        with pytest.raises(CertificationError, match="reason"):
            extend_deadline(enrolment, admin, "  ")
        extend_deadline(enrolment, admin, "Long-term leave")
        after = get_standing(trainee, "listener").evaluation.deadline
        assert after - before == timedelta(days=90)
        with pytest.raises(CertificationError, match="already been extended"):
            extend_deadline(enrolment, admin, "Again")


def test_reminders_come_due_once_at_each_offset_and_stop_after_grace(app, people):
    with app.app_context():
        trainee, mentor, _, _ = load(*people)
        certificate = certify(trainee, mentor)
        expires = certificate.expires_at
        assert send_due_reminders(expires - timedelta(days=61)) == 0
        assert reminder_for(trainee, "listener") is None
        assert send_due_reminders(expires - timedelta(days=59)) == 1  # the 60-day one
        assert send_due_reminders(expires - timedelta(days=58)) == 0  # not twice
        assert send_due_reminders(expires - timedelta(days=13)) == 1  # the 14-day one
        assert reminder_for(trainee, "listener").days_before == 14
        days = db.session.scalars(select(Reminder.days_before).order_by(Reminder.id)).all()
        assert days == [60, 14]

        other = factories.user("Late Certified")
        factories.completed(other, "listening", 90)
        factories.enrolled(other, "listener")
        factories.mentor_of(mentor, other)
        late = certify(other, mentor)
        # A worker that was down for months catches up, but not past the grace period.
        assert send_due_reminders(late.expires_at + timedelta(days=31)) == 0
        assert send_due_reminders(late.expires_at + timedelta(days=1)) == 2


def test_revoked_certificates_get_no_reminders(app, people):
    with app.app_context():
        trainee, mentor, admin, _ = load(*people)
        certificate = certify(trainee, mentor)
        revoke_certificate(certificate, admin, "Left the programme")
        db.session.commit()
        assert send_due_reminders(certificate.expires_at - timedelta(days=1)) == 0


def test_continuing_education_renews_from_the_old_expiry(app, people):
    with app.app_context():
        trainee, mentor, _, _ = load(*people)
        first = certify(trainee, mentor)
        move_certificate(first, timedelta(days=20))
        assert get_standing(trainee, "listener").evaluation.status == EXPIRING
        with pytest.raises(CertificationError, match="continuing-education areas"):
            log(trainee, mentor, "1", "peer-conversation", category="continuing")
        # Hours from before this certificate's period never count (the enrolment moves
        # back with the certificate: no hours may predate it).
        get_enrolment(trainee, "listener").enrolled_at = first.issued_at - timedelta(days=30)
        old = log(trainee, mentor, "2", "ethics", category="continuing",
                  on=first.issued_at - timedelta(days=3))
        assert decide_hours(old, mentor, True, "") is None
        assert decide_hours(log(trainee, mentor, "1", "general", category="continuing"),
                            mentor, True, "") is None
        renewed = decide_hours(log(trainee, mentor, "1", "ethics", category="continuing"),
                               mentor, True, "")
        db.session.commit()
        assert renewed is not None and renewed.renewal_of_id == first.id
        assert renewed.expires_at.replace(tzinfo=UTC) - first.expires_at.replace(tzinfo=UTC) \
            >= timedelta(days=365)
        db.session.refresh(first)
        assert first.current_key is None and renewed.current_key is not None
        assert get_standing(trainee, "listener").evaluation.status == CERTIFIED


def test_the_directory_shows_only_current_supporters_who_opted_in(app, people):
    with app.app_context():
        trainee, mentor, admin, colleague = load(*people)
        assert not may_list(trainee)
        with pytest.raises(PermissionError):
            save_listing(trainee, contact="Teams: Sam O", languages="English",
                         availability="Tuesdays")
        certificate = certify(trainee, mentor)
        assert listed_supporters(colleague) == []  # certified, but not opted in
        save_listing(trainee, contact="Teams: Sam O", languages="English, Yoruba",
                     availability="Tuesday lunchtimes")
        db.session.commit()
        listed = listed_supporters(colleague)
        assert [(u.display_name, entry.languages) for u, entry in listed] == [
            ("Sam Okafor", "English, Yoruba")]
        stranger = factories.user("Other Org", issuer="https://other.example")
        assert listed_supporters(stranger) == []

        move_certificate(certificate, timedelta(days=-1))  # expired: gone at once
        assert listed_supporters(colleague) == []
        move_certificate(certificate, timedelta(days=100))
        assert len(listed_supporters(colleague)) == 1
        revoke_certificate(certificate, admin, "Breach of the code of conduct")
        db.session.commit()
        assert listed_supporters(colleague) == []
        assert get_standing(trainee, "listener").evaluation.status not in (CERTIFIED, LAPSED)


def test_opting_out_removes_the_listing(app, people):
    with app.app_context():
        trainee, mentor, _, colleague = load(*people)
        certify(trainee, mentor)
        save_listing(trainee, contact="x1234", languages="English", availability="Mornings")
        db.session.commit()
        remove_listing(trainee)
        db.session.commit()
        assert listed_supporters(colleague) == []


def test_training_hours_are_logged_by_domain_for_the_external_scheme(app, shipped_content):
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        factories.mentor_of(mentor, trainee)
        factories.enrolled(trainee, "certified-peer-specialist")

        def training(kind, hours, category="training"):
            return log_hours(trainee, "certified-peer-specialist", category=category,
                             kind=kind, hours=Decimal(hours), activity_date=yesterday(),
                             supervisor=mentor, reflection=None)

        with pytest.raises(CertificationError, match="training domains"):
            training("cooking", "4")
        with pytest.raises(CertificationError, match="kinds of activity"):
            training("advocacy", "4", category="practice")
        with pytest.raises(CertificationError, match="what kind of hours"):
            training("advocacy", "4", category="holiday")
        for hours in ("6", "4"):
            decide_hours(training("advocacy", hours), mentor, True, "")
        decide_hours(training("ethical-responsibility", "8"), mentor, True, "")
        texts = [r.text for r in get_standing(trainee, "certified-peer-specialist")
                 .evaluation.requirements if r.id.startswith("training:")]
        assert "18 of 46 training hours" in texts
        assert "10 of 10 training hours in advocacy" in texts
        assert "8 of 16 training hours in ethical responsibility" in texts


def test_only_those_the_programme_qualifies_may_approve(app, shipped_content):
    """The external scheme accepts mentors only: an LMS admin may not approve there."""
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        admin = factories.user("Riley Chen", roles="admin")
        mentor = factories.user("Jordan Lee", roles="mentor")
        factories.mentor_of(mentor, trainee)
        factories.enrolled(trainee, "certified-peer-specialist")
        assert may_supervise(admin, trainee)
        assert not may_supervise(admin, trainee, "certified-peer-specialist")
        with pytest.raises(CertificationError, match="one of your supervisors"):
            log_hours(trainee, "certified-peer-specialist", category="practice",
                      kind="peer-conversation", hours=Decimal(2), activity_date=yesterday(),
                      supervisor=admin, reflection=None)
        entry = log_hours(trainee, "certified-peer-specialist", category="practice",
                          kind="peer-conversation", hours=Decimal(2),
                          activity_date=yesterday(), supervisor=mentor, reflection=None)
        with pytest.raises(CertificationError, match="not a supervisor"):
            decide_hours(entry, admin, True, "")
        decide_hours(entry, mentor, True, "")
        assert entry.status == "approved"
