"""Re-enrolment after a lapse, the whole journey through the services and the trainee's
page: a certificate past its grace period, enrolling again, the old certificate kept as
history (still verifiable, no longer current), the programme's rule deciding what counts
again, and a new certificate on new evidence. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from lms_plugin.certification.certificates import reenrol
from lms_plugin.certification.enrolments import CertificationError, get_enrolment
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.certification.rules import CERTIFIED, LAPSED, PROVISIONAL
from lms_plugin.certification.standing import get_standing
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.admin import certified, events, post, signed_in


def lapse(certificate: Certificate) -> None:
    """Move the first cycle back in time so that its certificate expired 45 days ago, past
    the sample programme's 30-day grace period: the certificate, the hours it was earned
    on and the enrolment."""
    shift = certificate.expires_at - datetime.now(UTC) + timedelta(days=45)
    certificate.expires_at -= shift
    certificate.issued_at -= shift
    for entry in db.session.scalars(select(LoggedHours).where(
            LoggedHours.user_id == certificate.user_id)):
        entry.activity_date -= shift
        entry.created_at -= shift
    enrolment = get_enrolment(certificate.user, "listener")
    assert enrolment is not None
    enrolment.enrolled_at -= shift
    db.session.flush()


def people(app) -> tuple[int, int, int]:
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        factories.mentor_of(mentor, trainee)
        old = certified(trainee, mentor)
        lapse(old)
        db.session.commit()
        return trainee.id, mentor.id, old.id


def test_a_lapsed_supporter_reenrols_keeps_the_old_certificate_and_certifies_again(
        app, sample_content):
    trainee_id, mentor_id, old_id = people(app)
    client = signed_in(app, trainee_id, ["learner"])
    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Lapsed" in page and "Enrol again" in page
    assert "Hours approved before you enrol again do not count." in page

    response = post(app, client, "/programmes/listener/reenrol")
    assert response.status_code == 302

    with app.app_context():
        trainee = db.session.get(User, trainee_id)
        old = db.session.get(Certificate, old_id)
        assert old is not None and trainee is not None
        assert old.current_key is None  # history, not the current one
        assert Certificate.current(trainee_id, "listener") is None
        standing = get_standing(trainee, "listener")
        assert standing is not None
        assert standing.evaluation.status == PROVISIONAL  # the module carried over
        by_id = {r.id: r for r in standing.evaluation.requirements}
        assert by_id["attestation:code-of-conduct"].met  # signed agreements carry over
        assert by_id["practice:supervised"].have == 0  # earlier hours do not (rule: 0 days)
        old_code = old.code
    assert len(events(app, "programme.reenrol")) == 1

    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Earlier certificate" in page and old_code in page
    assert "Enrol again" not in page
    verify = client.get(f"/verify/{old_code}")
    assert verify.status_code == 200  # the old code still verifies, with its dates

    with app.app_context():
        trainee, mentor = db.session.get(User, trainee_id), db.session.get(User, mentor_id)
        assert trainee is not None and mentor is not None
        issued = None
        for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
            entry = log_hours(trainee, "listener", category="practice", kind=kind,
                              hours=Decimal(hours), activity_date=datetime.now(UTC),
                              supervisor=mentor, reflection=None)
            issued = decide_hours(entry, mentor, True, "") or issued
        db.session.commit()
        assert issued is not None
        assert Certificate.current(trainee_id, "listener") == issued
        assert issued.renewal_of_id is None  # a new certification, not a renewal
        standing = get_standing(trainee, "listener")
        assert standing is not None and standing.evaluation.status == CERTIFIED
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.user_id == trainee_id)) == 2
        assert db.session.get(Certificate, old_id) is not None


def test_only_a_lapsed_person_may_reenrol_and_a_refusal_changes_nothing(app, sample_content):
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        factories.mentor_of(mentor, trainee)
        current = certified(trainee, mentor)
        newcomer = factories.user("Ada Nwosu")
        db.session.commit()
        ids = trainee.id, newcomer.id, current.id
    for person_id in ids[:2]:
        client = signed_in(app, person_id, ["learner"])
        response = post(app, client, "/programmes/listener/reenrol")
        assert response.status_code == 409
    with app.app_context():
        certificate = db.session.get(Certificate, ids[2])
        assert certificate is not None and certificate.current_key is not None
        assert Certificate.current(ids[0], "listener") == certificate
    assert events(app, "programme.reenrol") == []


def test_a_missed_deadline_lapses_and_reenrolling_gives_a_fresh_one(app, sample_content):
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        factories.completed(trainee, "listening", 90)
        factories.enrolled(trainee, "listener", days_ago=200)  # the deadline is 90 days
        standing = get_standing(trainee, "listener")
        assert standing is not None and standing.evaluation.status == LAPSED
        reenrol(trainee, "listener")
        db.session.commit()
        standing = get_standing(trainee, "listener")
        assert standing is not None and standing.evaluation.status == PROVISIONAL
        assert standing.evaluation.deadline is not None
        assert standing.evaluation.deadline > datetime.now(UTC) + timedelta(days=89)
        try:
            reenrol(trainee, "listener")
        except CertificationError as exc:
            assert "lapsed" in str(exc)
        else:
            raise AssertionError("re-enrolling twice was allowed")
