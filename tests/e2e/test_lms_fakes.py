"""The fake Moodle and Canvas are as strict as the real ones: driven directly over HTTP with
requests and PyJWT (not through our tool), from a stub tool that only has a key pair."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from flask import Flask, Response, request

from tests.support.chromium import chromium, requires_chromium
from tests.support.lms import FakeCanvas, FakeMoodle, parse_autopost
from tests.support.lms.common import (
    AGS_CLAIM,
    CLAIM,
    DL_DATA,
    DL_ITEMS,
    DL_SETTINGS,
    JWT_BEARER,
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    SCOPE_LINEITEM,
    SCOPE_NRPS,
    SCOPE_SCORE,
    SCORE_TYPE,
    TOOL_CONFIG,
    KeyPair,
)
from tests.support.servers import ServerThread

pytestmark = pytest.mark.e2e


class StubTool:
    """Just enough of a tool: a key pair published as a JWKS, a registration page that
    registers server-side and then posts `org.imsglobal.lti.close`, and a page that tries
    LTI platform storage in the browser."""

    def __init__(self) -> None:
        self.key = KeyPair()
        self.app = Flask("stub_tool")
        self.app.add_url_rule("/jwks", view_func=lambda: self.key.jwks())
        self.app.add_url_rule("/register", view_func=self._register)
        self.app.add_url_rule("/storage", view_func=self._storage, methods=["GET", "POST"])
        self.server = ServerThread(self.app).start()
        self.url = self.server.url
        self.registered: dict[str, Any] = {}

    def registration(self, **override: Any) -> dict[str, Any]:
        body = {
            "application_type": "web", "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": self.url + "/login", "redirect_uris": [self.url + "/launch"],
            "client_name": "Stub tool", "jwks_uri": self.url + "/jwks",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": f"{SCOPE_LINEITEM} {SCOPE_SCORE}",
            TOOL_CONFIG: {
                "domain": urlsplit(self.url).netloc, "target_link_uri": self.url + "/launch",
                "claims": ["iss", "sub", "name", "email"],
                "messages": [{"type": "LtiDeepLinkingRequest",
                              "target_link_uri": self.url + "/deep"}]},
        }
        body.update(override)
        return body

    def _register(self) -> str:
        token = request.args["registration_token"]
        auth = {"Authorization": f"Bearer {token}"}
        config = requests.get(request.args["openid_configuration"], headers=auth, timeout=10)
        config.raise_for_status()
        answer = requests.post(config.json()["registration_endpoint"], json=self.registration(),
                               headers=auth, timeout=10)
        answer.raise_for_status()
        self.registered = answer.json()
        return ("<p>Registered</p><script>window.parent.postMessage("
                "{subject: 'org.imsglobal.lti.close'}, '*');</script>")

    def _storage(self) -> Response:
        target = request.values.get("lti_storage_target", "")
        script = """
var out = document.getElementById("out");
function ask(win, msg) {
  /* The hidden forwarding frame may still be loading: ask again until it answers. */
  return new Promise(function (resolve) {
    var timer = setInterval(function () { win.postMessage(msg, "*"); }, 250);
    window.addEventListener("message", function h(e) {
      if (e.data && e.data.message_id === msg.message_id) {
        window.removeEventListener("message", h);
        clearInterval(timer);
        resolve({origin: e.origin, data: e.data});
      }
    });
    win.postMessage(msg, "*");
  });
}
ask(window.parent, {subject: "lti.capabilities", message_id: "c1"}).then(function (cap) {
  var put = cap.data.supported_messages.filter(function (m) {
    return m.subject === "lti.put_data"; })[0];
  var frame = window.parent.frames[put.frame];
  return ask(frame, {subject: "lti.put_data", key: "state", value: "s-123", message_id: "p1"})
    .then(function () {
      return ask(frame, {subject: "lti.get_data", key: "state", message_id: "g1"}); })
    .then(function (got) {
      out.textContent = "capabilities from " + cap.origin + "; frame " + put.frame +
        "; storage from " + got.origin + "; value " + got.data.value;
    });
});"""
        return Response(f"<p id='out'>waiting ({target})</p><script>{script}</script>",
                        mimetype="text/html")

    def sign(self, claims: dict[str, Any]) -> str:
        return self.key.sign({k: v for k, v in claims.items() if v is not None})

    def assertion(self, client_id: str, aud: Any, **override: Any) -> str:
        now = int(time.time())
        return self.sign({"iss": client_id, "sub": client_id, "aud": aud, "iat": now,
                          "exp": now + 300, "jti": uuid.uuid4().hex, **override})

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def tool() -> Iterator[StubTool]:
    stub = StubTool()
    yield stub
    stub.stop()


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        yield fake


@pytest.fixture
def canvas() -> Iterator[FakeCanvas]:
    with FakeCanvas() as fake:
        yield fake


def stamp(delta: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta)).isoformat(timespec="milliseconds")


def launch(fake: FakeMoodle | FakeCanvas, start_url: str, tool: StubTool,
           **override: str) -> tuple[str, dict[str, str]]:
    """Login initiation -> OIDC auth request (as a tool sends it) -> the platform's form."""
    action, login = parse_autopost(requests.get(start_url, timeout=10).text)
    assert action == tool.url + "/login"
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
              "prompt": "none", "client_id": login["client_id"],
              "redirect_uri": tool.url + "/launch", "login_hint": login["login_hint"],
              "lti_message_hint": login["lti_message_hint"], "state": "st-1", "nonce": "n-1",
              **override}
    auth = requests.get(_auth_endpoint(fake), params=params, timeout=10)
    assert auth.status_code == 200, auth.text
    return parse_autopost(auth.text)


def _auth_endpoint(fake: FakeMoodle | FakeCanvas) -> str:
    if isinstance(fake, FakeMoodle):
        return fake.wwwroot + "/mod/lti/auth.php"
    return fake.sso_url + "/api/lti/authorize_redirect"


def platform_claims(fake: FakeMoodle | FakeCanvas, id_token: str) -> dict[str, Any]:
    keys = requests.get(_jwks_url(fake), timeout=10).json()
    key = jwt.PyJWKSet.from_dict(keys).keys[0].key
    return dict(jwt.decode(id_token, key, algorithms=["RS256"], audience=fake.tool().client_id))


def _jwks_url(fake: FakeMoodle | FakeCanvas) -> str:
    if isinstance(fake, FakeMoodle):
        return fake.wwwroot + "/mod/lti/certs.php"
    return fake.sso_url + "/api/lti/security/jwks"


def token(fake: FakeMoodle | FakeCanvas, tool: StubTool, aud: Any,
          scope: str = f"{SCOPE_LINEITEM} {SCOPE_SCORE}", **claims: Any) -> requests.Response:
    client_id = fake.tool().client_id
    return requests.post(fake.token_url, data={
        "grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
        "client_assertion": tool.assertion(client_id, aud, **claims), "scope": scope},
        timeout=10)


def bearer(fake: FakeMoodle | FakeCanvas, tool: StubTool, aud: Any) -> dict[str, str]:
    answer = token(fake, tool, aud)
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def scores_url(line_item: str) -> str:
    """The AGS rule: the scores URL is the line item URL with /scores before the query."""
    parts = urlsplit(line_item)
    return parts._replace(path=parts.path + "/scores").geturl()


def post_score(url: str, headers: dict[str, str], **score: Any) -> requests.Response:
    body = {"activityProgress": "Completed", "gradingProgress": "FullyGraded", **score}
    return requests.post(url, data=json.dumps(body), timeout=10,
                         headers={**headers, "Content-Type": SCORE_TYPE})


# --- Moodle -------------------------------------------------------------------------------


def moodle_register(moodle: FakeMoodle, tool: StubTool) -> dict[str, Any]:
    start = requests.get(moodle.registration_page_url(tool.url + "/register").replace(
        "toolconfigure.php", "startltiadvregistration.php"), allow_redirects=False, timeout=10)
    assert start.status_code == 302
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    config = requests.get(query["openid_configuration"][0], timeout=10).json()
    answer = requests.post(config["registration_endpoint"], json=tool.registration(),
                           headers={"Authorization": "Bearer " + query["registration_token"][0]},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_moodle_openid_configuration_is_public_and_names_wwwroot(moodle: FakeMoodle) -> None:
    config = requests.get(moodle.wwwroot + "/mod/lti/openid-configuration.php", timeout=10).json()
    assert config["issuer"] == moodle.wwwroot
    assert config["token_endpoint"] == moodle.wwwroot + "/mod/lti/token.php"
    assert "authorization_server" not in config
    platform = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert platform["product_family_code"] == "moodle"
    assert platform["messages_supported"] == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]


def test_moodle_registration_needs_its_token_once(moodle: FakeMoodle, tool: StubTool) -> None:
    endpoint = moodle.wwwroot + "/mod/lti/openid-registration.php"
    missing = requests.post(endpoint, json=tool.registration(), timeout=10)
    assert (missing.status_code, missing.text) == (401, "missing_registration_token")
    forged = tool.sign({"sub": "x" * 15, "scope": "reg", "exp": int(time.time()) + 60})
    assert requests.post(endpoint, json=tool.registration(), timeout=10,
                         headers={"Authorization": f"Bearer {forged}"}).status_code == 401

    start = requests.get(f"{moodle.wwwroot}/mod/lti/startltiadvregistration.php",
                         params={"url": tool.url + "/register?x=1"}, allow_redirects=False,
                         timeout=10)
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["x"] == ["1"]
    assert query["openid_configuration"] == [moodle.wwwroot + "/mod/lti/openid-configuration.php"]
    auth = {"Authorization": "Bearer " + query["registration_token"][0]}
    bad = requests.post(endpoint, json=tool.registration(token_endpoint_auth_method="none"),
                        headers=auth, timeout=10)
    assert (bad.status_code, bad.text) == (400, "invalid_token_endpoint_auth_method")
    good = requests.post(endpoint, json=tool.registration(), headers=auth, timeout=10)
    assert good.status_code == 200
    body = good.json()
    assert body["client_id"] == moodle.tool().client_id
    assert body[TOOL_CONFIG]["deployment_id"] == moodle.tool().deployment_id
    assert body[TOOL_CONFIG]["deployment_id"].isdigit()
    assert moodle.tool().state == "pending"
    again = requests.post(endpoint, json=tool.registration(), headers=auth, timeout=10)
    assert (again.status_code, again.text) == (401, "token_already_used")


def test_moodle_launch_claims_and_auth_checks(moodle: FakeMoodle, tool: StubTool) -> None:
    moodle_register(moodle, tool)
    course = moodle.add_course("Mental health awareness")
    link = moodle.add_link(course, "Awareness", custom={"module": "awareness"}, score_maximum=10)

    action, login = parse_autopost(requests.get(moodle.start_launch_url(link), timeout=10).text)
    assert action == tool.url + "/login"
    assert login["iss"] == moodle.issuer
    assert json.loads(login["lti_message_hint"])["cmid"] == int(link)
    assert login["lti_deployment_id"] == moodle.tool().deployment_id
    assert login["login_hint"] == moodle.personas["learner"].user_id

    action, answer = launch(moodle, moodle.start_launch_url(link), tool)
    assert action == tool.url + "/launch"
    assert answer["state"] == "st-1"
    claims = platform_claims(moodle, answer["id_token"])
    assert claims["aud"] == moodle.tool().client_id and "azp" not in claims
    assert claims["exp"] - claims["iat"] == 60
    assert claims[CLAIM + "deployment_id"] == moodle.tool().deployment_id
    assert claims[CLAIM + "custom"] == {"module": "awareness"}
    assert claims[CLAIM + "tool_platform"]["product_family_code"] == "moodle"
    assert claims[CLAIM + "launch_presentation"]["return_url"].startswith(
        moodle.wwwroot + "/mod/lti/return.php?")
    lineitem = claims[AGS_CLAIM]["lineitem"]
    assert urlsplit(lineitem).path == f"/mod/lti/services.php/{course}/lineitems/" \
        f"{urlsplit(lineitem).path.split('/')[-2]}/lineitem"
    assert urlsplit(lineitem).query == f"type_id={moodle.tool().deployment_id}"

    _, refused = launch(moodle, moodle.start_launch_url(link), tool,
                        login_hint=moodle.personas["admin"].user_id)
    assert refused["error"] == "access_denied" and "id_token" not in refused
    _, refused = launch(moodle, moodle.start_launch_url(link), tool, response_mode="fragment")
    assert (refused["error"], refused["error_description"]) == ("invalid_request",
                                                                "Invalid response_mode")
    _, login = parse_autopost(requests.get(moodle.start_launch_url(link), timeout=10).text)
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
              "client_id": login["client_id"], "login_hint": login["login_hint"],
              "lti_message_hint": login["lti_message_hint"], "nonce": "n",
              "redirect_uri": tool.url + "/elsewhere"}
    auth = moodle.wwwroot + "/mod/lti/auth.php"
    assert requests.get(auth, params=params, timeout=10).status_code == 400
    params["redirect_uri"] = tool.url + "/launch"
    assert "id_token" in parse_autopost(requests.get(auth, params=params, timeout=10).text)[1]
    assert requests.get(auth, params=params, timeout=10).status_code == 400  # hint used up


def test_moodle_token_endpoint_checks_signature_not_aud(moodle: FakeMoodle,
                                                        tool: StubTool) -> None:
    moodle_register(moodle, tool)
    # mod/lti/token.php never looks at aud (nor iss or jti).
    assert token(moodle, tool, "https://somewhere.else/").status_code == 200
    other = StubTool()
    try:
        forged = requests.post(moodle.token_url, timeout=10, data={
            "grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": other.assertion(moodle.tool().client_id, moodle.token_url),
            "scope": SCOPE_SCORE})
    finally:
        other.stop()
    assert forged.status_code == 400
    expired = token(moodle, tool, moodle.token_url, exp=int(time.time()) - 10)
    assert expired.status_code == 400
    assert token(moodle, tool, moodle.token_url, scope=SCOPE_NRPS).json() == {
        "error": "invalid_scope"}
    as_json = requests.post(moodle.token_url, json={"grant_type": "client_credentials"},
                            timeout=10)
    assert as_json.json() == {"error": "invalid_request"}
    granted = token(moodle, tool, moodle.token_url, scope=f"{SCOPE_SCORE} {SCOPE_NRPS}").json()
    assert granted["scope"] == SCOPE_SCORE
    assert [r.status for r in moodle.token_requests()] == [200, 400, 400, 400, 400, 200]


def test_moodle_scores_409_unless_newer(moodle: FakeMoodle, tool: StubTool) -> None:
    moodle_register(moodle, tool)
    course = moodle.add_course("Peer support")
    link = moodle.add_link(course, "Quiz", score_maximum=10)
    item = moodle.links(course)[0].line_item
    assert item is not None and link
    url, auth = scores_url(item), bearer(moodle, tool, moodle.token_url)
    assert url.endswith(f"/lineitem/scores?type_id={moodle.tool().deployment_id}")
    learner = moodle.personas["learner"].user_id

    first = stamp()
    assert post_score(url, auth, userId=learner, scoreGiven=7, scoreMaximum=10,
                      timestamp=first).status_code == 200
    assert post_score(url, auth, userId=learner, scoreGiven=8, scoreMaximum=10,
                      timestamp=first).status_code == 409
    assert post_score(url, auth, userId=learner, scoreGiven=8, scoreMaximum=10,
                      timestamp=stamp(-60)).status_code == 409
    assert post_score(url, auth, userId=learner, scoreGiven=9, scoreMaximum=10,
                      timestamp=stamp(5)).status_code == 200
    assert [(s.sub, s.score_given) for s in moodle.scores()] == [(learner, 9)]

    assert post_score(url, auth, userId=moodle.personas["instructor"].user_id, scoreGiven=1,
                      timestamp=stamp(10)).status_code == 400
    assert post_score(url, {}, userId=learner, scoreGiven=1,
                      timestamp=stamp(10)).status_code == 401
    wrong_type = requests.post(url, json={"userId": learner, "timestamp": stamp(10)},
                               headers=auth, timeout=10)
    assert wrong_type.status_code == 400


def test_moodle_line_items_content_negotiation_and_paging(moodle: FakeMoodle,
                                                          tool: StubTool) -> None:
    moodle_register(moodle, tool)
    course = moodle.add_course("Boundaries")
    auth = bearer(moodle, tool, moodle.token_url)
    url = moodle.lineitems_url(course)
    for n in range(3):
        made = requests.post(url, data=json.dumps({"label": f"Item {n}", "scoreMaximum": 10}),
                             headers={**auth, "Content-Type": LINEITEM_TYPE}, timeout=10)
        assert made.status_code == 201
        assert made.json()["id"].endswith(f"/lineitem?type_id={moodle.tool().deployment_id}")
    no_max = requests.post(url, data=json.dumps({"label": "x"}), timeout=10,
                           headers={**auth, "Content-Type": LINEITEM_TYPE})
    assert no_max.status_code == 400
    assert requests.get(url, headers={**auth, "Accept": "application/json"},
                        timeout=10).status_code == 400
    page = requests.get(url + "&limit=2", headers={**auth, "Accept": LINEITEMS_TYPE}, timeout=10)
    assert page.status_code == 200 and len(page.json()) == 2
    # Moodle's own typographic quotes, sent as UTF-8 bytes
    assert "rel=\u201cnext\u201d" in page.headers["Link"].encode("latin-1").decode("utf-8")


def test_moodle_deep_linking_return_checks_the_tool_jwt(moodle: FakeMoodle,
                                                        tool: StubTool) -> None:
    moodle_register(moodle, tool)
    course = moodle.add_course("Awareness")
    learner_try = requests.get(moodle.start_deep_linking_url(course, user="learner"), timeout=10)
    assert learner_try.status_code == 403

    def response_jwt(settings: dict[str, Any], **override: Any) -> str:
        return tool.sign({
            "iss": moodle.tool().client_id, "aud": moodle.issuer, "iat": int(time.time()),
            "exp": int(time.time()) + 300, "nonce": uuid.uuid4().hex,
            CLAIM + "deployment_id": moodle.tool().deployment_id,
            CLAIM + "message_type": "LtiDeepLinkingResponse", CLAIM + "version": "1.3.0",
            DL_ITEMS: [{"type": "ltiResourceLink", "title": "Awareness module",
                        "url": tool.url + "/launch", "custom": {"module": "awareness"},
                        "lineItem": {"scoreMaximum": 18, "label": "Awareness quiz"}}],
            **override})

    _, answer = launch(moodle, moodle.start_deep_linking_url(course), tool)
    claims = platform_claims(moodle, answer["id_token"])
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    settings = claims[DL_SETTINGS]
    wrong_aud = requests.post(settings["deep_link_return_url"], timeout=10,
                              data={"JWT": response_jwt(settings, aud=tool.url)})
    assert wrong_aud.status_code == 400 and moodle.links(course) == []

    _, answer = launch(moodle, moodle.start_deep_linking_url(course), tool)
    settings = platform_claims(moodle, answer["id_token"])[DL_SETTINGS]
    done = requests.post(settings["deep_link_return_url"], data={"JWT": response_jwt(settings)},
                         timeout=10)
    assert done.status_code == 200, done.text
    [link] = moodle.links(course)
    assert (link.title, link.custom) == ("Awareness module", {"module": "awareness"})
    assert moodle.line_items(course)[0].score_maximum == 18


# --- Canvas -------------------------------------------------------------------------------


def canvas_register(canvas: FakeCanvas, tool: StubTool) -> dict[str, Any]:
    token_ = canvas.registration_token()
    answer = requests.post(canvas.sso_url + "/api/lti/registrations", json=tool.registration(),
                           headers={"Authorization": f"Bearer {token_}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_canvas_openid_configuration_needs_the_registration_token(canvas: FakeCanvas,
                                                                  tool: StubTool) -> None:
    page = requests.get(canvas.registration_page_url(tool.url + "/register"), timeout=10).text
    src = page.split("id='registration-frame'")[1].split("src='")[1].split("'")[0]
    query = parse_qs(urlsplit(src.replace("&amp;", "&")).query)
    config_url = query["openid_configuration"][0]
    assert urlsplit(config_url).netloc == urlsplit(canvas.sso_url).netloc
    assert urlsplit(config_url).netloc != urlsplit(canvas.school_url).netloc
    assert parse_qs(urlsplit(config_url).query)["registration_token"] == \
        query["registration_token"]
    assert requests.get(config_url, timeout=10).status_code == 401
    config = requests.get(config_url, timeout=10, headers={
        "Authorization": "Bearer " + query["registration_token"][0]}).json()
    assert config["issuer"] == "https://canvas.instructure.com"
    assert config["token_endpoint"] == canvas.token_url
    assert config["authorization_server"] == urlsplit(canvas.sso_url).netloc


def test_canvas_registration_gives_client_id_but_no_deployment(canvas: FakeCanvas,
                                                               tool: StubTool) -> None:
    endpoint = canvas.sso_url + "/api/lti/registrations"
    assert requests.post(endpoint, json=tool.registration(), timeout=10).status_code == 401
    forged = jwt.encode({"uuid": "u", "initiated_at": "x", "user_id": 1,
                         "root_account_global_id": 1, "exp": int(time.time()) + 60},
                        "k" * 32, algorithm="HS256")
    assert requests.post(endpoint, json=tool.registration(), timeout=10,
                         headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    auth = {"Authorization": "Bearer " + canvas.registration_token()}
    invalid = requests.post(endpoint, json=tool.registration(grant_types=["implicit"]),
                            headers=auth, timeout=10)
    assert invalid.status_code == 422
    body = requests.post(endpoint, json=tool.registration(), headers=auth, timeout=10).json()
    assert body["client_id"] == canvas.tool().client_id
    assert "deployment_id" not in body[TOOL_CONFIG]
    assert requests.post(endpoint, json=tool.registration(), headers=auth,
                         timeout=10).status_code == 401
    assert canvas.tool().deployment_id is None  # none until an admin installs it
    deployment = canvas.install()
    tool_id, _, context = deployment.partition(":")
    assert tool_id.isdigit() and len(context) == 40 and int(context, 16) >= 0


def test_canvas_launch_goes_through_sso_and_school(canvas: FakeCanvas, tool: StubTool) -> None:
    canvas_register(canvas, tool)
    course = canvas.add_course("Peer support")
    link = canvas.add_link(course, "Awareness", custom={"module": "awareness"}, score_maximum=18)
    not_installed = requests.get(canvas.start_launch_url(link), timeout=10)
    assert not_installed.status_code == 404
    deployment = canvas.install(course)

    _, login = parse_autopost(requests.get(canvas.start_launch_url(link), timeout=10).text)
    assert login["iss"] == "https://canvas.instructure.com"
    assert login["lti_storage_target"] == "post_message_forwarding"
    assert login["lti_deployment_id"] == deployment
    redirect = requests.get(canvas.sso_url + "/api/lti/authorize_redirect", timeout=10,
                            allow_redirects=False, params={
                                "lti_message_hint": login["lti_message_hint"], "scope": "openid"})
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(canvas.school_url + "/api/lti/authorize?")

    action, answer = launch(canvas, canvas.start_launch_url(link), tool)
    assert action == tool.url + "/launch"
    assert answer["lti_storage_target"] == "post_message_forwarding"
    claims = platform_claims(canvas, answer["id_token"])
    assert claims["aud"] == claims["azp"] == canvas.tool().client_id
    assert claims[CLAIM + "deployment_id"] == deployment
    assert claims[CLAIM + "custom"] == {"module": "awareness"}
    assert claims[CLAIM + "tool_platform"]["product_family_code"] == "canvas"
    assert urlsplit(claims[CLAIM + "launch_presentation"]["return_url"]).netloc == \
        urlsplit(canvas.school_url).netloc
    assert claims[AGS_CLAIM]["lineitem"].startswith(
        f"{canvas.school_url}/api/lti/courses/{course}/line_items/")

    _, refused = launch(canvas, canvas.start_launch_url(link), tool, scope="openid profile")
    assert refused["error"] == "invalid_request_object"
    _, login = parse_autopost(requests.get(canvas.start_launch_url(link), timeout=10).text)
    bad_redirect = requests.get(canvas.school_url + "/api/lti/authorize", timeout=10, params={
        "lti_message_hint": login["lti_message_hint"], "redirect_uri": tool.url + "/other"})
    assert bad_redirect.status_code == 400


def test_canvas_token_endpoint_wants_its_token_url_as_aud(canvas: FakeCanvas,
                                                          tool: StubTool) -> None:
    canvas_register(canvas, tool)
    wrong = token(canvas, tool, canvas.school_url + "/login/oauth2/token")
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_request",
                            "error_description": "the 'aud' is invalid"}
    assert token(canvas, tool, urlsplit(canvas.sso_url).netloc).status_code == 400
    assert token(canvas, tool, canvas.token_url).status_code == 200
    assert token(canvas, tool, ["x", canvas.token_url]).status_code == 200
    old = token(canvas, tool, canvas.token_url, iat=int(time.time()) - 600)
    assert "the 'iat' must be less than 300 seconds old" in old.json()["error_description"]
    no_jti = token(canvas, tool, canvas.token_url, jti=None)
    assert "missing: jti" in no_jti.json()["error_description"]
    assert token(canvas, tool, canvas.token_url, scope=SCOPE_NRPS).status_code == 400
    stranger = requests.post(canvas.token_url, timeout=10, data={
        "grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
        "client_assertion": tool.assertion("999", canvas.token_url), "scope": SCOPE_SCORE})
    assert stranger.status_code == 401
    recorded = canvas.token_requests()[0].assertion_claims
    assert recorded is not None and recorded["aud"] == canvas.school_url + "/login/oauth2/token"


def test_canvas_scores_400_for_older_and_422_without_maximum(canvas: FakeCanvas,
                                                             tool: StubTool) -> None:
    canvas_register(canvas, tool)
    course = canvas.add_course("Peer support")
    canvas.add_link(course, "Quiz", score_maximum=18)
    item = canvas.links(course)[0].line_item
    assert item is not None
    url, auth = scores_url(item), bearer(canvas, tool, canvas.token_url)
    learner = canvas.lti_ids["learner"]

    first = stamp()
    ok = post_score(url, auth, userId=learner, scoreGiven=12, scoreMaximum=18, timestamp=first)
    assert ok.status_code == 200 and "resultUrl" in ok.json()
    same = post_score(url, auth, userId=learner, scoreGiven=13, scoreMaximum=18, timestamp=first)
    assert same.status_code == 200  # only an *older* timestamp is refused
    older = post_score(url, auth, userId=learner, scoreGiven=1, scoreMaximum=18,
                       timestamp=stamp(-60))
    assert older.status_code == 400
    no_max = post_score(url, auth, userId=learner, scoreGiven=14, timestamp=stamp(1))
    assert no_max.status_code == 422
    pending = post_score(url, auth, userId=learner, gradingProgress="Pending", timestamp=stamp(2))
    assert pending.status_code == 200
    teacher = post_score(url, auth, userId=canvas.lti_ids["instructor"], scoreGiven=1,
                         scoreMaximum=18, timestamp=stamp(3))
    assert teacher.status_code == 422
    no_stamp = post_score(url, auth, userId=learner, scoreGiven=1, scoreMaximum=18)
    assert no_stamp.status_code == 400
    [score] = canvas.scores()
    assert (score.sub, score.score_given, score.grading_progress) == (learner, None, "Pending")


def test_canvas_line_items_page_with_link_header(canvas: FakeCanvas, tool: StubTool) -> None:
    canvas_register(canvas, tool)
    course = canvas.add_course("Boundaries")
    auth = bearer(canvas, tool, canvas.token_url)
    url = canvas.lineitems_url(course)
    for n in range(3):
        made = requests.post(url, data=json.dumps({"label": f"Item {n}", "scoreMaximum": 5}),
                             headers={**auth, "Content-Type": LINEITEM_TYPE}, timeout=10)
        assert made.status_code == 200
        assert made.json()["id"].startswith(url + "/")
    first = requests.get(url, params={"per_page": 2}, headers=auth, timeout=10)
    assert len(first.json()) == 2 and 'rel="next"' in first.headers["Link"]
    assert requests.get(url, timeout=10).status_code == 401


def test_canvas_deep_linking_needs_data_echoed_and_canvas_aud(canvas: FakeCanvas,
                                                              tool: StubTool) -> None:
    canvas_register(canvas, tool)
    course = canvas.add_course("Awareness")
    canvas.install()

    def respond(settings: dict[str, Any], **override: Any) -> requests.Response:
        claims = {"iss": canvas.tool().client_id, "sub": canvas.tool().client_id,
                  "aud": canvas.issuer, "iat": int(time.time()), "exp": int(time.time()) + 300,
                  "jti": uuid.uuid4().hex, "nonce": "n",
                  CLAIM + "deployment_id": canvas.install(),
                  CLAIM + "message_type": "LtiDeepLinkingResponse", CLAIM + "version": "1.3.0",
                  DL_DATA: settings.get("data"),
                  DL_ITEMS: [{"type": "ltiResourceLink", "title": "Awareness",
                              "custom": {"module": "awareness"}}], **override}
        return requests.post(settings["deep_link_return_url"], data={"JWT": tool.sign(claims)},
                             timeout=10)

    _, answer = launch(canvas, canvas.start_deep_linking_url(course), tool)
    settings = platform_claims(canvas, answer["id_token"])[DL_SETTINGS]
    assert respond(settings, **{DL_DATA: None}).status_code == 400
    _, answer = launch(canvas, canvas.start_deep_linking_url(course), tool)
    settings = platform_claims(canvas, answer["id_token"])[DL_SETTINGS]
    assert respond(settings, aud=canvas.token_url).status_code == 400
    _, answer = launch(canvas, canvas.start_deep_linking_url(course), tool)
    settings = platform_claims(canvas, answer["id_token"])[DL_SETTINGS]
    assert respond(settings).status_code == 200
    assert [link.custom for link in canvas.links(course)] == [{"module": "awareness"}]


# --- in Chromium ---------------------------------------------------------------------------


@pytest.mark.browser
@requires_chromium
def test_registration_pages_wait_for_the_close_message(moodle: FakeMoodle, canvas: FakeCanvas,
                                                       tool: StubTool) -> None:
    with chromium() as browser:
        page = browser.new_page()
        for fake in (moodle, canvas):
            page.goto(fake.registration_page_url(tool.url + "/register"))
            page.get_by_text("Tool registered: Stub tool").wait_for(timeout=15000)
            assert tool.registered["client_id"] == fake.tool().client_id


@pytest.mark.browser
@requires_chromium
def test_canvas_platform_storage_answers_from_the_sso_origin(canvas: FakeCanvas,
                                                             tool: StubTool) -> None:
    canvas.register_tool(login_url=tool.url + "/storage", redirect_uris=[tool.url + "/launch"],
                         jwks_uri=tool.url + "/jwks", target_link_uri=tool.url + "/launch")
    canvas.install()
    course = canvas.add_course("Storage")
    link = canvas.add_link(course, "Storage check")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(canvas.course_page_url(course, link))
        frame = page.frame_locator("iframe.tool-frame")
        frame.get_by_text("value s-123").wait_for(timeout=15000)
        assert frame.locator("#out").inner_text() == (
            f"capabilities from {canvas.school_url}; frame post_message_forwarding; "
            f"storage from {canvas.sso_url}; value s-123")
