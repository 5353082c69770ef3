"""The authorization matrix: every endpoint in the app's URL map against every role, with
the expected outcome. A new endpoint without a decision here fails the test; so does any
role getting further than it should. Outcomes: "ok" (2xx/3xx), "no" (401/403/404: not for
you, or not found for you), "bad" (400/409/422: refused input, nothing changed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from lms_plugin.certification.models import LoggedHours
from lms_plugin.certification.services import (
    assign_supervisor,
    decide_hours,
    enrol,
    log_hours,
    sign_attestation,
)
from lms_plugin.content.models import ContentVersion
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.users.models import Course
from tests.support import factories

ROLES = ["anonymous", "learner", "trainee", "supervisor_other", "supervisor_this",
         "instructor_other", "admin"]
# Each role again in a second organisation, against the first one's objects.
OTHER_ISSUER = "https://other-lms.example.net"
OTHER_ORG_ROLES = {"learner": "learner", "mentor": "mentor", "instructor": "instructor",
                   "admin": "admin"}
AS_IN_OWN_ORG = {"learner": "learner", "mentor": "supervisor_other",
                 "instructor": "instructor_other", "admin": "admin"}
# URL arguments that name one organisation's person, record or course.
OBJECT_ARGS = {"user_id", "code", "certificate_id", "entry_id", "attempt_id",
               "assignment_id", "course_id"}
PUBLIC = {"health.healthz", "health.readyz", "training.help_now", "lti.canvas_json",
          "lti.jwks", "certification.verify", "certification.verify_badge",
          "observability.metrics_view", "privacy.privacy", "users.admin_login", "static",
          "users.logout"}
EVERYONE_SIGNED_IN = {
    "training.overview", "training.module", "training.lesson", "training.complete_lesson",
    "certification.directory", "certification.programme", "certification.supervision",
    "quiz.start_page", "quiz.start", "reporting.survey", "certification.enrol_view",
    "certification.unlist", "privacy.my_data", "privacy.my_data_page", "privacy.erasure_request",
    # one's own acknowledgements (a module not completed redirects to it)
    "training.module_completed", "certification.training_completed",
}
ADMIN_ONLY = {
    "reporting.dashboard", "reporting.report_csv", "reporting.audit_log",
    "reporting.people_csv", "reporting.person", "reporting.pipeline_list",
    "reporting.report_people",
    "reporting.sync_roster_now", "reporting.summary", "admin.programme_people",
    "certification.person", "admin.extend", "admin.assign",
    "admin.unassign", "admin.waive", "certification.revoke",
    # the admin area (lms_plugin/admin); the person page's actions refuse an empty form
    "admin.home", "admin.people", "admin.person", "admin.quiz_allowance", "admin.revoke",
    "admin.programmes", "admin.erasure_requests", "admin.audit_log",
}
TRAINEE_ONLY = {"certification.pdf", "certification.badge", "certification.badge_png",
                "quiz.attempt", "quiz.review", "quiz.summary", "quiz.submit",
                "certification.resubmit", "certification.withdraw",
                "certification.remove_reflection"}


def expected(endpoint: str, role: str) -> set[str]:
    if endpoint in PUBLIC:
        return {"ok"}
    if endpoint == "users.choose_organisation":  # operators only (tests/functional/
        return {"no"}                            # test_sessions.py has one)
    if endpoint in ("lti.login", "lti.launch", "lti.register"):
        return {"bad"}  # without a platform's parameters: a clear 400, whoever asks
    if endpoint == "lti.deep_link":
        return {"no", "bad"}  # a launch id that is not this session's
    if role == "anonymous":
        return {"no"}
    if endpoint in EVERYONE_SIGNED_IN:
        return {"ok"}
    if endpoint == "certification.sign":  # one's own signature (enrolling is self-service)
        return {"ok", "bad"}
    if endpoint == "certification.log_hours_view":  # an empty form: refused, nothing stored
        return {"bad"} if role == "trainee" else {"bad", "ok"}
    if endpoint == "certification.listing":  # only certified supporters may be listed
        return {"ok", "bad"} if role == "trainee" else {"no", "bad"}
    if endpoint == "privacy.erase":  # the trainee's records; admins must confirm (400)
        return {"bad"} if role == "admin" else {"no"}
    if endpoint in ADMIN_ONLY:
        return {"ok", "bad"} if role == "admin" else {"no"}
    if endpoint in TRAINEE_ONLY:
        return {"ok", "bad"} if role == "trainee" else {"no"}
    if endpoint == "certification.decide":  # only this trainee's supervisor decides
        return {"ok", "bad"} if role == "supervisor_this" else {"no"}
    if endpoint == "certification.bulk_approve":  # one's own queue only; none chosen: 422
        return {"bad"}
    if endpoint == "certification.trainee_progress":  # their supervisors (this one as
        # their mentor, the other as assigned by an admin), or an admin
        return {"ok"} if role in ("supervisor_this", "supervisor_other", "admin") else {"no"}
    raise AssertionError(f"no authorization decision for {endpoint}: add it to this test")


def expected_from_other_org(endpoint: str, arguments: set[str], role: str) -> set[str]:
    """Someone of another organisation, given this organisation's ids and codes: nothing of
    it is theirs (public pages aside); without such an id, an endpoint serves their own."""
    if endpoint in PUBLIC or endpoint.startswith("lti."):
        return expected(endpoint, "learner")
    if arguments & OBJECT_ARGS:
        return {"no"}
    return expected(endpoint, AS_IN_OWN_ORG[role])


def outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 404):
        return "no"
    if status in (400, 405, 409, 422):
        return "bad"
    return f"error {status}"


@pytest.fixture
def world(app, sample_content):
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        this_supervisor = factories.user("Jordan Lee", roles="mentor")
        other_supervisor = factories.user("Other Mentor", roles="mentor")
        someone = factories.user("Someone Else")
        factories.mentor_of(this_supervisor, trainee)
        factories.mentor_of(other_supervisor, someone)
        other_course = Course(organisation_id=factories.organisation_of(factories.ISSUER),
                              issuer=factories.ISSUER, context_id="course-2", title="Two")
        db.session.add(other_course)
        db.session.flush()
        instructor = factories.user("Ines Tructor", roles="instructor", course=other_course)
        learner = factories.user("Alex Morgan")
        admin = factories.user("Riley Chen", roles="admin")
        factories.completed(trainee, "listening", 90)
        enrol(trainee, "listener").enrolled_at -= timedelta(days=7)  # before yesterday's hours
        yesterday = datetime.now(UTC) - timedelta(days=1)

        def log(hours: str, kind: str = "peer-conversation") -> LoggedHours:
            return log_hours(trainee, "listener", category="practice", kind=kind,
                             hours=Decimal(hours), activity_date=yesterday,
                             supervisor=this_supervisor, reflection=None)

        decide_hours(log("3"), this_supervisor, True, "")
        decide_hours(log("1", "supervision"), this_supervisor, True, "")
        rejected = log("1")
        decide_hours(rejected, this_supervisor, False, "Too vague")
        pending = log("2")
        certificate = sign_attestation(trainee, "listener", "code-of-conduct")
        assert certificate is not None
        assignment = assign_supervisor(trainee, other_supervisor, "listener", admin)
        version = db.session.scalar(select(ContentVersion.version).where(
            ContentVersion.kind == "quiz", ContentVersion.slug == "listening",
            ContentVersion.is_current))
        attempt = QuizAttempt(user_id=trainee.id, quiz_slug="listening", quiz_version=version,
                              layout_json="[]", answers_json="{}")
        db.session.add(attempt)
        db.session.commit()
        # The same roles in a second organisation (another LMS registered with the tool).
        other_org = {role: factories.user(f"Other org {role}", roles=tool_roles,
                                          issuer=OTHER_ISSUER)
                     for role, tool_roles in OTHER_ORG_ROLES.items()}
        db.session.commit()
        users = {"learner": learner, "trainee": trainee, "supervisor_other": other_supervisor,
                 "supervisor_this": this_supervisor, "instructor_other": instructor,
                 "admin": admin, **{f"other_org_{r}": u for r, u in other_org.items()}}
        roles = {"learner": ["learner"], "trainee": ["learner"],
                 "supervisor_other": ["mentor"], "supervisor_this": ["mentor"],
                 "instructor_other": ["instructor"], "admin": ["admin", "instructor"],
                 **{f"other_org_{r}": t.split() for r, t in OTHER_ORG_ROLES.items()}}
        values = {
            "slug": "listener", "code": certificate.code, "certificate_id": certificate.id,
            "entry_id": pending.id, "attempt_id": attempt.id, "user_id": trainee.id,
            "assignment_id": assignment.id, "course_id": other_course.id, "key": "modules",
            "state": "certified", "attestation_id": "code-of-conduct", "number": 1,
            "launch_id": "not-a-launch", "phase": "pre",
        }
        return ({uid: (users[uid].id, roles[uid], users[uid].session_version)
                 for uid in users}, values, rejected.id)


RAW_CSRF = "matrix-csrf-raw-token"


def client_for(app, world, role):
    """Signed in as the role, with a valid CSRF token in the session: authorization, not
    CSRF, is under test here (CSRF has its own tests)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = RAW_CSRF
        if role != "anonymous":
            user_id, roles, *version = world[0][role]
            version = version or [1]  # a new person's sessions are at version 1
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
            session["roles"] = roles
            session["session_version"] = version[0]
    return client


def csrf_token(app) -> str:
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(RAW_CSRF)


def url_for_rule(rule, values: dict, rejected_id: int) -> str:
    params = dict(values)
    if rule.endpoint in ("training.module", "training.lesson", "training.complete_lesson",
                         "training.module_completed", "quiz.start_page", "quiz.start"):
        params["slug"] = "listening"
    if rule.endpoint in ("certification.resubmit", "certification.withdraw"):
        params["entry_id"] = rejected_id  # withdrawing it is refused: the pending one stays
    if rule.endpoint == "certification.verify":
        params["code"] = values["code"]
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", str(params[arg])).replace(f"<{arg}>", str(params[arg]))
    return url


def check_rule(app, world, rule, role: str, allowed: set[str], who: str) -> str | None:
    """Open the rule's URL as `role`; a message if the outcome is not one allowed."""
    client = client_for(app, world, role)
    url = url_for_rule(rule, world[1], world[2])
    method = "GET" if "GET" in rule.methods else "POST"
    data = {"csrf_token": csrf_token(app)} if method == "POST" else None
    response = client.open(url, method=method, data=data)
    if outcome(response.status_code) in allowed:
        return None
    return f"{method} {url} as {who}: {response.status_code}, expected {sorted(allowed)}"


def test_every_endpoint_against_every_role(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) > 40
    failures = [failure for rule in rules for role in ROLES
                if (failure := check_rule(app, world, rule, role,
                                          expected(rule.endpoint, role), role))]
    assert not failures, "\n".join(failures)


def test_every_endpoint_against_every_role_of_another_organisation(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    failures = [failure for rule in rules for role in OTHER_ORG_ROLES
                if (failure := check_rule(
                    app, world, rule, f"other_org_{role}",
                    expected_from_other_org(rule.endpoint, set(rule.arguments), role),
                    f"{role} of another organisation"))]
    assert not failures, "\n".join(failures)


def test_an_endpoint_without_a_decision_fails(app):
    with pytest.raises(AssertionError, match="no authorization decision"):
        expected("something.new", "learner")
