"""Shared parts of the fake LMSs: keys, JWKS, JWT signing and checking, the OAuth2
client_credentials token endpoint, AGS bookkeeping, auto-posting forms, and a server thread
bound to any loopback address (each fake site gets its own 127.0.0.x, so the browser sees
separate sites).

Behaviour that is LMS-specific (which `aud` a client assertion needs, error codes, URL
shapes) lives in moodle.py and canvas.py; this module only offers the mechanisms.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Response, request
from werkzeug.serving import make_server

from tests.support.servers import ServerThread

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_RO = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_RO = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_RO, SCOPE_RESULT_RO, SCOPE_SCORE)

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"


# --- servers -------------------------------------------------------------------------------


class HostServerThread(ServerThread):
    """`ServerThread` bound to a chosen loopback address. Port 0 (the default) lets the OS
    pick a free port at bind time, so there is no window for another process to take it."""

    def __init__(self, app: Any, host: str, port: int = 0):
        self.app = app
        self.host = host
        self.scheme = "http"
        self.server = make_server(host, port, app, threaded=True)
        self.port = int(self.server.port)
        # A short poll: shutdown() waits for the loop's next poll (werkzeug: 0.5 s).
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        self.thread.start()
        return self


# --- keys and JWTs -------------------------------------------------------------------------


class KeyPair:
    """An RSA key for RS256 signing, published as a JWKS."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:20]

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return dict(jwk)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256",
                          headers={"kid": self.kid, **(headers or {})})

    def verify(self, token: str, **options: Any) -> dict[str, Any]:
        return dict(jwt.decode(token, self.private_key.public_key(), algorithms=["RS256"],
                               **options))


class JwtRejected(Exception):
    """A tool-signed JWT failed verification; the message says why."""


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, claims) without checking anything, or None if it is not a JWS."""
    try:
        return (dict(jwt.get_unverified_header(token)),
                dict(jwt.decode(token, options={"verify_signature": False})))
    except jwt.PyJWTError:
        return None


def verify_with_jwks_url(token: str, jwks_uri: str, *, audience: str | None = None,
                         issuer: str | None = None, leeway: int = 0,
                         verify_times: bool = True) -> dict[str, Any]:
    """Check an RS256 JWT against the key set fetched (over HTTP, now) from `jwks_uri`:
    signature, exp/nbf/iat (unless `verify_times` is false), and `aud`/`iss` when given.
    Raises JwtRejected."""
    try:
        keyset = requests.get(jwks_uri, timeout=10).json()
        keys = jwt.PyJWKSet.from_dict(keyset).keys
    except (requests.RequestException, ValueError, jwt.PyJWTError) as exc:
        raise JwtRejected(f"cannot use the tool's JWKS at {jwks_uri}: {exc}") from exc
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise JwtRejected(f"not a JWS: {exc}") from exc
    candidates = [k for k in keys if kid is None or k.key_id == kid]
    if not candidates:
        raise JwtRejected(f"no key with kid {kid!r} in the tool's JWKS")
    options: Any = {"verify_aud": audience is not None, "verify_iss": issuer is not None,
                    "verify_exp": verify_times, "verify_iat": verify_times,
                    "verify_nbf": verify_times}
    last: Exception | None = None
    for key in candidates:
        try:
            return dict(jwt.decode(token, key.key, algorithms=["RS256"], audience=audience,
                                   issuer=issuer, leeway=leeway, options=options))
        except jwt.InvalidSignatureError as exc:
            last = exc
        except jwt.PyJWTError as exc:
            raise JwtRejected(str(exc)) from exc
    raise JwtRejected(f"signature does not verify: {last}")


# --- pages ---------------------------------------------------------------------------------


def page(title: str, body: str, script: str = "", status: int = 200) -> Response:
    """A plain HTML page. Fake pages may use inline script; only the tool has a strict CSP."""
    doc = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
           f"<title>{html.escape(title)}</title></head><body>{body}"
           f"{f'<script>{script}</script>' if script else ''}</body></html>")
    return Response(doc, status=status, mimetype="text/html")


def autopost_form(action: str, fields: dict[str, str], *, name: str, title: str) -> Response:
    """The auto-submitting form both LMSs use (login initiation, id_token post). A noscript
    button keeps it usable without JavaScript."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    body = (f'<form action="{html.escape(action)}" name="{name}" id="{name}" method="post" '
            f'enctype="application/x-www-form-urlencoded">{inputs}'
            f'<noscript><button type="submit">Continue</button></noscript></form>')
    return page(title, body, script=f"document.forms['{name}'].submit();")


_INPUT = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
_ACTION = re.compile(r'<form action="([^"]*)"')


def parse_autopost(doc: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of an `autopost_form` page, for tests driving the fakes with requests."""
    match = _ACTION.search(doc)
    if match is None:
        raise ValueError("no auto-post form in page")
    fields = {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(doc)}
    return html.unescape(match.group(1)), fields


def json_response(body: Any, status: int = 200, mimetype: str = "application/json",
                  headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype=mimetype, headers=headers)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 with a zone, as AGS requires; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def random_id(n: int = 40) -> str:
    return secrets.token_hex(n // 2)


# --- state ---------------------------------------------------------------------------------


@dataclass
class ToolRegistration:
    """What the tool registered (dynamic registration) or what an admin typed in (manual)."""

    client_id: str
    client_name: str
    initiate_login_uri: str
    redirect_uris: list[str]
    jwks_uri: str
    target_link_uri: str
    scopes: list[str]
    messages: list[dict[str, Any]] = field(default_factory=list)
    custom_parameters: dict[str, str] = field(default_factory=dict)
    claims: list[str] = field(default_factory=list)
    domain: str = ""
    deployment_id: str | None = None
    state: str = "configured"
    request: dict[str, Any] = field(default_factory=dict)

    def deep_linking_url(self) -> str:
        for message in self.messages:
            if message.get("type") == "LtiDeepLinkingRequest":
                return str(message.get("target_link_uri") or self.target_link_uri)
        return self.target_link_uri


@dataclass
class Persona:
    key: str
    user_id: str
    name: str
    given_name: str
    family_name: str
    email: str
    roles: list[str]
    student: bool


@dataclass
class Link:
    id: str
    course: str
    title: str
    custom: dict[str, str] = field(default_factory=dict)
    line_item: str | None = None
    url: str | None = None
    text: str = ""
    resource_link_id: str = ""


@dataclass
class LineItem:
    id: str
    course: str
    url: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str | None = None


@dataclass
class Score:
    user: str
    sub: str
    line_item: str
    score_given: float | None
    score_maximum: float | None
    timestamp: str
    activity_progress: str
    grading_progress: str
    comment: str | None = None


@dataclass
class IssuedToken:
    token: str
    client_id: str
    scopes: list[str]
    expires_at: float


@dataclass
class TokenRequest:
    """One call to the token endpoint, kept for assertions."""

    form: dict[str, str]
    assertion_header: dict[str, Any] | None
    assertion_claims: dict[str, Any] | None
    status: int
    body: dict[str, Any]


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str = ""):
        super().__init__(description or error)
        self.status, self.error, self.description = status, error, description


class FakeLmsBase:
    """Thread-safe in-memory state and the OAuth2/AGS mechanics both fakes share."""

    token_ttl = 3600

    personas: dict[str, Persona]

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.keys = KeyPair()
        self._tool: ToolRegistration | None = None
        self._tokens: dict[str, IssuedToken] = {}
        self._token_requests: list[TokenRequest] = []
        self._scores: list[Score] = []
        self._links: dict[str, Link] = {}
        self._line_items: dict[str, LineItem] = {}
        self._servers: list[HostServerThread] = []

    # helpers for tests

    def has_tool(self) -> bool:
        with self.lock:
            return self._tool is not None

    def tool(self) -> ToolRegistration:
        with self.lock:
            if self._tool is None:
                raise LookupError("no tool is registered with this LMS yet")
            return self._tool

    def token_requests(self) -> list[TokenRequest]:
        with self.lock:
            return list(self._token_requests)

    def scores(self) -> list[Score]:
        """What the gradebook holds: the latest accepted score per (line item, user)."""
        with self.lock:
            return list(self._scores)

    def links(self, course: str) -> list[Link]:
        with self.lock:
            return [link for link in self._links.values() if link.course == str(course)]

    def line_items(self, course: str) -> list[LineItem]:
        with self.lock:
            return [li for li in self._line_items.values() if li.course == str(course)]

    def stop(self) -> None:
        for server in self._servers:
            server.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _persona(self, key: str) -> Persona:
        if key not in self.personas:
            raise KeyError(f"unknown user {key!r}; use one of {sorted(self.personas)}")
        return self.personas[key]

    # token endpoint mechanics

    def _issue(self, client_id: str, scopes: list[str]) -> IssuedToken:
        issued = IssuedToken(secrets.token_urlsafe(24), client_id, scopes,
                             time.time() + self.token_ttl)
        with self.lock:
            self._tokens[issued.token] = issued
        return issued

    def _token_endpoint(self, check: Callable[[dict[str, str]], IssuedToken],
                        error_body: Callable[[OAuthError], dict[str, Any]]) -> Response:
        form = {k: v for k, v in request.form.items()}
        parts = unverified_parts(form.get("client_assertion", ""))
        try:
            issued = check(form)
            status, body = 200, {"access_token": issued.token, "token_type": "Bearer",
                                 "expires_in": self.token_ttl, "scope": " ".join(issued.scopes)}
        except OAuthError as exc:
            status, body = exc.status, error_body(exc)
        with self.lock:
            self._token_requests.append(TokenRequest(
                form, parts[0] if parts else None, parts[1] if parts else None, status, body))
        return json_response(body, status)

    def _access(self, client_id: str, wanted: tuple[str, ...]) -> IssuedToken | None:
        """The bearer token of this request if it is live, is the tool's and has one of
        the wanted scopes."""
        token = bearer_token()
        with self.lock:
            issued = self._tokens.get(token or "")
        if issued is None or issued.expires_at < time.time() or issued.client_id != client_id:
            return None
        return issued if set(wanted) & set(issued.scopes) else None

    def _record_score(self, new: Score) -> None:
        with self.lock:
            self._scores = [s for s in self._scores
                            if not (s.line_item == new.line_item and s.user == new.user)]
            self._scores.append(new)

    def _stored_score(self, line_item: str, user: str) -> Score | None:
        with self.lock:
            return next((s for s in self._scores
                         if s.line_item == line_item and s.user == user), None)
