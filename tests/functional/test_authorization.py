"""The authorization matrix: every endpoint in the app's URL map against every role, with
the expected outcome. A new endpoint without a decision here fails the test; so does any
role getting further than it should. Outcomes: "ok" (2xx/3xx), "no" (401/403/404: not for
you, or not found for you), "bad" (400/409/422: refused input, nothing changed)."""

from __future__ import annotations

import pytest

from tests.support.authorization import (
    OTHER_ORG_ROLES,
    ROLES,
    Person,
    World,
    client_for,
    csrf_token,
    url_for_rule,
)

# Each role of the second organisation (OTHER_ORG_ROLES), against the first one's objects,
# expects what this role of the first organisation gets without an id.
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
    "notifications.preferences",  # one's own e-mail settings
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
    "admin.programmes", "admin.erasure_requests", "admin.audit_log", "admin.rehearse",
}
ADMIN_EMPTY_POSTS = {  # what an admin's empty post to each action gets
    "admin.quiz_allowance": "bad", "admin.assign": "bad", "admin.waive": "bad",
    "admin.extend": "bad", "certification.revoke": "bad",  # each needs its fields
    # These need nothing but the token: the supervisor is removed, the roster requested.
    "admin.unassign": "ok", "reporting.sync_roster_now": "ok",
}
TRAINEE_ONLY = {"certification.pdf", "certification.badge", "certification.badge_png",
                "quiz.attempt", "quiz.review", "quiz.summary", "quiz.submit",
                "certification.resubmit", "certification.withdraw",
                "certification.remove_reflection"}


def expected(endpoint: str, role: str) -> set[str]:
    if endpoint in PUBLIC:
        return {"ok"}
    if endpoint == "users.choose_organisation":  # operators only (tests/functional/users/
        return {"no"}                            # test_sessions.py has one)
    if endpoint in ("lti.login", "lti.launch", "lti.register"):
        return {"bad"}  # without a platform's parameters: a clear 400, whoever asks
    if endpoint == "lti.deep_link":
        return {"no", "bad"}  # a launch id that is not this session's
    if role == "anonymous":
        return {"no"}
    if endpoint in EVERYONE_SIGNED_IN:
        return {"ok"}
    if endpoint == "certification.reenrol_view":  # only after a lapse; nobody here lapsed
        return {"bad"}
    if endpoint == "certification.sign":  # one's own signature (enrolling is self-service)
        return {"ok", "bad"}
    if endpoint == "certification.log_hours_view":  # an empty form: refused, nothing stored
        return {"bad"} if role == "trainee" else {"bad", "ok"}
    if endpoint == "certification.listing":  # only certified supporters may be listed
        return {"ok", "bad"} if role == "trainee" else {"no", "bad"}
    if endpoint == "privacy.erase":  # the trainee's records; admins must confirm (400)
        return {"bad"} if role == "admin" else {"no"}
    if endpoint in ADMIN_ONLY:
        if role != "admin":
            return {"no"}
        # Pages open; actions posted empty (a CSRF token and nothing else) are refused.
        return {ADMIN_EMPTY_POSTS.get(endpoint, "ok")}
    if endpoint in TRAINEE_ONLY:
        return {"ok", "bad"} if role == "trainee" else {"no"}
    if endpoint == "certification.decide":  # only this trainee's supervisor decides
        return {"ok", "bad"} if role == "supervisor_this" else {"no"}
    if endpoint == "certification.bulk_approve":  # one's own queue only; none chosen: 422
        return {"bad"}
    if endpoint == "certification.trainee_progress":  # their supervisors (this one as
        # their mentor, the other as assigned by an admin), or an admin
        return {"ok"} if role in ("supervisor_this", "supervisor_other", "admin") else {"no"}
    if endpoint == "observations.observe":  # the sample programme has no observed skills
        # check, so no role-play is anyone's to mark here; who may mark one is tested in
        # tests/functional/certification/test_observations.py
        return {"no"}
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


def check_rule(app, world: World, rule, person: Person | None, allowed: set[str],
               who: str) -> str | None:
    """Open the rule's URL as `person`; a message if the outcome is not one allowed."""
    client = client_for(app, person)
    url = url_for_rule(rule, world.values, world.rejected_id)
    method = "GET" if "GET" in rule.methods else "POST"
    data = {"csrf_token": csrf_token(app)} if method == "POST" else None
    response = client.open(url, method=method, data=data)
    if outcome(response.status_code) in allowed:
        return None
    return f"{method} {url} as {who}: {response.status_code}, expected {sorted(allowed)}"


@pytest.mark.one_database
def test_every_endpoint_against_every_role(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) > 40
    failures = [failure for rule in rules for role in ROLES
                if (failure := check_rule(app, world, rule, world.signed_in_as(role),
                                          expected(rule.endpoint, role), role))]
    assert not failures, "\n".join(failures)


@pytest.mark.one_database
def test_every_endpoint_against_every_role_of_another_organisation(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    failures = [failure for rule in rules for role in OTHER_ORG_ROLES
                if (failure := check_rule(
                    app, world, rule, world.other[role],
                    expected_from_other_org(rule.endpoint, set(rule.arguments), role),
                    f"{role} of another organisation"))]
    assert not failures, "\n".join(failures)


def test_an_endpoint_without_a_decision_fails(app):
    with pytest.raises(AssertionError, match="no authorization decision"):
        expected("something.new", "learner")
