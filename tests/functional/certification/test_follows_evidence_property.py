"""Property: whatever order evidence arrives in (lessons, a quiz pass, approved hours of
each kind, the attestation, a waiver), a certificate exists exactly when the rules say the
person is ready, and there is never more than one current certificate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.certificates import issue_certificate_if_due
from lms_plugin.certification.enrolments import get_enrolment, get_programme, grant_waiver
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate
from lms_plugin.certification.rules import READY, evaluate_programme
from lms_plugin.certification.standing import gather_evidence
from lms_plugin.content.services import get_catalog
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.training.services import complete_module_if_due, mark_lesson_complete
from tests.support import factories
from tests.support.properties import examples

EVENTS = ["lesson-1", "lesson-2", "quiz-pass", "peer-conversation-a", "peer-conversation-b",
          "check-in-b", "admin-a", "supervision-a", "attestation", "waive-module"]


def _ready_without_certificates(trainee) -> bool:
    enrolment = get_enrolment(trainee, "listener")
    evidence = gather_evidence(trainee, enrolment)
    bare = replace(evidence, certificates=())
    return evaluate_programme(get_programme("listener").document, bare,
                              datetime.now(UTC)).status == READY


def _apply(event: str, trainee, supervisors, admin) -> None:
    module = get_catalog().modules["listening"]
    if event.startswith("lesson-"):
        mark_lesson_complete(trainee, module, module.lessons[int(event[-1]) - 1])
    elif event == "quiz-pass":
        db.session.add(QuizAttempt(
            user_id=trainee.id, quiz_slug="listening", quiz_version="v1", layout_json="[]",
            submitted_at=datetime.now(UTC), score=90, passed=True))
        db.session.flush()
        complete_module_if_due(trainee, module)  # as a submitted attempt does
    elif event == "attestation":
        sign_attestation(trainee, "listener", "code-of-conduct")
    elif event == "waive-module":
        grant_waiver(trainee, "listener", "module:listening", admin, "Prior course seen",
                     "Equivalent training elsewhere")
        issue_certificate_if_due(trainee, "listener")  # as the admin page does
    else:
        kind, who = event.rsplit("-", 1)
        supervisor = supervisors[who]
        hours = "1" if kind in ("supervision", "check-in") else "2"
        entry = log_hours(trainee, "listener", category="practice", kind=kind,
                          hours=Decimal(hours),
                          activity_date=datetime.now(UTC) - timedelta(days=1),
                          supervisor=supervisor, reflection=None)
        decide_hours(entry, supervisor, True, "")


def test_certificate_exactly_when_ready(app, sample_content, database):
    """Checked after every event, so every prefix of the order is a case too."""

    @settings(max_examples=examples(60, database), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(order=st.permutations(EVENTS))
    def check(order):
        with app.app_context():
            try:
                trainee = factories.user("Sam Okafor")
                supervisors = {"a": factories.user("Jordan Lee", roles="mentor"),
                               "b": factories.user("Ola Berg", roles="mentor")}
                admin = factories.user("Riley Chen", roles="admin")
                factories.mentor_of(supervisors["a"], trainee)
                factories.mentor_of(supervisors["b"], trainee)
                factories.enrolled(trainee, "listener")
                for event in order:
                    _apply(event, trainee, supervisors, admin)
                    certificates = db.session.scalars(select(Certificate).where(
                        Certificate.user_id == trainee.id,
                        Certificate.programme_slug == "listener")).all()
                    assert bool(certificates) == _ready_without_certificates(trainee), event
                    assert len([c for c in certificates if c.current_key]) <= 1
                    assert len(certificates) <= 1
            finally:
                db.session.rollback()

    check()
