"""A fake Canvas LMS (cloud, LTI 1.3 / Advantage) over real HTTP, for end-to-end tests.

Two sites:
* the school's domain (`school_url`, e.g. school.instructure.com) serves the admin and course pages,
  `/api/lti/authorize`, AGS, and deep-link returns;
* the OIDC/"sso" origin (`sso_url`, like sso.canvaslms.com) serves the OpenID configuration,
  registrations, `/api/lti/authorize_redirect`, `/login/oauth2/token`, the JWKS and the
  `post_message_forwarding` frame.

The issuer is the identifier `https://canvas.instructure.com`; nothing is served there.

Modelled on instructure/canvas-lms:
* Dynamic registration: app/controllers/lti/ims/dynamic_registration_controller.rb and
  doc/api/registration.md.
  * The tool's registration URL is framed on the school domain. `openid_configuration` points at the
    OIDC host (not the school, not the issuer string) and carries `?registration_token=`.
  * The GET of the configuration needs `Authorization: Bearer <registration token>`.
  * The registration token is a Canvas-signed JWT with exactly uuid, initiated_at, user_id,
    root_account_global_id and exp (1 hour). It is single use (its uuid becomes the registration
    guid).
  * The answer carries `client_id` and **no deployment_id**. A deployment appears only when the tool
    is installed: `install()`.
* Deployment id: ContextExternalTool#deployment_id = "<tool id>:<opaque context id>".
* Launches:
  * Login initiation is a form POST with iss, login_hint (opaque 40-hex), client_id,
    lti_deployment_id, target_link_uri, lti_message_hint (a Canvas JWT naming canvas_domain and a
    verifier), canvas_environment, canvas_region and `lti_storage_target=post_message_forwarding`
    (lib/lti/platform_storage.rb).
  * app/controllers/lti/ims/authentication_controller.rb: `authorize_redirect` on the OIDC host
    302-redirects to `/api/lti/authorize` on the canvas_domain from the hint. `authorize` checks
    that the OIDC params are present and that scope = openid; it checks login_hint, client_id and
    redirect_uri (its base must be registered, or the registered URI's query params must be
    present); the launch is single use. The answer POSTs id_token, state and lti_storage_target.
* Claims (lib/lti/messages/jwt_message.rb, resource_link_request.rb):
  * aud = client_id as a string, azp = client_id, exp = iat + 1 hour, sub = the user's lti_id
  * tool_platform {guid, name, version "cloud", product_family_code "canvas"}
  * launch_presentation.return_url on the school domain; custom; AGS claim with `lineitems` /
    `lineitem` on the school domain
* Platform storage (doc/api/lti_window_post_message.md, ui/features/post_message_forwarding/index.ts
  and a saved Canvas page):
  * the course page answers lti.capabilities from the school origin, pointing put_data/get_data at
    the hidden frame named `post_message_forwarding`, served from the OIDC origin;
  * that frame relays each message to the Canvas window (adding sourceToolInfo {origin, windowId})
    and relays the answer back, so the tool gets it *from the OIDC origin*. The data lives in the
    Canvas window's (first-party) localStorage, partitioned by tool origin.
* Token endpoint:
  lib/canvas/oauth/{grant_types/client_credentials,asymmetric_client_credentials_provider,
  client_credentials_provider}.rb and lib/canvas/security/jwt_validator.rb.
  * The signature is checked against the tool's JWKS URL.
  * sub, aud, exp, iat, jti and iss must be present. `aud` must be (or contain) this host's token
    URL.
  * exp must not be past; iat no older than 5 minutes and no more than 30 s ahead; jti is not
    checked.
  * Failures are 400 invalid_request with the validator's message; an unknown client is 401.
* Scores: app/controllers/lti/ims/scores_controller.rb.
  * A user who is not a student in the course gives 422; a missing required param gives 400.
  * A timestamp *older* than the stored result gives 400 (an equal one is fine).
  * scoreMaximum missing while scoreGiven counts gives 422.
  * The answer is {resultUrl}.

Not modelled: cookie sessions (launches are found by the hint's verifier), NRPS, results, line item
update/delete, variable substitution in custom params, and the admin review screen.
"""

from __future__ import annotations

import html
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from flask import Flask, Response, request

from .common import (
    AGS_CLAIM,
    AGS_SCOPES,
    CLAIM,
    DL_DATA,
    DL_ITEMS,
    DL_SETTINGS,
    INSTRUCTOR,
    JWT_BEARER,
    LEARNER,
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    LIS,
    PLATFORM_CONFIG,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_RO,
    SCOPE_NRPS,
    SCOPE_RESULT_RO,
    SCOPE_SCORE,
    SCORE_TYPE,
    TOOL_CONFIG,
    FakeLmsBase,
    HostServerThread,
    IssuedToken,
    JwtRejected,
    LineItem,
    Link,
    OAuthError,
    Persona,
    Score,
    ToolRegistration,
    autopost_form,
    bearer_token,
    json_response,
    page,
    parse_timestamp,
    random_id,
    verify_with_jwks_url,
)

ISSUER = "https://canvas.instructure.com"
REG_TOKEN_KEYS = {"uuid", "initiated_at", "user_id", "root_account_global_id", "exp"}
FRAME_ALLOW = ("geolocation *; microphone *; camera *; midi *; encrypted-media *; autoplay *;"
               " clipboard-write *; display-capture *")


@dataclass
class _Launch:
    user: Persona
    course: str
    link: Link | None  # None: a deep-linking request
    deployment_id: str


class FakeCanvas(FakeLmsBase):
    """Canvas with a school domain and an OIDC ("sso") origin on separate loopback sites."""

    def __init__(self, school_host: str = "127.0.0.3", sso_host: str = "127.0.0.4",
                 account_name: str = "Acme Health Trust"):
        super().__init__()
        self.issuer = ISSUER
        self.account_name = account_name
        self.account_lti_guid = f"{random_id(40)}:canvas-lms"
        self._secret = secrets.token_bytes(32)  # Canvas::Security.create_jwt's key
        self.personas = {
            "learner": Persona("learner", "101", "Lee Learner", "Lee", "Learner",
                               "lee@example.org", [LIS + "institution/person#Student", LEARNER,
                                                   LIS + "system/person#User"], True),
            "instructor": Persona("instructor", "102", "Ira Instructor", "Ira", "Instructor",
                                  "ira@example.org", [LIS + "institution/person#Instructor",
                                                      INSTRUCTOR, LIS + "system/person#User"],
                                  False),
            "admin": Persona("admin", "103", "Ada Admin", "Ada", "Admin", "ada@example.org",
                             [LIS + "institution/person#Administrator",
                              LIS + "system/person#User"], False),
        }
        self.lti_ids = {k: str(uuid.uuid4()) for k in self.personas}
        self.opaque_ids = {k: random_id(40) for k in self.personas}
        self._account_opaque = random_id(40)
        self._courses: dict[str, dict[str, str]] = {}
        self._deployments: dict[str, str] = {}
        self._used_registration_tokens: set[str] = set()
        self._launches: dict[str, _Launch] = {}
        self._deep_links: dict[str, _Launch] = {}
        self._seen_jti: set[str] = set()
        self._ids = iter(range(1, 10**6))
        self._tool_ids = iter(range(5, 10**6))
        self.school_app, self.sso_app = Flask("fake_canvas_school"), Flask("fake_canvas_sso")
        self._routes()
        self.school = HostServerThread(self.school_app, school_host).start()
        self.sso = HostServerThread(self.sso_app, sso_host).start()
        self._servers += [self.school, self.sso]
        self.school_url, self.sso_url = self.school.url, self.sso.url

    # --- helpers for tests ------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return f"{self.sso_url}/login/oauth2/token"

    @property
    def openid_configuration_url(self) -> str:
        return f"{self.sso_url}/api/lti/security/openid-configuration"

    def registration_token(self) -> str:
        """A fresh registration token, as the admin UI gets from `registration_token`."""
        now = int(time.time())
        return jwt.encode({"uuid": str(uuid.uuid4()),
                           "initiated_at": datetime.now(UTC).isoformat(),
                           "user_id": 1, "root_account_global_id": 10000000000001,
                           "exp": now + 3600}, self._secret, algorithm="HS256")

    def registration_page_url(self, tool_register_url: str) -> str:
        return (f"{self.school_url}/accounts/1/developer_keys/dynamic_registration?"
                f"{urlencode({'registration_url': tool_register_url})}")

    def register_tool(self, *, login_url: str, redirect_uris: list[str], jwks_uri: str,
                      target_link_uri: str, deep_linking_url: str | None = None,
                      scopes: tuple[str, ...] = (SCOPE_LINEITEM, SCOPE_SCORE),
                      name: str = "Tool") -> ToolRegistration:
        """An LTI developer key typed in by an admin (manual configuration)."""
        messages = ([{"type": "LtiDeepLinkingRequest", "target_link_uri": deep_linking_url}]
                    if deep_linking_url else [])
        tool = ToolRegistration(
            client_id=self._new_client_id(), client_name=name, initiate_login_uri=login_url,
            redirect_uris=list(redirect_uris), jwks_uri=jwks_uri,
            target_link_uri=target_link_uri, scopes=list(scopes), messages=messages,
            claims=["sub", "iss", "name", "given_name", "family_name", "email"])
        with self.lock:
            self._tool = tool
        return tool

    def install(self, course: str | None = None) -> str:
        """Install (deploy) the registered tool in the account, or in one course; returns the
        deployment id "<tool id>:<opaque context id>"."""
        self.tool()
        with self.lock:
            key = "account" if course is None else f"course:{course}"
            if key not in self._deployments:
                context = (self._account_opaque if course is None
                           else self._courses[str(course)]["opaque"])
                self._deployments[key] = f"{next(self._tool_ids)}:{context}"
            return self._deployments[key]

    def add_course(self, title: str) -> str:
        with self.lock:
            course = str(next(self._ids))
            self._courses[course] = {"title": title, "opaque": random_id(40)}
        return course

    def add_link(self, course: str, title: str, *, custom: dict[str, str] | None = None,
                 score_maximum: float | None = None, url: str | None = None,
                 text: str = "") -> str:
        """An external-tool assignment/module item; with `score_maximum` it has a line item."""
        with self.lock:
            link_id = str(next(self._ids))
            link = Link(link_id, str(course), title, dict(custom or {}), None, url, text,
                        str(uuid.uuid4()))
            if score_maximum is not None:
                link.line_item = self._new_line_item(str(course), title, score_maximum,
                                                     resource_link_id=link.resource_link_id).url
            self._links[link_id] = link
        return link_id

    def course_page_url(self, course: str, link: str, user: str = "learner") -> str:
        if self._links[link].course != str(course):
            raise ValueError(f"link {link} is not in course {course}")
        return (f"{self.school_url}/courses/{course}/assignments/{link}?"
                f"{urlencode({'user': user})}")

    def start_launch_url(self, link: str, user: str = "learner") -> str:
        course = self._links[link].course
        return (f"{self.school_url}/courses/{course}/external_tools/retrieve?"
                f"{urlencode({'link': link, 'user': user})}")

    def deep_linking_page_url(self, course: str, user: str = "instructor") -> str:
        return (f"{self.school_url}/courses/{course}/assignments/new?"
                f"{urlencode({'user': user})}")

    def start_deep_linking_url(self, course: str, user: str = "instructor") -> str:
        return (f"{self.school_url}/courses/{course}/external_tools/deep_link?"
                f"{urlencode({'user': user})}")

    def lineitems_url(self, course: str) -> str:
        return f"{self.school_url}/api/lti/courses/{course}/line_items"

    # --- internals --------------------------------------------------------------------------

    def _new_client_id(self) -> str:
        return str(10000000000000 + next(self._ids))

    def _new_line_item(self, course: str, label: str, maximum: float, *, resource_id: str = "",
                       tag: str = "", resource_link_id: str | None = None) -> LineItem:
        item_id = str(next(self._ids))
        item = LineItem(item_id, course, f"{self.lineitems_url(course)}/{item_id}", label,
                        float(maximum), resource_id, tag, resource_link_id)
        self._line_items[item_id] = item
        return item

    def _deployment_for(self, course: str) -> str | None:
        with self.lock:
            return self._deployments.get(f"course:{course}") or self._deployments.get("account")

    def _hint(self, verifier: str, course: str) -> str:
        return jwt.encode({"verifier": verifier, "canvas_domain": urlsplit(self.school_url).netloc,
                           "context_type": "Course", "context_id": int(course),
                           "canvas_locale": "en", "include_storage_target": True,
                           "exp": int(time.time()) + 600}, self._secret, algorithm="HS256")

    def _decode(self, token: str) -> dict[str, Any] | None:
        try:
            return dict(jwt.decode(token, self._secret, algorithms=["HS256"]))
        except jwt.PyJWTError:
            return None

    def _routes(self) -> None:
        s, o = self.school_app, self.sso_app
        s.add_url_rule("/accounts/1/developer_keys/dynamic_registration",
                       view_func=self._registration_page)
        s.add_url_rule("/api/lti/fake/tool-status", view_func=self._tool_status)
        s.add_url_rule("/courses/<course>/assignments/<link>", view_func=self._course_page)
        s.add_url_rule("/courses/<course>/assignments/new", view_func=self._new_assignment)
        s.add_url_rule("/courses/<course>/external_tools/retrieve", view_func=self._retrieve,
                       methods=["GET", "POST"])
        s.add_url_rule("/courses/<course>/external_tools/deep_link",
                       view_func=self._start_deep_link)
        s.add_url_rule("/api/lti/authorize", view_func=self._authorize, methods=["GET", "POST"])
        s.add_url_rule("/courses/<course>/deep_linking_response", view_func=self._dl_response,
                       methods=["POST"])
        s.add_url_rule("/courses/<course>/external_content/success/external_tool_redirect",
                       view_func=lambda course: page("Returned", "<h1>Returned from the tool</h1>"))
        s.add_url_rule("/api/lti/courses/<course>/line_items", view_func=self._line_items_view,
                       methods=["GET", "POST"])
        s.add_url_rule("/api/lti/courses/<course>/line_items/<item_id>",
                       view_func=self._line_item_view)
        s.add_url_rule("/api/lti/courses/<course>/line_items/<item_id>/scores",
                       view_func=self._scores_view, methods=["POST"])
        o.add_url_rule("/api/lti/security/openid-configuration", view_func=self._openid_config)
        o.add_url_rule("/api/lti/registrations", view_func=self._register, methods=["POST"])
        o.add_url_rule("/api/lti/security/jwks", view_func=lambda: json_response(self.keys.jwks()))
        o.add_url_rule("/api/lti/authorize_redirect", view_func=self._authorize_redirect,
                       methods=["GET", "POST"])
        o.add_url_rule("/login/oauth2/token", view_func=self._token, methods=["POST"])
        o.add_url_rule("/post_message_forwarding", view_func=self._forwarding_frame)

    # dynamic registration

    def _registration_page(self) -> Response:
        token = self.registration_token()
        config = f"{self.openid_configuration_url}?{urlencode({'registration_token': token})}"
        tool_url = request.args.get("registration_url", "")
        src = tool_url + ("&" if "?" in tool_url else "?") + urlencode(
            {"openid_configuration": config, "registration_token": token})
        body = (f"<h1>Developer Keys</h1><h2>Register App</h2>"
                f"<iframe id='registration-frame' class='tool-frame' title='Register App'"
                f" src='{html.escape(src)}' style='width:100%;height:600px'"
                f" allow='{FRAME_ALLOW}'></iframe>"
                f"<p id='registration-status' role='status'></p>")
        script = """
window.addEventListener("message", function (e) {
  var frame = document.getElementById("registration-frame");
  if (!(e.data && e.data.subject === "org.imsglobal.lti.close")) { return; }
  if (!frame || e.source !== frame.contentWindow) { return; }  /* assumed, not from source */
  frame.remove();
  fetch("/api/lti/fake/tool-status").then(function (r) { return r.json(); }).then(function (t) {
    document.getElementById("registration-status").textContent = t.registered
      ? "Tool registered: " + t.name : "No tool was registered";
  });
});"""
        return page("Developer Keys", body, script)

    def _tool_status(self) -> Response:
        with self.lock:
            tool = self._tool
        return json_response({"registered": tool is not None,
                              "name": tool.client_name if tool else None})

    def _registration_claims(self) -> dict[str, Any] | None:
        claims = self._decode(bearer_token() or "")
        return claims if claims is not None and set(claims) == REG_TOKEN_KEYS else None

    def _openid_config(self) -> Response:
        if self._registration_claims() is None:
            return json_response({"errors": [{"message": "registration token required"}]}, 401)
        sso = self.sso_url
        return json_response({
            "issuer": ISSUER,
            "authorization_endpoint": f"{sso}/api/lti/authorize_redirect",
            "registration_endpoint": f"{sso}/api/lti/registrations",
            "jwks_uri": f"{sso}/api/lti/security/jwks",
            "token_endpoint": self.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "scopes_supported": [SCOPE_LINEITEM, SCOPE_LINEITEM_RO, SCOPE_RESULT_RO, SCOPE_SCORE,
                                 SCOPE_NRPS],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "picture", "email", "name", "given_name", "family_name",
                                 "locale"],
            "subject_types_supported": ["public"],
            "authorization_server": urlsplit(sso).netloc,
            PLATFORM_CONFIG: {
                "product_family_code": "canvas", "version": "vCloud",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest",
                     "placements": ["course_navigation", "assignment_selection",
                                    "link_selection"]},
                    {"type": "LtiDeepLinkingRequest",
                     "placements": ["assignment_selection", "link_selection"]}],
                "variables": ["ResourceLink.id", "Canvas.user.id", "Canvas.course.id"],
                "https://canvas.instructure.com/lti/account_name": self.account_name,
                "https://canvas.instructure.com/lti/account_lti_guid": self.account_lti_guid,
            },
        })

    def _register(self) -> Response:
        claims = self._registration_claims()
        if claims is None:
            return json_response({"errorMessage": "JWT did not include expected contents"}, 401)
        with self.lock:
            if claims["uuid"] in self._used_registration_tokens:
                return json_response({"errorMessage": "registration token already used"}, 401)
        body = request.get_json(silent=True)
        problems = _registration_problems(body)
        if problems:
            return json_response({"errors": problems}, 422)
        assert isinstance(body, dict)
        config = body[TOOL_CONFIG]
        tool = ToolRegistration(
            client_id=self._new_client_id(), client_name=body["client_name"],
            initiate_login_uri=body["initiate_login_uri"],
            redirect_uris=list(body["redirect_uris"]), jwks_uri=body["jwks_uri"],
            target_link_uri=config["target_link_uri"],
            scopes=str(body.get("scope") or "").split(), messages=list(config.get("messages", [])),
            custom_parameters=dict(config.get("custom_parameters") or {}),
            claims=list(config.get("claims") or []), domain=str(config.get("domain", "")),
            request=body)
        with self.lock:
            self._used_registration_tokens.add(claims["uuid"])
            self._tool = tool
        keep = ("application_type", "grant_types", "initiate_login_uri", "redirect_uris",
                "response_types", "client_name", "jwks_uri", "logo_uri",
                "token_endpoint_auth_method")
        return json_response({
            "client_id": tool.client_id, **{k: body.get(k) for k in keep},
            "scope": " ".join(tool.scopes),
            TOOL_CONFIG: {**config, "https://canvas.instructure.com/lti/registration_config_url":
                          f"{self.school_url}/api/lti/registrations/{claims['uuid']}/view"},
        })

    # launches

    def _frame_page(self, title: str, src: str) -> Response:
        forward = f"{self.sso_url}/post_message_forwarding?" + urlencode({"token": jwt.encode(
            {"parent_domain": urlsplit(self.school_url).netloc}, self._secret, algorithm="HS256")})
        body = (f"<h1>{html.escape(title)}</h1>"
                f"<iframe id='tool_content' name='tool_content' class='tool-frame tool_launch'"
                f" title='{html.escape(title)}' src='{html.escape(src)}' width='100%'"
                f" height='600' allowfullscreen='true' allow='{FRAME_ALLOW}'></iframe>"
                f"<iframe src='{html.escape(forward)}' name='post_message_forwarding'"
                f" title='post_message_forwarding' id='post_message_forwarding'"
                f" sandbox='allow-scripts allow-same-origin' style='display:none;'></iframe>")
        script = """
var SSO = __SSO__;
window.addEventListener("message", function (e) {
  var d = e.data || {}, s = d.subject || "", bare = s.replace("org.imsglobal.", "");
  if (bare === "lti.capabilities") {
    var f = "post_message_forwarding";
    e.source.postMessage({subject: s + ".response", message_id: d.message_id,
      supported_messages: [{subject: "lti.capabilities"}, {subject: "lti.put_data", frame: f},
        {subject: "lti.get_data", frame: f}, {subject: "org.imsglobal.lti.capabilities"},
        {subject: "org.imsglobal.lti.put_data", frame: f},
        {subject: "org.imsglobal.lti.get_data", frame: f}]}, e.origin);
    return;
  }
  /* Storage requests reach this window only through the forwarding frame, which adds
     sourceToolInfo; the data lives in this (first-party) window's localStorage. */
  var info = d.sourceToolInfo;
  if ((bare !== "lti.put_data" && bare !== "lti.get_data") || e.origin !== SSO || !info) {
    return;
  }
  var reply = {subject: s + ".response", message_id: d.message_id, key: d.key,
               sourceToolInfo: info};
  if (!d.key || !d.message_id) {
    reply.error = {code: "bad_request", message: "key and message_id are required"};
  } else {
    var slot = "lti|" + info.origin + "|" + d.key;
    try {
      if (bare === "lti.put_data") {
        if (d.value === null || d.value === undefined) { localStorage.removeItem(slot); }
        else { localStorage.setItem(slot, String(d.value)); }
        reply.value = d.value;
      } else {
        reply.value = localStorage.getItem(slot);
      }
    } catch (err) {
      reply.error = {code: "storage_exhaustion", message: String(err)};
    }
  }
  e.source.postMessage(reply, e.origin);
});""".replace("__SSO__", json.dumps(self.sso_url))
        return page(title, body, script)

    def _course_page(self, course: str, link: str) -> Response:
        found = self._links.get(link)
        if found is None or found.course != course:
            return page("Not found", "<p>Page not found</p>", status=404)
        src = f"/courses/{course}/external_tools/retrieve?" + urlencode(
            {"link": link, "user": request.args.get("user", "learner")})
        return self._frame_page(f"{self._courses[course]['title']}: {found.title}", src)

    def _new_assignment(self, course: str) -> Response:
        src = f"/courses/{course}/external_tools/deep_link?" + urlencode(
            {"user": request.args.get("user", "instructor")})
        return self._frame_page(f"{self._courses[course]['title']}: select content", src)

    def _retrieve(self, course: str) -> Response:
        link = self._links.get(request.values.get("link", ""))
        if link is None or link.course != course:
            return page("Not found", "<p>Page not found</p>", status=404)
        return self._start(course, link, link.url or self.tool().target_link_uri)

    def _start_deep_link(self, course: str) -> Response:
        return self._start(course, None, self.tool().deep_linking_url())

    def _start(self, course: str, link: Link | None, target: str) -> Response:
        user = self._persona(request.args.get("user", "learner"))
        deployment = self._deployment_for(course)
        if deployment is None:
            return page("Not installed", "<p>The tool is not installed here.</p>", status=404)
        if link is None and user.student:
            return page("Unauthorized", "<p>Unauthorized</p>", status=401)
        verifier = random_id(128)
        with self.lock:
            self._launches[verifier] = _Launch(user, course, link, deployment)
        tool = self.tool()
        fields = {"iss": ISSUER, "login_hint": self.opaque_ids[user.key],
                  "client_id": tool.client_id, "lti_deployment_id": deployment,
                  "target_link_uri": target, "lti_message_hint": self._hint(verifier, course),
                  "canvas_environment": "prod", "canvas_region": "not_configured",
                  "lti_storage_target": "post_message_forwarding"}
        return autopost_form(tool.initiate_login_uri, fields, name="tool_form",
                             title="Launching")

    def _authorize_redirect(self) -> Response:
        hint = self._decode(request.values.get("lti_message_hint", ""))
        if hint is None:
            return Response("Invalid lti_message_hint", status=400)
        names = ("client_id", "login_hint", "lti_message_hint", "nonce", "prompt",
                 "redirect_uri", "response_mode", "response_type", "scope", "state")
        query = urlencode({k: request.values[k] for k in names if k in request.values})
        return Response(status=302, headers={
            "Location": f"http://{hint['canvas_domain']}/api/lti/authorize?{query}"})

    def _authorize(self) -> Response:
        p, tool = request.values, self.tool()
        hint = self._decode(p.get("lti_message_hint", ""))
        if hint is None:
            return Response("Invalid lti_message_hint", status=400)
        redirect_uri = p.get("redirect_uri", "")
        if not _redirect_ok(redirect_uri, tool.redirect_uris):
            return Response("Invalid redirect_uri", status=400)
        with self.lock:
            launch = self._launches.get(hint["verifier"])
        required = ("client_id", "login_hint", "lti_message_hint", "nonce", "prompt",
                    "redirect_uri", "response_mode", "response_type", "scope")
        error: tuple[str, str] | None = None
        missing = [k for k in required if k not in p]
        if missing:
            error = ("invalid_request_object",
                     f"The following parameters are missing: {','.join(missing)}")
        if p.get("scope") != "openid":
            error = ("invalid_request_object", "The 'scope' must be 'openid'")
        user_hint = (self.opaque_ids[launch.user.key] if launch is not None
                     else p.get("login_hint"))  # no session modelled: any known user
        if p.get("login_hint") != user_hint or user_hint not in self.opaque_ids.values():
            error = ("login_required", "Must have an active user session")
        if p.get("client_id") != tool.client_id:
            error = ("unauthorized_client", "Client not authorized in requested context")
        if error is None:
            with self.lock:
                launch = self._launches.pop(hint["verifier"], None)
            if launch is None:
                error = ("launch_no_longer_valid",
                         "The launch has either expired or already been consumed")
        if error is not None:
            fields = {"error": error[0], "error_description": error[1]}
        else:
            assert launch is not None
            fields = {"id_token": self.keys.sign(self._claims(launch, p["nonce"])),
                      "lti_storage_target": "post_message_forwarding"}
        if "state" in p:
            fields["state"] = p["state"]
        return autopost_form(redirect_uri, fields, name="ltiAuthForm", title="Launching")

    def _claims(self, launch: _Launch, nonce: str) -> dict[str, Any]:
        tool, user, now, course = self.tool(), launch.user, int(time.time()), launch.course
        claims: dict[str, Any] = {
            "aud": tool.client_id, "azp": tool.client_id,
            CLAIM + "deployment_id": launch.deployment_id, "exp": now + 3600, "iat": now,
            "iss": ISSUER, "nonce": nonce, "sub": self.lti_ids[user.key],
            CLAIM + "version": "1.3.0", CLAIM + "roles": user.roles, "locale": "en",
            CLAIM + "context": {"id": self._courses[course]["opaque"], "label": f"C-{course}",
                                "title": self._courses[course]["title"],
                                "type": [LIS + "course#CourseOffering"]},
            CLAIM + "tool_platform": {"guid": self.account_lti_guid, "name": self.account_name,
                                      "version": "cloud", "product_family_code": "canvas"},
            CLAIM + "launch_presentation": {
                "document_target": "iframe", "locale": "en",
                "return_url": f"{self.school_url}/courses/{course}/external_content/success/"
                              f"external_tool_redirect"},
            CLAIM + "lti11_legacy_user_id": self.opaque_ids[user.key],
            "https://www.instructure.com/placement": (
                "assignment_selection" if launch.link is None else "link_selection"),
        }
        if {"name", "given_name", "family_name"} & set(tool.claims):
            claims.update(name=user.name, given_name=user.given_name,
                          family_name=user.family_name)
        if "email" in tool.claims:
            claims["email"] = user.email
        scopes = [s for s in tool.scopes if s in AGS_SCOPES]
        ags: dict[str, Any] = {"scope": scopes, "lineitems": self.lineitems_url(course)}
        if launch.link is None:
            dl_id = random_id(32)
            with self.lock:
                self._deep_links[dl_id] = launch
            claims.update({
                CLAIM + "message_type": "LtiDeepLinkingRequest",
                CLAIM + "target_link_uri": tool.deep_linking_url(),
                DL_SETTINGS: {
                    "deep_link_return_url":
                        f"{self.school_url}/courses/{course}/deep_linking_response?modal=true",
                    "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe", "window"],
                    "accept_media_types": "application/vnd.ims.lti.v1.ltilink",
                    "auto_create": True, "accept_multiple": False, "accept_lineitem": True,
                    "data": jwt.encode({"dl": dl_id}, self._secret, algorithm="HS256")}})
        else:
            link = launch.link
            custom = {**tool.custom_parameters, **link.custom}
            if custom:
                claims[CLAIM + "custom"] = custom
            if link.line_item:
                ags["lineitem"] = link.line_item
            claims.update({
                CLAIM + "message_type": "LtiResourceLinkRequest",
                CLAIM + "target_link_uri": link.url or tool.target_link_uri,
                CLAIM + "resource_link": {"id": link.resource_link_id, "title": link.title,
                                          "description": link.text}})
        if scopes:
            claims[AGS_CLAIM] = ags
        return claims

    def _forwarding_frame(self) -> Response:
        """ui/features/post_message_forwarding/index.ts: relays every message from a tool to
        the Canvas window (adding sourceToolInfo {origin, windowId}) and Canvas's answers back,
        so the answers come from this (OIDC) origin."""
        claims = self._decode(request.args.get("token", ""))
        if claims is None:
            return page("Forbidden", "", status=403)
        script = """
var PARENT = __PARENT__, windows = [];
window.addEventListener("message", function (e) {
  var d = e.data;
  if (typeof d === "string") { try { d = JSON.parse(d); } catch (err) { return; } }
  if (!d || typeof d !== "object") { return; }
  if (e.origin === PARENT) {  /* Canvas -> tool */
    var info = d.sourceToolInfo;
    if (!info) { return; }
    var out = Object.assign({}, d);
    delete out.sourceToolInfo;
    if (windows[info.windowId]) { windows[info.windowId].postMessage(out, info.origin); }
    return;
  }
  var id = windows.indexOf(e.source);  /* tool -> Canvas */
  if (id === -1) { windows.push(e.source); id = windows.length - 1; }
  window.top.postMessage(Object.assign({}, d, {sourceToolInfo: {origin: e.origin, windowId: id}}),
                         PARENT);
});""".replace("__PARENT__", json.dumps("http://" + str(claims["parent_domain"])))
        return page("post_message_forwarding", "", script)

    def _dl_response(self, course: str) -> Response:
        tool = self.tool()
        token = request.form.get("JWT", "")
        try:
            claims = verify_with_jwks_url(token, tool.jwks_uri, verify_times=False)
        except JwtRejected as exc:
            return json_response({"errors": [{"message": str(exc)}]}, 400)
        data = self._decode(str(claims.get(DL_DATA, "")))
        with self.lock:
            launch = self._deep_links.pop(data["dl"], None) if data else None
        problems = _validate(claims, ISSUER, 300) + [name for name, ok in [
            ("iss", claims.get("iss") == tool.client_id),
            ("jti", claims.get("jti") not in self._seen_jti),
            ("data", launch is not None and launch.course == course),
            ("deployment_id", launch is not None
             and claims.get(CLAIM + "deployment_id") == launch.deployment_id),
            ("message_type", claims.get(CLAIM + "message_type") == "LtiDeepLinkingResponse"),
        ] if not ok]
        if problems:
            return json_response({"errors": [{"message": p} for p in problems]}, 400)
        with self.lock:
            self._seen_jti.add(str(claims["jti"]))
        added = []
        for item in claims.get(DL_ITEMS) or []:
            if item.get("type") == "ltiResourceLink":
                line = item.get("lineItem") or {}
                link = self.add_link(
                    course, str(item.get("title") or "External tool"),
                    custom={str(k): str(v) for k, v in (item.get("custom") or {}).items()},
                    score_maximum=line.get("scoreMaximum"), url=item.get("url"),
                    text=str(item.get("text") or ""))
                added.append(self._links[link].title)
        items = "".join(f"<li>{html.escape(t)}</li>" for t in added)
        return page("Content added", f"<h1>Content added</h1><ul id='added-links'>{items}</ul>")

    # token endpoint

    def _token(self) -> Response:
        return self._token_endpoint(
            self._check_token_request,
            lambda e: {"error": e.error, "error_description": e.description})

    def _check_token_request(self, form: dict[str, str]) -> IssuedToken:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type",
                             "The grant_type you requested is not currently supported")
        if form.get("client_assertion_type") != JWT_BEARER:
            raise OAuthError(401, "invalid_client", "unknown client")
        assertion = form.get("client_assertion", "")
        try:
            sub = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
        except jwt.PyJWTError as exc:
            raise OAuthError(400, "invalid_request", "JWK Error: Invalid JSON") from exc
        with self.lock:
            tool = self._tool
        if tool is None or sub != tool.client_id:
            raise OAuthError(401, "invalid_client", "unknown client")
        try:
            claims = verify_with_jwks_url(assertion, tool.jwks_uri, verify_times=False)
        except JwtRejected as exc:
            raise OAuthError(400, "invalid_request", "JWS signature invalid.") from exc
        problems = _validate(claims, self.token_url, 300, require_iss=True)
        if problems:
            raise OAuthError(400, "invalid_request", " | ".join(problems))
        scopes = form.get("scope", "").split()
        missing = [s for s in scopes if s not in tool.scopes]
        if missing:
            raise OAuthError(400, "invalid_scope", f"Invalid scope: {' '.join(missing)}")
        return self._issue(tool.client_id, scopes)

    # AGS

    def _denied(self, wanted: tuple[str, ...]) -> Response | None:
        with self.lock:
            tool = self._tool
        if tool is None or self._access(tool.client_id, wanted) is None:
            return json_response({"errors": {"type": "unauthorized",
                                              "message": "Invalid access token or scopes"}}, 401)
        return None

    def _line_items_view(self, course: str) -> Response:
        is_post = request.method == "POST"
        denied = self._denied((SCOPE_LINEITEM,) if is_post
                              else (SCOPE_LINEITEM, SCOPE_LINEITEM_RO))
        if denied is not None:
            return denied
        if course not in self._courses:
            return _not_found()
        if is_post:
            body = _json_body()
            missing = [k for k in ("scoreMaximum", "label") if k not in body]
            if missing:
                return json_response({"errors": {"type": "bad_request", "message":
                                      f"param is missing or the value is empty: {missing[0]}"}},
                                     400)
            link_id = body.get("resourceLinkId")
            if link_id and not any(li.resource_link_id == link_id for li in self.links(course)):
                return json_response({"errors": {"type": "not_found", "message":
                                      "Resource link not found in course"}}, 404)
            with self.lock:
                item = self._new_line_item(course, str(body["label"]), body["scoreMaximum"],
                                           resource_id=str(body.get("resourceId", "")),
                                           tag=str(body.get("tag", "")), resource_link_id=link_id)
            return json_response(_item_json(item), mimetype=LINEITEM_TYPE)
        items = [li for li in self.line_items(course)
                 if request.args.get("resource_link_id") in (None, li.resource_link_id)
                 and request.args.get("resource_id") in (None, li.resource_id)
                 and request.args.get("tag") in (None, li.tag)]
        per_page = max(1, min(int(request.args.get("per_page", 10)), 100))
        page_no = max(1, int(request.args.get("page", 1)))
        last = max(1, -(-len(items) // per_page))
        base = f"{self.lineitems_url(course)}?per_page={per_page}&page="
        rels = [("current", page_no), ("next", page_no + 1) if page_no < last else None,
                ("prev", page_no - 1) if page_no > 1 else None, ("first", 1), ("last", last)]
        link_header = ",".join(f'<{base}{n}>; rel="{rel}"' for rel, n in filter(None, rels))
        chunk = items[(page_no - 1) * per_page:page_no * per_page]
        return json_response([_item_json(li) for li in chunk], mimetype=LINEITEMS_TYPE,
                             headers={"Link": link_header})

    def _line_item_view(self, course: str, item_id: str) -> Response:
        denied = self._denied((SCOPE_LINEITEM, SCOPE_LINEITEM_RO))
        if denied is not None:
            return denied
        item = self._line_items.get(item_id)
        if item is None or item.course != course:
            return _not_found()
        return json_response(_item_json(item), mimetype=LINEITEM_TYPE)

    def _scores_view(self, course: str, item_id: str) -> Response:
        denied = self._denied((SCOPE_SCORE,))
        if denied is not None:
            return denied
        item = self._line_items.get(item_id)
        if item is None or item.course != course:
            return _not_found()
        body = _json_body()
        user = next((u for u in self.personas.values()
                     if str(body.get("userId")) in (u.user_id, self.lti_ids[u.key])), None)
        if user is None or not user.student:
            return _error("User not found in course or is not a student", 422)
        for param in ("userId", "activityProgress", "gradingProgress", "timestamp"):
            if body.get(param) in (None, ""):
                return _error(f"param is missing or the value is empty: {param}", 400)
        stamp = parse_timestamp(body["timestamp"])
        if stamp is None:
            return _error(f"Provided timestamp of {body['timestamp']} not a valid timestamp", 400)
        stored = self._stored_score(item.url, user.key)
        stored_at = parse_timestamp(stored.timestamp) if stored else None
        if stored is not None and stored_at is not None and stored_at > stamp:
            return _error(f"Provided timestamp of {body['timestamp']} before last updated "
                          f"timestamp of {stored.timestamp}", 400)
        ignore = (body["gradingProgress"] not in ("FullyGraded", "PendingManual")
                  or body.get("scoreGiven") is None)
        if not ignore:
            if "scoreMaximum" not in body:
                return _error("ScoreMaximum not supplied when ScoreGiven present.", 422)
            if not isinstance(body["scoreMaximum"], int | float) or body["scoreMaximum"] < 0:
                return _error("ScoreMaximum must be greater than or equal to 0", 422)
        self._record_score(Score(
            user.key, self.lti_ids[user.key], item.url, None if ignore else body["scoreGiven"],
            body.get("scoreMaximum"), body["timestamp"], body["activityProgress"],
            body["gradingProgress"], body.get("comment")))
        result = f"{item.url}/results/{user.user_id}"
        return json_response({"resultUrl": result}, mimetype=SCORE_TYPE)


def _not_found() -> Response:
    return json_response({"errors": [{"message": "The specified resource does not exist."}]}, 404)


def _error(message: str, status: int) -> Response:
    return json_response({"errors": {"type": "bad_request" if status == 400 else
                                     "unprocessable_entity", "message": message}}, status)


def _json_body() -> dict[str, Any]:
    """Rails parses a JSON body only for JSON media types (incl. the vnd.ims ones)."""
    ctype = (request.content_type or "").split(";")[0].strip()
    if ctype != "application/json" and not (ctype.startswith("application/vnd.ims.")
                                            and ctype.endswith("+json")):
        return {}
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}


def _validate(claims: dict[str, Any], audience: str, max_iat_age: int,
              require_iss: bool = False) -> list[str]:
    """Canvas::Security::JwtValidator: assertions present, aud, exp, iat."""
    required = {"sub", "aud", "exp", "iat", "jti"} | ({"iss"} if require_iss else set())
    missing = sorted(required - set(claims))
    if missing:
        return [f"the following assertions are missing: {','.join(missing)}"]
    problems, now = [], time.time()
    auds = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if audience not in auds:
        problems.append("the 'aud' is invalid")
    if not isinstance(claims["exp"], int | float) or claims["exp"] < now:
        problems.append("the JWT has expired")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or iat < now - max_iat_age:
        problems.append(f"the 'iat' must be less than {max_iat_age} seconds old")
    elif iat > now + 30:
        problems.append("the 'iat' must not be in the future")
    return problems


def _redirect_ok(requested: str, registered: list[str]) -> bool:
    base, _, query = requested.partition("?")
    for uri in registered:
        if "?" in uri:
            wanted = set(parse_qsl(uri.partition("?")[2]))
            if uri.partition("?")[0] == base and wanted <= set(parse_qsl(query)):
                return True
        elif uri == base:
            return True
    return False


def _registration_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["registration must be a JSON object"]
    problems = [f"{k} is required" for k in ("initiate_login_uri", "redirect_uris", "client_name",
                                              "jwks_uri", TOOL_CONFIG) if not body.get(k)]
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        problems.append("token_endpoint_auth_method must be private_key_jwt")
    if "id_token" not in (body.get("response_types") or []):
        problems.append("response_types must include id_token")
    if not {"client_credentials", "implicit"} <= set(body.get("grant_types") or []):
        problems.append("grant_types must include client_credentials and implicit")
    if body.get("application_type", "web") != "web":
        problems.append("application_type must be web")
    config = body.get(TOOL_CONFIG)
    if isinstance(config, dict) and not config.get("target_link_uri"):
        problems.append("target_link_uri is required")
    return problems


def _item_json(item: LineItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.url, "scoreMaximum": item.score_maximum,
                           "label": item.label, "resourceId": item.resource_id or None,
                           "tag": item.tag or None}
    if item.resource_link_id:
        out["resourceLinkId"] = item.resource_link_id
    return out
