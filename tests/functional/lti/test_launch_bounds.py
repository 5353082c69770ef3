"""Launch claims the tool cannot store as they are (issue 11, finding 7): whatever a
platform signs, a launch is accepted and stored within bounds, or refused with a 4xx that
says why and stores nothing. Never a 500."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.lti.claims import check_claim_bounds
from lms_plugin.lti.errors import LaunchError
from lms_plugin.users.models import Course, MentorScope, User
from tests.support.browser import tool_login
from tests.support.launches import stored
from tests.support.platform import CLAIM
from tests.support.properties import examples

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

VALUES: dict[str, Any] = {
    "256 characters": "x" * 256,
    "5,000 characters": "y" * 5000,
    "NUL": "a\x00b",
    "lone surrogate": "a\ud800b",
    "escape code": "a\x1b[31mb",
    "superscript digit": "²",
    "huge number": 2**64,
    "negative": -1,
    "list": ["a", "b"],
    "object": {"a": "b"},
    "null": None,
    "empty": "",
    "true": True,
}


def signed_launch(client: Any, platform: Any, **claims: Any) -> Any:
    """A launch the platform signs with these claims (the nonce too may be replaced). Signed
    as raw JSON: PyJWT's encoder would refuse some of them (an `iss` that is no string)."""
    state, nonce = tool_login(client, platform)
    body = {**platform.claims(nonce), **claims}
    key = platform.state.signing_key()
    token = jwt.api_jws.encode(json.dumps(body).encode(), key["private"], algorithm="RS256",
                               headers={"kid": key["kid"], "typ": "JWT"})
    return client.post("/lti/launch", data={"id_token": token, "state": state})


def mentor(**claims: Any) -> dict[str, Any]:
    return {CLAIM + "roles": [LIS + "Mentor"], **claims}


WHERE: dict[str, Any] = {
    "sub": lambda v: {"sub": v},
    "name": lambda v: {"name": v},
    "given_name": lambda v: {"given_name": v, "name": None},
    "email": lambda v: {"email": v},
    "nonce": lambda v: {"nonce": v},
    "iss": lambda v: {"iss": v},
    "message_type": lambda v: {CLAIM + "message_type": v},
    "version": lambda v: {CLAIM + "version": v},
    "department": lambda v: {CLAIM + "custom": {"department": v}},
    "custom module": lambda v: {CLAIM + "custom": {"module": v}},
    "custom": lambda v: {CLAIM + "custom": v},
    "context": lambda v: {CLAIM + "context": v},
    "context id": lambda v: {CLAIM + "context": {"id": v, "title": "T"}},
    "context title": lambda v: {CLAIM + "context": {"id": "c-1", "title": v}},
    "context label": lambda v: {CLAIM + "context": {"id": "c-1", "label": v}},
    "resource link id": lambda v: {CLAIM + "resource_link": {"id": v}},
    "roles": lambda v: {CLAIM + "roles": [LIS + "Learner", v]},
    "mentee": lambda v: mentor(**{CLAIM + "role_scope_mentor": ["trainee-1", v]}),
    "mentees": lambda v: mentor(**{CLAIM + "role_scope_mentor": v}),
    "roster URL": lambda v: {NRPS: {"context_memberships_url": v,
                                    "service_versions": ["2.0"]}},
    "grades URL": lambda v: {AGS: {"lineitems": v, "scope": []}},
    "return URL": lambda v: {CLAIM + "launch_presentation": {"return_url": v}},
    "unknown claim": lambda v: {"https://example.org/claim/anything": [{"deep": v}]},
}


def texts(app) -> list[str]:
    """Every text the launches stored about people and courses."""
    with app.app_context():
        found: list[str] = []
        for user in db.session.scalars(select(User)):
            found += [user.sub, user.name or "", user.email or "", user.department or ""]
        for course in db.session.scalars(select(Course)):
            found += [course.context_id, course.title or "", course.label or "",
                      course.memberships_url or ""]
        found += list(db.session.scalars(select(MentorScope.mentee_sub)))
    return found


def test_any_claim_value_is_stored_within_bounds_or_refused(app, client, registered,
                                                           database):
    for limit in ("LOGIN", "LAUNCH", "LAUNCH_PERSON"):  # many launches, one address
        app.config[f"LMS_PLUGIN_RATE_LIMIT_{limit}"] = "10000 per minute"

    @settings(max_examples=examples(60, database), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.sampled_from(sorted(WHERE)),
           st.one_of(st.sampled_from(sorted(VALUES)).map(VALUES.__getitem__),
                     st.text(max_size=300)))
    @example("iss", 2**64).via("an issuer that is no string")
    @example("sub", "x" * 256).via("a sub over 255 characters")
    @example("mentees", [f"t-{i}" for i in range(20_000)]).via("20,000 mentees")
    def launch(where, value):
        before = stored(app)
        response = signed_launch(app.test_client(), registered, **WHERE[where](value))
        page = response.get_data(as_text=True)
        assert response.status_code in (302, 400, 401, 403), (where, value, page[:500])
        if response.status_code != 302:
            assert stored(app) == before, (where, value)
            assert "Nothing was saved" in page
        for text in texts(app):
            assert "\x00" not in text and len(text) <= 1000, (where, value)

    launch()


@pytest.mark.parametrize(("claims", "message"), [
    ({"sub": "x" * 256}, "user id (sub) is 256 characters long"),
    ({"sub": "a\x00b"}, "NUL"),
    ({"sub": "a\x1bb"}, "user id (sub) contains a control character"),
    ({"sub": 42}, "user id (sub) is not a string"),
    ({"name": "Ann\x00e"}, "NUL"),
    ({"email": "a\ud800@example.org"}, "not valid Unicode"),
    ({CLAIM + "custom": {"department": "Sales\x00"}}, "custom.department"),
    ({CLAIM + "context": {"id": "c\x00", "title": "T"}}, "NUL"),
    ({CLAIM + "context": {"id": "c" * 300}}, "course id (context id) is 300 characters"),
    ({CLAIM + "resource_link": {"id": "r" * 300}}, "resource link id is 300 characters"),
    ({"nonce": 12345}, "nonce is not a string"),
    ({"nonce": ["a"]}, "nonce is not a string"),
    ({CLAIM + "message_type": ["LtiResourceLinkRequest"]}, "message_type claim is not a string"),
    ({"iss": "https://lms\x00.example"}, "NUL"),
    ({NRPS: {"context_memberships_url": "https://lms.example/" + "m" * 1000}},
     "roster service URL is 1,020 characters long"),
    (mentor(**{CLAIM + "role_scope_mentor": [f"trainee-{i}" for i in range(20_000)]}),
     "20,000 mentees (role_scope_mentor); this tool accepts at most 1,000"),
    (mentor(**{CLAIM + "role_scope_mentor": ["ok", "m" * 256]}), "mentee id"),
    ({CLAIM + "roles": [LIS + "Learner"] * 1001}, "1,001 roles"),
    ({"a\x00": "b"}, "claim names"),
])
def test_a_claim_out_of_bounds_is_refused_and_stores_nothing(app, client, registered, claims,
                                                             message):
    response = signed_launch(client, registered, **claims)
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400, page[:500]
    assert message in page
    assert "Nothing was saved" in page
    assert stored(app) == {"user": 0, "course": 0, "enrollment": 0, "mentor_scope": 0,
                           "launch data": 0}


def test_display_text_is_cut_to_its_column_and_ids_at_the_limit_are_kept(app, client,
                                                                         registered):
    response = signed_launch(client, registered, sub="s" * 255, name="N" * 300,
                             email="e" * 400, **{
                                 CLAIM + "custom": {"department": "D" * 200},
                                 CLAIM + "context": {"id": "c" * 255, "title": "T" * 900,
                                                     "label": "L\tone"}})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.sub, user.name, user.email, user.department) == (
            "s" * 255, "N" * 255, "e" * 320, "D" * 120)
        course = db.session.scalars(select(Course)).one()
        assert (course.context_id, course.title, course.label) == ("c" * 255, "T" * 500,
                                                                   "L\tone")


def test_a_supervisor_with_a_thousand_trainees_is_kept_whole(app, client, registered):
    trainees = [f"trainee-{i}" for i in range(1000)]
    response = signed_launch(client, registered,
                             **mentor(**{CLAIM + "role_scope_mentor": trainees}))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert sorted(db.session.scalars(select(MentorScope.mentee_sub))) == sorted(trainees)


def test_a_deeply_nested_claim_is_refused_not_a_crash():
    deep: Any = "a\x00"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(LaunchError, match="NUL"):
        check_claim_bounds({"https://example.org/claim": deep})
    check_claim_bounds({"https://example.org/claim": [[["fine"]]]})
