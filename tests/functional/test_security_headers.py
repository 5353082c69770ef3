"""Security headers: who may frame a page is decided per response from what the signed
launch said (never from a header anyone can send); no inline script or style; HSTS on
https, nosniff and a referrer policy everywhere."""

from __future__ import annotations

import pytest

from lms_plugin.extensions import db
from lms_plugin.lti.models import Platform
from tests.support.browser import signed_launch
from tests.support.platform import CLAIM

SCHOOL_A = "https://school-a.instructure.example"
SCHOOL_B = "https://learn.school-b.example"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def ancestors(response) -> list[str]:
    return directives(response)["frame-ancestors"]


def presentation(origin: str) -> dict[str, dict[str, str]]:
    return {CLAIM + "launch_presentation": {
        "document_target": "iframe", "return_url": origin + "/courses/7/external_tools/1"}}


@pytest.mark.parametrize("path", ["/help", "/privacy", "/admin/login", "/verify/NOSUCHCODE",
                                  "/healthz"])
def test_pages_outside_a_launch_may_be_framed_only_by_the_tool(client, registered, path):
    policy = directives(client.get(path))
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_a_launch_lets_the_lms_page_it_names_frame_the_session(app, client, registered):
    launched = signed_launch(client, registered, **presentation(SCHOOL_A))
    assert launched.status_code == 302, launched.get_data(as_text=True)
    issuer_origin = registered.issuer.rsplit("/demo", 1)[0]
    for response in (launched, client.get("/help"), client.get(launched.headers["Location"])):
        assert ancestors(response)[0] == "'self'"
        assert SCHOOL_A in ancestors(response) and issuer_origin in ancestors(response)
        assert "*" not in ancestors(response)
    # Operators see where their LMS framed the tool from.
    with app.app_context():
        platform = db.session.query(Platform).filter_by(issuer=registered.issuer).one()
        assert platform.frame_origins == SCHOOL_A


def test_deep_linking_and_tool_platform_urls_count_too(client, registered):
    launched = signed_launch(client, registered, **{
        CLAIM + "tool_platform": {"guid": "x", "url": "https://moodle.example.org/"},
        CLAIM + "launch_presentation": {"return_url": "javascript:alert(1)"},
    })
    assert launched.status_code == 302
    framed = ancestors(client.get("/help"))
    assert "https://moodle.example.org" in framed
    assert not any("javascript" in a for a in framed)


def test_a_request_header_never_widens_who_may_frame(app, client, registered, second_platform):
    """A learner launching with a forged Origin header (issue: any launch's Origin widened
    frame-ancestors for every organisation for a minute)."""
    launched = signed_launch(client, registered, headers={"Origin": "https://phish.example"})
    assert launched.status_code == 302
    assert "https://phish.example" not in ancestors(client.get("/help"))
    assert "https://phish.example" not in ancestors(app.test_client().get("/admin/login"))


def test_one_organisation_never_frames_another_s_sessions(app, registered, second_platform):
    learner_a, learner_b = app.test_client(), app.test_client()
    assert signed_launch(learner_a, registered, **presentation(SCHOOL_A)).status_code == 302
    assert signed_launch(learner_b, second_platform,
                         **presentation(SCHOOL_B)).status_code == 302
    a, b = ancestors(learner_a.get("/help")), ancestors(learner_b.get("/help"))
    assert SCHOOL_A in a and SCHOOL_B not in a
    assert SCHOOL_B in b and SCHOOL_A not in b
    assert second_platform.url.rsplit("/demo", 1)[0] not in a
    # Nobody signed in gets either school.
    assert ancestors(app.test_client().get("/help")) == ["'self'"]


@pytest.mark.parametrize("config_url", [
    "https://moodle.example.org/mod/lti/openid-configuration.php",
    # Canvas cloud: served from the issuer's host, while the frame is on the school's domain
    "https://canvas.instructure.com/api/lti/security/openid-configuration?registration_token=a",
])
def test_the_registration_page_may_be_framed_by_the_registering_lms(client, config_url):
    page = client.get("/lti/register", query_string={"openid_configuration": config_url})
    assert page.status_code == 200
    assert ancestors(page) == ["'self'", "*"]
    # Only for this page: the next one is back to the tool alone.
    assert ancestors(client.get("/help")) == ["'self'"]


def test_a_registration_page_without_an_lms_is_framed_by_nobody(client):
    page = client.get("/lti/register", query_string={"openid_configuration": "javascript:x"})
    assert page.status_code == 400
    assert ancestors(page) == ["'self'"]


def test_a_refused_launch_explains_itself_in_any_frame(client, registered):
    """Before a signature is checked nothing says who frames us (Canvas's school domain is
    news at the first launch), and a refusal page has nothing to click."""
    refused = signed_launch(client, registered, **{CLAIM + "deployment_id": "nope"})
    assert refused.status_code == 403
    assert ancestors(refused) == ["'self'", "*"]
    unknown = client.get("/lti/login", query_string={"iss": "https://nobody.example",
                                                     "login_hint": "x"})
    assert unknown.status_code == 403 and ancestors(unknown) == ["'self'", "*"]


def test_configured_extra_origins(app, client):
    app.config["LMS_PLUGIN_FRAME_ANCESTORS"] = "https://lms.example.org/some/path junk"
    framed = ancestors(client.get("/healthz"))
    assert "https://lms.example.org" in framed and "junk" not in framed


def test_hardening_headers(client):
    plain = client.get("/help")
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in plain.headers  # plain http (development)
    secure = client.get("/help", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
