"""Property-based fuzzing of every form and JSON endpoint: whatever is posted, the answer
is never a 500, nothing is stored that the forms would refuse, and user text is escaped
where it is shown."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.authorization import client_for, csrf_token, url_for_rule
from tests.support.properties import examples

JUNK = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "2026-02-30", "9" * 50,
                     "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "../../etc/passwd",
                     "😀" * 100, "%s%s%s", "{{7*7}}"]),
)
FIELDS = ["category", "kind", "hours", "activity_date", "timezone", "supervisor", "reflection",
          "decision", "reason", "contact", "languages", "availability", "requirement", "evidence",
          "action", "badge", "item_comfort-talking", "q-q-open", "q-q-tf"]


def post_rules(app):
    return [r for r in app.url_map.iter_rules()
            if "POST" in r.methods and not r.endpoint.startswith(("lti.", "static"))]


@pytest.mark.parametrize("role", ["trainee", "supervisor_this", "admin"])
def test_garbage_posted_to_every_form_is_never_a_500(app, world, role, database):
    rules = post_rules(app)
    assert len(rules) >= 15

    @settings(max_examples=examples(15, database), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=8))
    def fuzz(data):
        client = client_for(app, world.own[role])
        for rule in rules:
            url = url_for_rule(rule, world.values, world.rejected_id)
            response = client.post(url, data={**data, "csrf_token": csrf_token(app)})
            assert response.status_code < 500, (rule.rule, data, response.status_code)
            body = response.get_data(as_text=True)
            assert "<script>alert(1)</script>" not in body, (rule.rule, data)

    fuzz()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_verification_endpoints_take_any_input(client, text):
    for response in (client.get("/verify/" + text.replace("/", "").replace("?", "") or "x"),
                     client.post("/verify/badge", data={"badge": text}),
                     client.post("/verify/badge", data=text.encode(),
                                 content_type="application/json")):
        assert response.status_code < 500
