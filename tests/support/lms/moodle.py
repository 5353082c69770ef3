"""A fake Moodle 4.x (mod_lti as an LTI 1.3 platform) over real HTTP, for end-to-end tests.

Modelled on moodle/moodle:

* Dynamic registration:
  * mod/lti/amd/src/tool_configure_controller.js: the admin page frames
    `startltiadvregistration.php?url=...` and listens for `org.imsglobal.lti.close`. It checks only
    the message subject, not the origin.
  * mod/lti/startltiadvregistration.php: answers a 302 to the tool URL with `openid_configuration`
    and `registration_token` (an RS256 JWT from Moodle's own key: sub = the future client_id, scope
    "reg", exp = 1 hour).
  * mod/lti/openid-configuration.php: public JSON. issuer = wwwroot, no `authorization_server`,
    messages_supported as plain strings.
  * mod/lti/openid-registration.php with classes/local/ltiopenid/registration_helper.php:
    * no Bearer gives 401 `missing_registration_token`; a used token gives 401 `token_already_used`;
      a bad field gives 400.
    * The answer carries client_id and lti-tool-configuration.deployment_id = the type id. The new
      type is *pending*.
* Launches:
  * locallib.php lti_build_login_request: a form POST of iss, target_link_uri, login_hint = user id,
    lti_message_hint = JSON {"cmid", "launchid"}, client_id, lti_deployment_id = type id.
  * auth.php: the checks and error codes in Moodle's order. An unregistered redirect_uri gets an
    error page, not a post. The answer is an auto-posted `id_token` + `state`.
  * lti_sign_jwt: aud = client_id as a string, no azp, exp = iat + 60, deployment_id = type id,
    tool_platform from lti_build_standard_message, launch_presentation.return_url = return.php.
* Deep linking: auth.php / lti_build_content_item_selection_request and contentitem_return.php.
  Moodle itself checks the signature against the tool's JWKS and iss = client_id. This fake also
  insists on aud = issuer, a nonce, the deployment id and the message type.
* token.php: form POST only. All four fields are required, and the signature is checked against the
  tool's JWKS. **The client assertion's `aud`, `iss` and `jti` are not checked.** Granted =
  requested ∩ permitted. Every error is 400 {"error": ...}.
* services.php and
  service/gradebookservices/classes/local/resources/{lineitems,lineitem,scores}.php:
  * The Accept/Content-Type routing rules. Paging uses `limit`/`from` with a Link header whose rel
    values carry typographic quotes, as in the source.
  * Scores: a timestamp not newer than the stored grade (compared in whole seconds) gives 409; a
    non-gradable user gives 400; scoreGiven is kept only when FullyGraded; scoreMaximum defaults to
    1.

Not modelled:
* Moodle's session cookie. The pending launch is found by the `launchid` in lti_message_hint, and
  login_hint must match the user who started it.
* NRPS, results, PUT/DELETE of line items, and admin activation of pending tools.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from flask import Flask, Response, request

from .common import (
    AGS_CLAIM,
    CLAIM,
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
    verify_with_jwks_url,
)

SCORECONTAINER_TYPE = "application/vnd.ims.lis.v1.scorecontainer+json"
ADMIN_ROLES = [INSTRUCTOR, LIS + "institution/person#Administrator",
               LIS + "system/person#Administrator"]


@dataclass
class _Launch:
    user: Persona
    course: str
    link: Link | None  # None: a deep-linking (ContentItemSelection) request
    sesskey: str = ""


class FakeMoodle(FakeLmsBase):
    """Moodle at `http://<host>:<port>` (wwwroot = issuer). Personas: learner (id 3),
    instructor (id 4), admin (id 2)."""

    version = "2024042200"
    release = "4.4 (Build: 20240422)"

    def __init__(self, host: str = "127.0.0.2", site_name: str = "Workplace Learning"):
        super().__init__()
        self.site_name = site_name
        self.personas = {
            "learner": Persona("learner", "3", "Lee Learner", "Lee", "Learner",
                               "lee@example.org", [LEARNER], True),
            "instructor": Persona("instructor", "4", "Ira Instructor", "Ira", "Instructor",
                                  "ira@example.org", [INSTRUCTOR], False),
            "admin": Persona("admin", "2", "Ada Admin", "Ada", "Admin", "ada@example.org",
                             sorted(ADMIN_ROLES), False),
        }
        self._courses: dict[str, str] = {}
        self._launches: dict[str, _Launch] = {}
        self._deep_link_sessions: dict[str, _Launch] = {}
        self._ids = iter(range(2, 10**6))
        self._type_ids = iter(range(3, 10**6))
        self.app = Flask("fake_moodle")
        self._routes()
        self.server = HostServerThread(self.app, host).start()
        self._servers.append(self.server)
        self.wwwroot = self.server.url
        self.issuer = self.wwwroot

    # --- helpers for tests ------------------------------------------------------------------

    def registration_page_url(self, tool_register_url: str) -> str:
        return f"{self.wwwroot}/mod/lti/toolconfigure.php?{urlencode({'url': tool_register_url})}"

    def register_tool(self, *, login_url: str, redirect_uris: list[str], jwks_uri: str,
                      target_link_uri: str, deep_linking_url: str | None = None,
                      scopes: tuple[str, ...] = (SCOPE_LINEITEM, SCOPE_SCORE),
                      name: str = "Tool") -> ToolRegistration:
        """What an admin does with "configure a tool manually"."""
        messages = ([{"type": "LtiDeepLinkingRequest", "target_link_uri": deep_linking_url}]
                    if deep_linking_url else [])
        tool = ToolRegistration(
            client_id=self._client_id(), client_name=name, initiate_login_uri=login_url,
            redirect_uris=list(redirect_uris), jwks_uri=jwks_uri, target_link_uri=target_link_uri,
            scopes=_permitted(list(scopes)), messages=messages,
            claims=["sub", "iss", "name", "email"], deployment_id=str(next(self._type_ids)))
        with self.lock:
            self._tool = tool
        return tool

    def add_course(self, title: str) -> str:
        with self.lock:
            course = str(next(self._ids))
            self._courses[course] = title
        return course

    def add_link(self, course: str, title: str, *, custom: dict[str, str] | None = None,
                 score_maximum: float | None = None, url: str | None = None,
                 text: str = "") -> str:
        """An External tool activity; with `score_maximum` it has a grade item (line item)."""
        with self.lock:
            cmid, instance = str(next(self._ids)), str(next(self._ids))
            link = Link(cmid, str(course), title, dict(custom or {}), None, url, text, instance)
            if score_maximum is not None:
                link.line_item = self._new_line_item(str(course), title, score_maximum,
                                                     resource_link_id=instance).url
            self._links[cmid] = link
        return cmid

    def course_page_url(self, course: str, link: str, user: str = "learner") -> str:
        """The activity page (mod/lti/view.php) framing the tool; `course` must be the link's."""
        if self._links[link].course != str(course):
            raise ValueError(f"link {link} is not in course {course}")
        return f"{self.wwwroot}/mod/lti/view.php?{urlencode({'id': link, 'user': user})}"

    def start_launch_url(self, link: str, user: str = "learner") -> str:
        """What the activity frame loads: the auto-posted login initiation form."""
        return f"{self.wwwroot}/mod/lti/launch.php?{urlencode({'id': link, 'user': user})}"

    def deep_linking_page_url(self, course: str, user: str = "instructor") -> str:
        return (f"{self.wwwroot}/course/modedit.php?"
                f"{urlencode({'add': 'lti', 'course': course, 'user': user})}")

    def start_deep_linking_url(self, course: str, user: str = "instructor") -> str:
        return (f"{self.wwwroot}/mod/lti/contentitem.php?"
                f"{urlencode({'course': course, 'user': user})}")

    def lineitems_url(self, course: str) -> str:
        return f"{self.wwwroot}/mod/lti/services.php/{course}/lineitems?type_id={self._type_id()}"

    @property
    def token_url(self) -> str:
        return f"{self.wwwroot}/mod/lti/token.php"

    # --- internals --------------------------------------------------------------------------

    def _client_id(self) -> str:
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(15))

    def _type_id(self) -> str:
        return str(self.tool().deployment_id)

    def _new_line_item(self, course: str, label: str, maximum: float, *, resource_id: str = "",
                       tag: str = "", resource_link_id: str | None = None) -> LineItem:
        item_id = str(next(self._ids))
        url = (f"{self.wwwroot}/mod/lti/services.php/{course}/lineitems/{item_id}/lineitem"
               f"?type_id={self._type_id()}")
        item = LineItem(item_id, course, url, label, float(maximum), resource_id, tag,
                        resource_link_id)
        self._line_items[item_id] = item
        return item

    def _routes(self) -> None:
        app = self.app
        app.add_url_rule("/mod/lti/toolconfigure.php", view_func=self._toolconfigure)
        app.add_url_rule("/mod/lti/fake-tool-status", view_func=self._tool_status)
        app.add_url_rule("/mod/lti/startltiadvregistration.php", view_func=self._start_reg)
        app.add_url_rule("/mod/lti/openid-configuration.php", view_func=self._openid_config)
        app.add_url_rule("/mod/lti/openid-registration.php", view_func=self._register,
                         methods=["POST"])
        app.add_url_rule("/mod/lti/certs.php", view_func=lambda: json_response(self.keys.jwks()))
        app.add_url_rule("/mod/lti/view.php", view_func=self._view)
        app.add_url_rule("/mod/lti/launch.php", view_func=self._launch)
        app.add_url_rule("/course/modedit.php", view_func=self._modedit)
        app.add_url_rule("/mod/lti/contentitem.php", view_func=self._contentitem)
        app.add_url_rule("/mod/lti/auth.php", view_func=self._auth, methods=["GET", "POST"])
        app.add_url_rule("/mod/lti/contentitem_return.php", view_func=self._contentitem_return,
                         methods=["POST"])
        app.add_url_rule("/mod/lti/return.php", view_func=self._return)
        app.add_url_rule("/mod/lti/token.php", view_func=self._token, methods=["GET", "POST"])
        app.add_url_rule("/mod/lti/services.php/<path:path>", view_func=self._services,
                         methods=["GET", "POST", "PUT", "DELETE"])

    # dynamic registration

    def _toolconfigure(self) -> Response:
        url = request.args.get("url", "")
        start = "startltiadvregistration.php?" + urlencode({"url": url})
        body = (f"<h1>Manage tools</h1><div id='external-registration-page-container'>"
                f"<iframe id='registration-frame' title='Tool registration' "
                f"src='{html.escape(start)}' style='width:100%;height:600px'></iframe></div>"
                f"<p id='registration-status' role='status'></p>")
        script = """
window.addEventListener("message", function (e) {
  if (!(e.data && e.data.subject === "org.imsglobal.lti.close")) { return; }
  var frame = document.getElementById("registration-frame");
  if (frame) { frame.remove(); }
  fetch("fake-tool-status").then(function (r) { return r.json(); }).then(function (t) {
    document.getElementById("registration-status").textContent = t.registered
      ? "Tool registered: " + t.name + " (" + t.state + ")" : "No tool was registered";
  });
}, false);"""
        return page("Manage tools", body, script)

    def _tool_status(self) -> Response:
        with self.lock:
            tool = self._tool
        if tool is None:
            return json_response({"registered": False})
        return json_response({"registered": True, "name": tool.client_name, "state": tool.state})

    def _start_reg(self) -> Response:
        now = int(time.time())
        token = self.keys.sign({"sub": self._client_id(), "scope": "reg", "iat": now,
                                "exp": now + 3600})
        parts = urlsplit(request.args.get("url", ""))
        query = "&".join(q for q in [parts.query, urlencode({
            "openid_configuration": f"{self.wwwroot}/mod/lti/openid-configuration.php",
            "registration_token": token})] if q)
        return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=query))})

    def _openid_config(self) -> Response:
        w = self.wwwroot
        return json_response({
            "issuer": w,
            "token_endpoint": f"{w}/mod/lti/token.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": f"{w}/mod/lti/certs.php",
            "authorization_endpoint": f"{w}/mod/lti/auth.php",
            "registration_endpoint": f"{w}/mod/lti/openid-registration.php",
            "scopes_supported": [SCOPE_LINEITEM, SCOPE_LINEITEM_RO, SCOPE_RESULT_RO, SCOPE_SCORE,
                                 SCOPE_NRPS, "openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIG: {
                "product_family_code": "moodle", "version": self.release,
                "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                "placements": ["AddContentMenu"],
                "variables": ["basic-lti-launch-request", "Context.id", "ResourceLink.id"],
            },
        }, mimetype="application/json; charset=utf-8")

    def _register(self) -> Response:
        token = bearer_token()
        if not token:
            return Response("missing_registration_token", status=401)
        try:
            claims = self.keys.verify(token)
        except jwt.PyJWTError as exc:  # Moodle: an uncaught exception page
            return Response(f"invalid registration token: {exc}", status=401)
        with self.lock:
            if self._tool is not None and self._tool.client_id == claims.get("sub"):
                return Response("token_already_used", status=401)
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
            tool = _registration_to_config(body, str(claims["sub"]))
        except _RegistrationError as exc:
            return Response(str(exc), status=400)
        except ValueError:
            return Response("missing required attribute response_types", status=400)
        tool.deployment_id = str(next(self._type_ids))
        tool.state = "pending"
        with self.lock:
            self._tool = tool
        return json_response(_config_to_registration(tool),
                             mimetype="application/json; charset=utf-8")

    # launches

    def _view(self) -> Response:
        link = self._links.get(request.args.get("id", ""))
        if link is None:
            return page("Error", "<p>Invalid course module ID</p>")
        src = "launch.php?" + urlencode({"id": link.id, "triggerview": 0,
                                         "user": request.args.get("user", "learner")})
        body = (f"<h1>{html.escape(self._courses[link.course])}</h1>"
                f"<h2>{html.escape(link.title)}</h2>"
                f"<iframe id='contentframe' class='tool-frame' title='{html.escape(link.title)}'"
                f" src='{html.escape(src)}' width='100%' height='600' allowfullscreen='1'"
                f" allow='microphone *; camera *; geolocation *; display-capture *;"
                f" clipboard-write *'></iframe>")
        return page(link.title, body)

    def _launch(self) -> Response:
        link = self._links.get(request.args.get("id", ""))
        if link is None:
            return page("Error", "<p>Invalid course module ID</p>")
        user = self._persona(request.args.get("user", "learner"))
        launchid = f"ltilaunch{link.resource_link_id}_{secrets.randbelow(10**9)}"
        with self.lock:
            self._launches[launchid] = _Launch(user, link.course, link)
        hint = {"cmid": int(link.id), "launchid": launchid}
        return self._login_form(user, hint, link.url or self.tool().target_link_uri)

    def _modedit(self) -> Response:
        course = request.args.get("course", "")
        src = "/mod/lti/contentitem.php?" + urlencode(
            {"course": course, "user": request.args.get("user", "instructor")})
        body = (f"<h1>Adding a new External tool to {html.escape(self._courses[course])}</h1>"
                f"<iframe id='contentframe' class='tool-frame' title='Select content'"
                f" src='{html.escape(src)}' width='100%' height='600'"
                f" allow='microphone *; camera *; geolocation *; display-capture *;"
                f" clipboard-write *'></iframe>")
        return page("Select content", body)

    def _contentitem(self) -> Response:
        course = request.args.get("course", "")
        user = self._persona(request.args.get("user", "instructor"))
        if course not in self._courses or user.student:
            return page("Error", "<p>Sorry, but you do not currently have permissions to do "
                                 "that (Add a course tool).</p>", status=403)
        launchid = f"ltilaunch_ContentItemSelectionRequest{secrets.randbelow(10**9)}"
        with self.lock:
            self._launches[launchid] = _Launch(user, course, None)
        return self._login_form(user, {"launchid": launchid}, self.tool().deep_linking_url())

    def _login_form(self, user: Persona, hint: dict[str, Any], target: str) -> Response:
        tool = self.tool()
        fields = {"iss": self.issuer, "target_link_uri": target, "login_hint": user.user_id,
                  "lti_message_hint": json.dumps(hint, separators=(",", ":")),
                  "client_id": tool.client_id,
                  "lti_deployment_id": str(tool.deployment_id)}
        return autopost_form(tool.initiate_login_uri, fields, name="ltiInitiateLoginForm",
                             title="Launching")

    def _auth(self) -> Response:
        p = request.values
        tool = self.tool()
        try:
            launchid = json.loads(p.get("lti_message_hint", "")).get("launchid", "")
        except (ValueError, AttributeError):
            launchid = ""
        redirect_uri = p.get("redirect_uri", "")
        with self.lock:  # Moodle throws before it unsets the session's hint
            launch = self._launches.get(launchid)
            if launch is None or redirect_uri not in tool.redirect_uris:
                return Response("invalidrequest: unknown launch or unregistered redirect_uri",
                                status=400)
            del self._launches[launchid]
        error, desc = "", ""
        if not all(p.get(k) for k in ("scope", "response_type", "client_id", "redirect_uri",
                                      "login_hint", "nonce")):
            error = "invalid_request"
        elif p["scope"] != "openid":
            error = "invalid_scope"
        elif p["response_type"] != "id_token":
            error = "unsupported_response_type"
        elif p["client_id"] != tool.client_id:
            error = "unauthorized_client"
        elif p["login_hint"] != launch.user.user_id:
            error = "access_denied"
        elif p.get("response_mode") != "form_post":
            error, desc = "invalid_request", "Invalid response_mode"
        elif p.get("prompt") and p["prompt"] != "none":
            error, desc = "invalid_request", "Invalid prompt"
        if error:
            fields = {"error": error, **({"error_description": desc} if desc else {})}
        else:
            fields = {"id_token": self.keys.sign(self._claims(launch, p["nonce"]))}
        if "state" in p:
            fields["state"] = p["state"]
        return autopost_form(redirect_uri, fields, name="ltiAuthForm", title="Launching")

    def _claims(self, launch: _Launch, nonce: str) -> dict[str, Any]:
        tool, user, now = self.tool(), launch.user, int(time.time())
        course = launch.course
        claims: dict[str, Any] = {
            "nonce": nonce, "iat": now, "exp": now + 60, "iss": self.issuer,
            "aud": tool.client_id, CLAIM + "deployment_id": str(tool.deployment_id),
            "sub": user.user_id, CLAIM + "version": "1.3.0",
            CLAIM + "roles": user.roles,
            CLAIM + "context": {"id": course, "label": f"C{course}",
                                "title": self._courses[course],
                                "type": [LIS + "course#CourseSection"]},
            CLAIM + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
            CLAIM + "ext": {"user_username": user.key, "lms": "moodle-2"},
            CLAIM + "tool_platform": {
                "product_family_code": "moodle", "version": self.version,
                "guid": urlsplit(self.wwwroot).hostname, "name": "WL",
                "description": self.site_name},
            CLAIM + "launch_presentation": {"locale": "en", "document_target": "iframe"},
        }
        if {"name", "given_name", "family_name"} & set(tool.claims):
            claims.update(name=user.name, given_name=user.given_name,
                          family_name=user.family_name)
        if "email" in tool.claims:
            claims["email"] = user.email
        scopes = [s for s in tool.scopes if s != SCOPE_NRPS]
        ags: dict[str, Any] = {"scope": sorted(scopes), "lineitems": self.lineitems_url(course)}
        link = launch.link
        if link is None:
            launch.sesskey = secrets.token_hex(5)
            with self.lock:
                self._deep_link_sessions[launch.sesskey] = launch
            ret = f"{self.wwwroot}/mod/lti/contentitem_return.php?" + urlencode(
                {"course": course, "id": tool.deployment_id, "sesskey": launch.sesskey})
            claims.update({
                CLAIM + "message_type": "LtiDeepLinkingRequest",
                CLAIM + "target_link_uri": tool.deep_linking_url(),
                DL_SETTINGS: {
                    "deep_link_return_url": ret, "accept_types": ["ltiResourceLink"],
                    "accept_presentation_document_targets": ["frame", "iframe", "window"],
                    "accept_copy_advice": False, "accept_multiple": True,
                    "accept_unsigned": False, "auto_create": False, "can_confirm": False,
                    "accept_lineitem": bool(scopes), "title": "", "text": ""}})
        else:
            custom = {**tool.custom_parameters, **link.custom}
            if custom:
                claims[CLAIM + "custom"] = custom
            if link.line_item:
                ags["lineitem"] = link.line_item
            claims[CLAIM + "launch_presentation"]["return_url"] = (
                f"{self.wwwroot}/mod/lti/return.php?" + urlencode({
                    "course": course, "launch_container": 3,
                    "instanceid": link.resource_link_id, "sesskey": secrets.token_hex(5)}))
            claims.update({
                CLAIM + "message_type": "LtiResourceLinkRequest",
                CLAIM + "target_link_uri": link.url or tool.target_link_uri,
                CLAIM + "resource_link": {"id": link.resource_link_id, "title": link.title,
                                          "description": link.text}})
        if scopes:
            claims[AGS_CLAIM] = ags
        return claims

    def _contentitem_return(self) -> Response:
        tool = self.tool()
        with self.lock:
            launch = self._deep_link_sessions.pop(request.args.get("sesskey", ""), None)
        if launch is None or request.args.get("course") != launch.course \
                or request.args.get("id") != tool.deployment_id:
            return Response("Invalid sesskey or course", status=400)
        try:
            claims = verify_with_jwks_url(request.form.get("JWT", ""), tool.jwks_uri,
                                          audience=self.issuer, issuer=tool.client_id)
        except JwtRejected as exc:
            return Response(f"Invalid JWT: {exc}", status=400)
        problems = [name for name, ok in [
            ("nonce", bool(claims.get("nonce"))),
            ("deployment_id", claims.get(CLAIM + "deployment_id") == tool.deployment_id),
            ("message_type", claims.get(CLAIM + "message_type") == "LtiDeepLinkingResponse"),
            ("version", claims.get(CLAIM + "version") == "1.3.0")] if not ok]
        if problems:
            return Response("Invalid JWT claims: " + ", ".join(problems), status=400)
        added = []
        for item in claims.get(DL_ITEMS) or []:
            if item.get("type") != "ltiResourceLink":
                continue
            line = item.get("lineItem") or {}
            link = self.add_link(
                launch.course, str(item.get("title") or "External tool"),
                custom={str(k): str(v) for k, v in (item.get("custom") or {}).items()},
                score_maximum=line.get("scoreMaximum"), url=item.get("url"),
                text=str(item.get("text") or ""))
            added.append(self._links[link].title)
        items = "".join(f"<li>{html.escape(t)}</li>" for t in added)
        msg = html.escape(str(claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/msg", "")))
        return page("Content added", f"<h1>Content added</h1><p id='dl-msg'>{msg}</p>"
                                     f"<ul id='added-links'>{items}</ul>")

    def _return(self) -> Response:
        msg = html.escape(request.args.get("lti_msg", "") or request.args.get("lti_errormsg", ""))
        return page("Returned", f"<h1>Returned from the tool</h1><p id='return-msg'>{msg}</p>")

    # token endpoint

    def _token(self) -> Response:
        return self._token_endpoint(self._check_token_request,
                                    lambda e: {"error": e.error})

    def _check_token_request(self, form: dict[str, str]) -> IssuedToken:
        ctype = (request.content_type or "").split(";")[0]
        if request.method != "POST" or ctype != "application/x-www-form-urlencoded":
            raise OAuthError(400, "invalid_request")
        fields = ("client_assertion", "client_assertion_type", "grant_type", "scope")
        if not all(form.get(k) for k in fields):
            raise OAuthError(400, "invalid_request")
        if (form["client_assertion_type"], form["grant_type"]) != (JWT_BEARER,
                                                                   "client_credentials"):
            raise OAuthError(400, "unsupported_grant_type")
        try:
            sub = jwt.decode(form["client_assertion"], options={"verify_signature": False})["sub"]
        except (jwt.PyJWTError, KeyError) as exc:
            raise OAuthError(400, "invalid_request") from exc
        with self.lock:
            tool = self._tool
        if tool is None or sub != tool.client_id:
            raise OAuthError(400, "invalid_client")
        try:  # signature and time claims only: token.php does not look at aud, iss or jti
            verify_with_jwks_url(form["client_assertion"], tool.jwks_uri)
        except JwtRejected as exc:
            raise OAuthError(400, str(exc)) from exc
        granted = [s for s in form["scope"].split(" ") if s in tool.scopes]
        if not granted:
            raise OAuthError(400, "invalid_scope")
        return self._issue(tool.client_id, granted)

    # AGS

    def _services(self, path: str) -> Response:
        accept = request.headers.get("Accept", "")
        ctype = (request.content_type or "").split(";")[0]
        routes: list[tuple[str, list[str], Callable[..., Response]]] = [
            (r"/(\d+)/lineitems", [LINEITEMS_TYPE, LINEITEM_TYPE], self._ags_lineitems),
            (r"/(\d+)/lineitems/(\d+)/lineitem", [LINEITEM_TYPE], self._ags_lineitem),
            (r"/(\d+)/lineitems/(\d+)/lineitem/scores", [SCORECONTAINER_TYPE, SCORE_TYPE],
             self._ags_scores),
        ]
        for pattern, formats, handler in routes:
            if request.method == "GET" and accept and "*/*" not in accept \
                    and accept not in formats:
                continue
            if request.method in ("POST", "PUT") and ctype not in formats:
                continue
            match = re.fullmatch(pattern, "/" + path)
            if match:
                media = accept if request.method == "GET" else ctype
                return handler(media, formats, *match.groups())
        return Response(f"No handler found for /{path} {accept} {ctype}", status=400)

    def _authorised(self, wanted: tuple[str, ...]) -> bool:
        with self.lock:
            tool = self._tool
        return (tool is not None and request.args.get("type_id") == tool.deployment_id
                and self._access(tool.client_id, wanted) is not None)

    def _ags_lineitems(self, media: str, formats: list[str], course: str) -> Response:
        is_post = request.method == "POST"
        wanted = (SCOPE_LINEITEM,) if is_post else (SCOPE_LINEITEM, SCOPE_LINEITEM_RO)
        if not self._authorised(wanted):
            return Response(status=401)
        container = not media or media == formats[0]
        if not (container ^ is_post) or (media and media not in formats):
            return Response("No context or unsupported content type", status=400)
        if course not in self._courses:
            return Response(f"Not Found: Course {course} doesn't exist", status=404)
        if is_post:
            return self._create_line_item(course)
        items = [li for li in self.line_items(course)
                 if request.args.get("resource_link_id") in (None, li.resource_link_id)
                 and request.args.get("resource_id") in (None, li.resource_id)
                 and request.args.get("tag") in (None, li.tag)]
        headers = {}
        limit, start = int(request.args.get("limit", 0)), int(request.args.get("from", 0))
        if limit > 0:
            base = self.lineitems_url(course) + f"&limit={limit}"
            rels = [("first", 0), ("prev", max(start - limit, 0)) if start > 0 else None,
                    ("canonical", start),
                    ("next", start + limit) if start + limit <= len(items) - 1 else None,
                    ("last", max(len(items) - limit + 1, 0))]
            # mod/lti/service/gradebookservices/.../lineitems.php writes typographic quotes,
            # which PHP sends as raw UTF-8 bytes (HTTP clients decode them as Latin-1).
            headers["Link"] = ", ".join(f"<{base}&from={n}>; rel=\u201c{rel}\u201d"
                                        for rel, n in filter(None, rels)
                                        ).encode("utf-8").decode("latin-1")
            items = items[start:start + limit]
        return json_response([_item_json(li) for li in items], mimetype=LINEITEMS_TYPE,
                             headers=headers)

    def _create_line_item(self, course: str) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True))
            label, maximum = body["label"], body["scoreMaximum"]
        except (ValueError, KeyError, TypeError):
            return Response("No label or Score Maximum", status=400)
        if not isinstance(maximum, int | float) or isinstance(maximum, bool):
            return Response(status=400)
        link_id = body.get("resourceLinkId") or body.get("ltiLinkId")
        if link_id is not None and not any(li.resource_link_id == str(link_id)
                                           for li in self.links(course)):
            return Response(status=403)
        with self.lock:
            item = self._new_line_item(course, str(label), maximum,
                                       resource_id=str(body.get("resourceId", "")),
                                       tag=str(body.get("tag", "")),
                                       resource_link_id=str(link_id) if link_id else None)
        return json_response({**body, "id": item.url}, 201, mimetype=LINEITEM_TYPE)

    def _ags_lineitem(self, media: str, formats: list[str], course: str, item_id: str) -> Response:
        if request.method != "GET":
            return Response(status=405)
        if not self._authorised((SCOPE_LINEITEM, SCOPE_LINEITEM_RO)):
            return Response(status=401)
        if media and media not in formats:
            return Response(status=400)
        item = self._line_items.get(item_id)
        if item is None or item.course != course:
            return Response(status=404)
        return json_response(_item_json(item), mimetype=LINEITEM_TYPE)

    def _ags_scores(self, media: str, formats: list[str], course: str, item_id: str) -> Response:
        if request.method != "POST":
            return Response("GET requests are not allowed.", status=405)
        if not self._authorised((SCOPE_SCORE,)):
            return Response("This resource does not support POST requests.", status=401)
        if media != SCORE_TYPE:
            return Response(status=400)
        if course not in self._courses:
            return Response(f"Not Found: Course {course} doesn't exist.", status=404)
        item = self._line_items.get(item_id)
        if item is None:
            return Response(f"Not Found: Grade item {item_id} doesn't exist.", status=404)
        if item.course != course:
            return Response("Line item does not exist.", status=403)
        try:
            score = json.loads(request.get_data(as_text=True))
        except ValueError:
            score = None
        user = next((u for u in self.personas.values()
                     if isinstance(score, dict) and u.user_id == str(score.get("userId"))), None)
        stamp = parse_timestamp(score.get("timestamp")) if isinstance(score, dict) else None
        if (not isinstance(score, dict) or stamp is None or user is None or not user.student
                or any(k not in score for k in ("gradingProgress", "activityProgress"))
                or any(k in score and not _numeric(score[k])
                       for k in ("scoreGiven", "scoreMaximum"))):
            return Response("Incorrect score received", status=400)
        stored = self._stored_score(item.url, user.key)
        if stored is not None and _seconds(stored.timestamp) >= int(stamp.timestamp()):
            return Response("Refusing score with an earlier timestamp for item "
                            f"{item_id} and user {user.user_id}", status=409)
        given = score.get("scoreGiven") if score["gradingProgress"] == "FullyGraded" else None
        self._record_score(Score(user.key, user.user_id, item.url, given,
                                 score.get("scoreMaximum", 1), score["timestamp"],
                                 score["activityProgress"], score["gradingProgress"],
                                 score.get("comment")))
        return Response(status=200, mimetype=SCORE_TYPE)


class _RegistrationError(Exception):
    pass


def _seconds(stamp: str) -> int:
    parsed = parse_timestamp(stamp)
    return int(parsed.timestamp()) if parsed else 0


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _permitted(scopes: list[str]) -> list[str]:
    """registration_helper: scopes -> gradesync/memberships settings -> permitted scopes."""
    out = []
    if {SCOPE_SCORE, SCOPE_RESULT_RO, SCOPE_LINEITEM_RO, SCOPE_LINEITEM} & set(scopes):
        out += [SCOPE_SCORE, SCOPE_RESULT_RO, SCOPE_LINEITEM_RO]
    if SCOPE_LINEITEM in scopes:
        out.append(SCOPE_LINEITEM)
    if SCOPE_NRPS in scopes:
        out.append(SCOPE_NRPS)
    return out


def _registration_to_config(body: Any, client_id: str) -> ToolRegistration:
    if not isinstance(body, dict):
        raise _RegistrationError("missing required attribute response_types")

    def need(data: dict[str, Any], key: str) -> Any:
        if not data.get(key):
            raise _RegistrationError(f"missing required attribute {key}")
        return data[key]

    response_types = need(body, "response_types")
    login, redirects = need(body, "initiate_login_uri"), need(body, "redirect_uris")
    name, jwks = need(body, "client_name"), need(body, "jwks_uri")
    method = need(body, "token_endpoint_auth_method")
    config = need(body, TOOL_CONFIG)
    if not isinstance(config, dict):
        raise _RegistrationError(f"missing required attribute {TOOL_CONFIG}")
    domain, target = need(config, "domain"), need(config, "target_link_uri")
    if "id_token" not in response_types:
        raise _RegistrationError("invalid_response_types")
    if not isinstance(redirects, list):
        raise _RegistrationError("invalid_redirect_uris")
    if method != "private_key_jwt":
        raise _RegistrationError("invalid_token_endpoint_auth_method")
    if body.get("application_type") and body["application_type"] != "web":
        raise _RegistrationError("invalid_application_type")
    messages = [m for m in config.get("messages") or []
                if isinstance(m, dict) and m.get("type") == "LtiDeepLinkingRequest"]
    return ToolRegistration(
        client_id=client_id, client_name=str(name), initiate_login_uri=str(login),
        redirect_uris=[str(u) for u in redirects], jwks_uri=str(jwks),
        target_link_uri=str(target), scopes=_permitted(str(body.get("scope") or "").split(" ")),
        messages=messages, custom_parameters=dict(config.get("custom_parameters") or {}),
        claims=list(config.get("claims") or []), domain=str(domain), request=body)


def _config_to_registration(tool: ToolRegistration) -> dict[str, Any]:
    config: dict[str, Any] = {
        "deployment_id": str(tool.deployment_id), "target_link_uri": tool.target_link_uri,
        "domain": tool.domain, "description": "",
        "claims": ["sub", "iss", "name", "family_name", "middle_name", "email"]}
    if tool.messages:
        config["messages"] = [{"type": "LtiDeepLinkingRequest",
                               "target_link_uri": tool.deep_linking_url()}]
    if tool.custom_parameters:
        config["custom_parameters"] = tool.custom_parameters
    return {
        "client_id": tool.client_id, "token_endpoint_auth_method": "private_key_jwt",
        "response_types": ["id_token"], "jwks_uri": tool.jwks_uri,
        "initiate_login_uri": tool.initiate_login_uri,
        "grant_types": ["client_credentials", "implicit"], "redirect_uris": tool.redirect_uris,
        "application_type": ["web"], "client_name": tool.client_name,
        "logo_uri": str(tool.request.get("logo_uri", "")), "scope": " ".join(tool.scopes),
        TOOL_CONFIG: config,
    }


def _item_json(item: LineItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.url, "label": item.label,
                           "scoreMaximum": item.score_maximum, "resourceId": item.resource_id,
                           "tag": item.tag}
    if item.resource_link_id:
        out["resourceLinkId"] = item.resource_link_id
    return out
