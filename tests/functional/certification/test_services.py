"""Certification services against the database: hours are approved only by a trainee's
supervisor, never by themselves; meeting the rules issues exactly one certificate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.certificates import get_certificate_by_code, revoke_certificate
from lms_plugin.certification.enrolments import CertificationError
from lms_plugin.certification.hours import decide_hours, log_hours, resubmit_hours
from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.certification.rules import PROVISIONAL
from lms_plugin.certification.standing import get_standing
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
        stranger = factories.user("Other Mentor", roles="mentor")
        factories.mentor_of(mentor, trainee)
        factories.completed(trainee, "listening", 90)
        factories.enrolled(trainee, "listener")
        db.session.commit()
        return trainee.id, mentor.id, stranger.id


def load(*ids):
    return [db.session.get(User, i) for i in ids]


def log(trainee, mentor, hours="3", kind="peer-conversation", reflection=None):
    return log_hours(trainee, "listener", category="practice", kind=kind, hours=Decimal(hours),
                     activity_date=yesterday(), supervisor=mentor, reflection=reflection)


def test_from_enrolment_to_certificate(app, people):
    with app.app_context():
        trainee, mentor, _ = load(*people)
        assert get_standing(trainee, "listener").evaluation.status == PROVISIONAL
        practice = log(trainee, mentor)
        supervision = log(trainee, mentor, "1", "supervision")
        assert decide_hours(practice, mentor, True, "") is None
        assert decide_hours(supervision, mentor, True, "Good reflection.") is None
        standing = get_standing(trainee, "listener")
        assert [r.id for r in standing.evaluation.unmet] == ["attestation:code-of-conduct"]
        certificate = sign_attestation(trainee, "listener", "code-of-conduct")
        db.session.commit()
        assert certificate is not None
        assert certificate.holder_name == "Sam Okafor"
        assert len(certificate.code) == 20
        assert certificate.expires_at.year in (certificate.issued_at.year,
                                               certificate.issued_at.year + 1)
        assert get_certificate_by_code(certificate.code.lower()).id == certificate.id
        snapshot = certificate.evidence
        assert snapshot["programme"] == "listener" and snapshot["requirements"]
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("hours.approve") == 2 and "certificate.issue" in actions
        # Nothing more to issue: exactly one certificate.
        assert sign_attestation(trainee, "listener", "code-of-conduct") is None


def test_nobody_approves_their_own_hours_nor_a_stranger_theirs(app, people):
    with app.app_context():
        trainee, mentor, stranger = load(*people)
        entry = log(trainee, mentor)
        with pytest.raises(CertificationError, match="own hours"):
            decide_hours(entry, trainee, True, "")
        with pytest.raises(CertificationError, match="not a supervisor"):
            decide_hours(entry, stranger, True, "")
        with pytest.raises(CertificationError, match="Choose one of your supervisors"):
            log(trainee, stranger)
        assert entry.status == "pending"


def test_rejection_needs_a_reason_and_can_be_corrected(app, people):
    with app.app_context():
        trainee, mentor, _ = load(*people)
        entry = log(trainee, mentor, "5")
        with pytest.raises(CertificationError, match="reason"):
            decide_hours(entry, mentor, False, "  ")
        decide_hours(entry, mentor, False, "Five hours in one conversation seems high.")
        assert entry.status == "rejected"
        with pytest.raises(CertificationError, match="already been decided"):
            decide_hours(entry, mentor, True, "")
        resubmit_hours(entry, trainee, hours=Decimal("1.5"), kind="peer-conversation",
                       activity_date=yesterday(), reflection="Corrected the duration.")
        assert (entry.status, entry.submissions, float(entry.hours)) == ("pending", 2, 1.5)
        decide_hours(entry, mentor, True, "")
        assert entry.status == "approved"


@pytest.mark.parametrize("reflection", ["emailed alex@example.org", "rang 07700 900123"])
def test_identifying_reflections_are_refused_and_nothing_is_stored(app, people, reflection):
    with app.app_context():
        trainee, mentor, _ = load(*people)
        with pytest.raises(CertificationError, match="identify the person"):
            log(trainee, mentor, reflection=reflection)
        assert db.session.scalar(select(func.count()).select_from(LoggedHours)) == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "knitting"}, "kinds of activity"),
    ({"hours": "0"}, "more than 0"),
    ({"hours": "25"}, "at most 24"),
])
def test_bad_entries_are_refused(app, people, kwargs, message):
    with app.app_context():
        trainee, mentor, _ = load(*people)
        with pytest.raises(CertificationError, match=message):
            log(trainee, mentor, **kwargs)


def test_revocation(app, people):
    with app.app_context():
        trainee, mentor, _ = load(*people)
        admin = factories.user("Riley Chen", roles="admin")
        for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
            decide_hours(log(trainee, mentor, hours, kind), mentor, True, "")
        certificate = sign_attestation(trainee, "listener", "code-of-conduct")
        assert certificate.state_at(datetime.now(UTC)) == "current"
        with pytest.raises(CertificationError, match="reason"):
            revoke_certificate(certificate, admin, "")
        revoke_certificate(certificate, admin, "Broke confidentiality.")
        assert certificate.state_at(datetime.now(UTC)) == "revoked"
        assert get_standing(trainee, "listener").evaluation.status == "revoked"


@pytest.mark.commits  # two threads, each with its own connection
def test_two_simultaneous_approvals_yield_one_certificate(app, people, migrated):
    """Each approval completes the requirements on its own; run them at the same time."""
    with app.app_context():
        trainee, mentor, _ = load(*people)
        sign_attestation(trainee, "listener", "code-of-conduct")
        decide_hours(log(trainee, mentor, "1", "supervision"), mentor, True, "")
        first = log(trainee, mentor, "3").id
        second = log(trainee, mentor, "3", "check-in").id
        db.session.commit()
        assert get_standing(trainee, "listener").evaluation.status == PROVISIONAL

    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def approve(entry_id: int) -> None:
        with app.app_context():
            entry = db.session.get(LoggedHours, entry_id)
            supervisor = db.session.get(User, people[1])
            barrier.wait()
            try:
                outcomes.append(decide_hours(entry, supervisor, True, ""))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - a lost race must not lose the approval
                db.session.rollback()
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with app.app_context():
        certificates = db.session.scalars(select(Certificate)).all()
        assert len(certificates) == 1, outcomes
        assert db.session.scalar(select(func.count()).select_from(LoggedHours).where(
            LoggedHours.status == "approved")) == 3, outcomes
        trainee = db.session.get(User, people[0])
        assert get_standing(trainee, "listener").evaluation.status == "certified"
