"""Input the database cannot take is refused with a 4xx before it gets there (issue 11,
finding 7): ids beyond an integer column in URLs and query strings, NUL and other control
characters in text, request bodies of any size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms_plugin.certification.models import LoggedHours
from lms_plugin.extensions import db
from lms_plugin.inputs import MAX_ID, parse_id
from lms_plugin.security import origin_of
from tests.support.authorization import client_for, csrf_token, url_for_rule
from tests.support.properties import examples

# Beyond PostgreSQL's integer (2**31), SQLite's (2**63) and any 64-bit integer (2**64).
OUT_OF_RANGE: list[int | str] = [0, -1, 2**31, 2**63, 2**64, "9" * 5000]


def int_rules(app):
    return [r for r in app.url_map.iter_rules()
            if any(f"<int:{arg}>" in r.rule for arg in r.arguments)]


def url_with(rule, values: dict, rejected_id: int, arg: str, number: int | str) -> str:
    """The rule's URL with valid values, except `number` for `arg`."""
    this = SimpleNamespace(endpoint=rule.endpoint, arguments=rule.arguments,
                           rule=rule.rule.replace(f"<int:{arg}>", str(number)))
    return url_for_rule(this, values, rejected_id)


@pytest.mark.parametrize("role", ["anonymous", "learner", "admin"])
def test_ids_outside_an_integer_column_are_not_found_on_every_route(app, world, role,
                                                                   database):
    rules = int_rules(app)
    assert len(rules) >= 15

    @settings(max_examples=examples(20, database), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.integers(min_value=-(2**70), max_value=2**70))
    @example(OUT_OF_RANGE[0]).via("zero")
    @example(OUT_OF_RANGE[1]).via("negative")
    @example(OUT_OF_RANGE[2]).via("PostgreSQL integer + 1")
    @example(OUT_OF_RANGE[3]).via("SQLite integer + 1")
    @example(OUT_OF_RANGE[4]).via("beyond 64 bits")
    @example(OUT_OF_RANGE[5]).via("more digits than int() takes")
    def check(number):
        client = client_for(app, world.signed_in_as(role))
        for rule in rules:
            for arg in (a for a in rule.arguments if f"<int:{a}>" in rule.rule):
                url = url_with(rule, world.values, world.rejected_id, arg, number)
                method = "GET" if "GET" in rule.methods else "POST"
                response = client.open(url, method=method,
                                       data={"csrf_token": csrf_token(app)})
                assert response.status_code < 500, (method, url, response.status_code)
                if not (isinstance(number, int) and 1 <= number <= MAX_ID):
                    assert response.status_code == 404, (method, url, response.status_code)

    check()


def test_the_largest_id_is_an_ordinary_miss(app, world):
    admin = client_for(app, world.own["admin"])
    assert admin.get(f"/admin/people/{MAX_ID}").status_code == 404
    trainee = client_for(app, world.own["trainee"])
    assert trainee.get(f"/quiz/attempts/{MAX_ID}").status_code == 404
    # An id in range still works (nothing over-eager).
    assert trainee.get(f"/quiz/attempts/{world.values['attempt_id']}").status_code == 200


@pytest.mark.parametrize("text", ["1", "2147483647", "007"])
def test_parse_id_takes_plain_numbers(text):
    assert parse_id(text) == int(text)


@pytest.mark.parametrize("text", ["", "0", "-1", "+1", " 1", "1.0", "2147483648", "9" * 30,
                                  "²", "١", "1²", "0x10", "1_000"])
def test_parse_id_refuses_everything_else(text):
    assert parse_id(text) is None


@pytest.mark.parametrize("course", ["²", "١", "2147483648", str(2**63), str(2**64), "9" * 5000,
                                    "-1", "0", "x"])
def test_a_course_filter_that_is_no_course_is_a_400(app, world, course):
    admin = client_for(app, world.own["admin"])
    for path in ("/admin/reports", "/admin/reports/modules.csv", "/admin/reports/people.csv",
                 "/admin/reports/summary"):
        response = admin.get(path, query_string={"course": course})
        assert response.status_code == 400, (path, response.status_code)
        assert "one of the listed courses" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["²", "2147483648", str(2**64), "0", "-1"])
def test_an_audit_page_that_is_no_page_is_a_400(app, world, page):
    response = client_for(app, world.own["admin"]).get("/admin/audit",
                                                    query_string={"page": page})
    assert response.status_code == 400
    assert "positive number" in response.get_data(as_text=True)


def _decide(app, world, reason: str):
    client = client_for(app, world.own["supervisor_this"])
    return client.post(f"/supervision/hours/{world.values['entry_id']}", data={
        "csrf_token": csrf_token(app), "decision": "reject", "reason": reason})


def _log(app, world, reflection: str):
    client = client_for(app, world.own["trainee"])
    return client.post("/programmes/listener/hours", data={
        "csrf_token": csrf_token(app), "category": "practice", "kind": "peer-conversation",
        "hours": "1",  # yesterday, at test time: never in the future, in any time zone
        "activity_date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
        "supervisor": str(world.own["supervisor_this"].user_id), "reflection": reflection})


def _hours(app) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        return [(h.status, h.reflection, h.decision_reason)
                for h in db.session.scalars(select(LoggedHours).order_by(LoggedHours.id))]


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "tab\tis fine but not\x1b[31m", "\x07bell",
                                 "del\x7f", "c1\x85"])
def test_control_characters_in_a_reflection_or_reason_are_refused(app, world, bad):
    before = _hours(app)
    logged = _log(app, world, bad)
    assert 400 <= logged.status_code < 500
    page = logged.get_data(as_text=True)
    assert "control character" in page
    decided = _decide(app, world, bad)
    assert 400 <= decided.status_code < 500
    assert "control character" in decided.get_data(as_text=True)
    assert _hours(app) == before  # nothing stored, nothing changed


def test_ordinary_text_with_line_breaks_and_tabs_is_kept(app, world):
    text = "Listened first.\r\n\tThen asked an open question; 😀 ünïcödé."
    assert _log(app, world, text).status_code == 302
    assert _hours(app)[-1] == ("pending", text, None)


@pytest.mark.parametrize("where", ["query", "form", "path"])
def test_a_nul_anywhere_in_a_request_is_a_400(app, world, where):
    client = client_for(app, world.own["trainee"])
    if where == "query":
        response = client.get("/", query_string={"x": "a\x00b"})
    elif where == "form":
        response = client.post("/programmes/listener/enrol",
                               data={"csrf_token": csrf_token(app), "x\x00": "1"})
    else:
        response = client.get("/lti/deep-link/a%00b")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/verify/badge", "/lti/launch", "/programmes/listener/hours",
                                  "/admin/login"])
def test_a_request_body_over_the_limit_is_a_413(app, world, path):
    client = client_for(app, world.own["trainee"])
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(LoggedHours))
    big = "x" * (2 * 1024 * 1024)
    response = client.post(path, data={"csrf_token": csrf_token(app), "reflection": big,
                                       "badge": big, "id_token": big})
    assert response.status_code == 413
    assert "larger than the 1,024 KiB this tool accepts" in response.get_data(as_text=True)
    raw = client.post(path, data=big.encode(), content_type="application/json")
    assert raw.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoggedHours)) == count


LTI_PARAMS = ["iss", "login_hint", "client_id", "target_link_uri", "lti_message_hint",
              "lti_storage_target", "lti_deployment_id", "id_token", "state",
              "lti_storage_check", "openid_configuration", "registration_token", "key"]
LTI_JUNK = st.one_of(st.text(max_size=300), st.sampled_from([
    "\x00", "x" * 5000, "²", "a://[", "http://[::1", "https://a\x01b.example/",
    "javascript:alert(1)", "%00", "-1", "9" * 400]))


def test_the_lti_endpoints_take_any_parameters(app, registered, database):
    """The form fuzzing skips the LTI endpoints (they need a platform's parameters):
    whatever a browser sends them is a page or a 4xx, never a 500. (A registration that
    names a real URL fetches it: not here.)"""
    for limit in ("LOGIN", "LAUNCH"):
        app.config[f"LMS_PLUGIN_RATE_LIMIT_{limit}"] = "100000 per minute"

    @settings(max_examples=examples(60, database), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(LTI_PARAMS), LTI_JUNK, max_size=6), st.booleans())
    @example({"openid_configuration": "a://["}, False).via("not a URL to register with")
    @example({"target_link_uri": "a://[", "login_hint": "0"}, True).via("not a URL to open")
    def send(params, registered_issuer):
        if registered_issuer:
            params["iss"] = registered.issuer
        client = app.test_client()
        routes = [("GET", "/lti/login"), ("POST", "/lti/login"), ("POST", "/lti/launch"),
                  ("GET", "/lti/register")]
        if origin_of(params.get("openid_configuration")) is None:
            routes.append(("POST", "/lti/register"))  # refused before any fetch
        for method, path in routes:
            response = (client.get(path, query_string=params) if method == "GET"
                        else client.post(path, data=params))
            assert response.status_code < 500, (method, path, params, response.status_code)

    send()
