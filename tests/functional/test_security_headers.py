"""Security headers: only the registered LMSs may frame the tool (their issuer and login
origins, and the origin their launches came from), no inline script or style is allowed,
HSTS on https, nosniff and a referrer policy everywhere."""

from __future__ import annotations

from tests.support.browser import local


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_only_registered_platforms_may_frame_the_tool(client, registered):
    policy = directives(client.get("/help"))
    ancestors = policy["frame-ancestors"]
    assert ancestors[0] == "'self'"
    assert registered.issuer.rsplit("/demo", 1)[0] in ancestors
    assert "*" not in ancestors and "https:" not in ancestors
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_the_origin_a_launch_came_from_may_frame_the_tool(app, client, lti):
    form = lti.login(persona="learner")
    response = client.post(local(form.action), data=form.fields,
                           headers={"Origin": "https://school.instructure.example"})
    assert response.status_code in (200, 302)
    ancestors = directives(client.get("/help"))["frame-ancestors"]
    assert "https://school.instructure.example" in ancestors
    # A launch cannot smuggle in something that is not an origin.
    form = lti.login(persona="learner")
    client.post(local(form.action), data=form.fields,
                headers={"Origin": "javascript:alert(1)"})
    assert not any("javascript" in a for a in directives(client.get("/help"))["frame-ancestors"])


def test_configured_extra_origins(app, client):
    app.config["LMS_PLUGIN_FRAME_ANCESTORS"] = "https://lms.example.org/some/path junk"
    app.extensions.pop("frame_ancestors", None)
    ancestors = directives(client.get("/healthz"))["frame-ancestors"]
    assert "https://lms.example.org" in ancestors and "junk" not in ancestors


def test_hardening_headers(client):
    plain = client.get("/help")
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in plain.headers  # plain http (development)
    secure = client.get("/help", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
