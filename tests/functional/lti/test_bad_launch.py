"""Known-bad launches (the LTI certification suite's and more): each is refused with a
4xx page that says what is wrong, and nothing is stored: the same login's good token still
works afterwards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from lms_plugin.extensions import db
from tests.support.browser import query
from tests.support.launches import NOTHING, login, stored
from tests.support.platform import CLAIM, DROP, TestPlatform, stranger_key

Token = Callable[[TestPlatform, str], str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(p: TestPlatform, nonce: str) -> str:
    key = p.state.signing_key()
    header = _b64(json.dumps({"alg": "HS256", "kid": key["kid"], "typ": "JWT"}).encode())
    body = _b64(json.dumps(p.claims(nonce)).encode())
    sig = hmac.new(key["public"].encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def _alg_none(p: TestPlatform, nonce: str) -> str:
    kid = p.state.signing_key()["kid"]
    return jwt.encode(p.claims(nonce), None, algorithm="none", headers={"kid": kid})


def _wrong_signature(p: TestPlatform, nonce: str) -> str:
    impostor = dict(stranger_key(), kid=p.state.signing_key()["kid"])
    return p.sign(p.claims(nonce), key=impostor)


def _now() -> int:
    return int(time.time())


def signed(**overrides: Any) -> Token:
    """A token with these claims; a callable value is called when the token is made, so
    times are taken at test time, not when this module was imported."""
    return lambda p, nonce: p.sign(p.claims(nonce, **{
        k: v() if callable(v) else v for k, v in overrides.items()}))


CASES: dict[str, tuple[Token, str]] = {
    "no kid": (lambda p, n: p.sign(p.claims(n), kid=None), "names no key"),
    "wrong kid": (lambda p, n: p.sign(p.claims(n), kid="no-such-kid"), "no key 'no-such-kid'"),
    "wrong signature": (_wrong_signature, "signature does not verify"),
    "alg none": (_alg_none, "'none'"),
    "HS256 signed with the public key": (_hs256_with_public_key, "'HS256'"),
    "expired": (signed(iat=lambda: _now() - 200, exp=lambda: _now() - 100), "expired"),
    "no exp": (signed(exp=DROP), "'exp'"),
    "iat in the future": (
        signed(iat=lambda: _now() + 600, exp=lambda: _now() + 900), "in the future"),
    "iat too old": (signed(iat=lambda: _now() - 3600, exp=lambda: _now() + 300), "too long ago"),
    "wrong aud": (signed(aud="someone-else", azp=DROP), "'someone-else' is not registered"),
    "untrusted azp": (
        signed(aud=["test-client", "evil-client"], azp="evil-client"),
        "'evil-client' is not registered",
    ),
    "untrusted extra audience": (
        signed(aud=["test-client", "evil-client"], azp="test-client"),
        "audience this tool does not trust",
    ),
    "several audiences, no azp": (
        signed(aud=["test-client", "evil-client"], azp=DROP), "no authorised party"
    ),
    "azp not an audience": (signed(azp="other"), "not one of its audiences"),
    "unknown issuer": (signed(iss="https://unknown.example"), "no registration for the platform"),
    "unknown client id": (
        signed(aud="other-client", azp="other-client"), "'other-client' is not registered"
    ),
    "unknown deployment": (signed(**{CLAIM + "deployment_id": "nope"}), "deployment 'nope'"),
    "missing deployment": (signed(**{CLAIM + "deployment_id": DROP}), "no deployment_id"),
    "missing sub": (signed(sub=DROP), "anonymous"),
    "missing roles": (signed(**{CLAIM + "roles": DROP}), "no roles claim"),
    "missing message type": (signed(**{CLAIM + "message_type": DROP}), "no message_type"),
    "unsupported message type": (
        signed(**{CLAIM + "message_type": "LtiSubmissionReviewRequest"}), "does not handle"
    ),
    "missing resource link": (signed(**{CLAIM + "resource_link": DROP}), "no resource_link"),
    "missing version": (signed(**{CLAIM + "version": DROP}), "no LTI version"),
    "wrong version": (signed(**{CLAIM + "version": "1.1.0"}), "'1.1.0' is not supported"),
    "deep linking without settings": (
        signed(**{CLAIM + "message_type": "LtiDeepLinkingRequest"}), "no return URL"
    ),
    "not a JWT": (lambda p, n: "not-a-jwt", "three parts"),
    "undecodable JWT": (lambda p, n: "abc.def.ghi", "cannot be decoded"),
    "JWT body not an object": (
        lambda p, n: _b64(b'{"alg":"RS256","kid":"x"}') + "." + _b64(b"[1]") + ".sig",
        "cannot be decoded",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_launch_is_refused_and_stores_nothing(app, client, registered, case):
    make_token, message = CASES[case]
    state, nonce = login(client, registered)

    response = client.post("/lti/launch", data={"id_token": make_token(registered, nonce),
                                                "state": state})

    page = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, page
    assert message in page.replace("&#39;", "'").replace("&#34;", '"')
    assert "Nothing was saved" in page
    assert stored(app) == NOTHING
    # The refusal consumed nothing: the same login's genuine token is still accepted.
    good = client.post(
        "/lti/launch", data={"id_token": registered.sign(registered.claims(nonce)), "state": state}
    )
    assert good.status_code == 302, good.get_data(as_text=True)


def test_replayed_nonce_is_refused(app, client, registered):
    state, nonce = login(client, registered)
    token = registered.sign(registered.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 302
    before = stored(app)
    again = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert again.status_code == 401
    assert "already been used" in again.get_data(as_text=True)
    assert stored(app) == before


def test_a_new_token_with_a_used_nonce_is_refused(client, registered):
    state, nonce = login(client, registered)
    first = registered.sign(registered.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": first, "state": state}).status_code == 302
    second = registered.sign(registered.claims(nonce, sub="another-user"))
    assert client.post("/lti/launch", data={"id_token": second, "state": state}).status_code == 401


def test_a_state_with_the_nonce_of_another_login_is_refused_and_stores_nothing(
        app, client, registered):
    """Two logins in one browser: the state of the first with a token carrying the nonce
    of the second is refused; each login's own pair still works afterwards."""
    state_a, nonce_a = login(client, registered)
    state_b, nonce_b = login(client, registered)
    crossed = client.post("/lti/launch", data={
        "id_token": registered.sign(registered.claims(nonce_b)), "state": state_a})
    assert crossed.status_code == 401
    assert "issued for a different sign-in" in crossed.get_data(as_text=True)
    assert stored(app) == NOTHING
    for state, nonce in ((state_a, nonce_a), (state_b, nonce_b)):
        good = client.post("/lti/launch", data={
            "id_token": registered.sign(registered.claims(nonce)), "state": state})
        assert good.status_code == 302, good.get_data(as_text=True)


def test_state_that_no_cookie_vouches_for_is_refused(app, client, registered):
    _state, nonce = login(client, registered)
    token = registered.sign(registered.claims(nonce))
    response = client.post("/lti/launch", data={"id_token": token, "state": "state-forged"})
    assert response.status_code == 401
    assert "login cookie" in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_launch_from_another_browser_is_refused(app, registered):
    # Login CSRF: a token obtained in one browser, posted from another without its cookie.
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce))
    victim = app.test_client()
    response = victim.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 401
    assert stored(app) == NOTHING


def test_missing_id_token_and_state(client, registered):
    state, _nonce = login(client, registered)
    response = client.post("/lti/launch", data={"state": state})
    assert response.status_code == 400
    assert "no id_token" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "no issuer"),
        ({"iss": "x"}, 400, "no login_hint"),
        ({"iss": "https://unknown.example", "login_hint": "u"}, 403, "no registration"),
        ({"login_hint": "u", "client_id": "nope"}, 403, "'nope' is not registered"),
        ({"login_hint": "u", "target_link_uri": "https://evil.example/steal"}, 400,
         "not this tool"),
    ],
)
def test_bad_login_initiation(client, registered, params, status, message):
    if "iss" not in params and params:
        params = {"iss": registered.issuer, **params}
    response = client.get("/lti/login", query_string=params)
    assert response.status_code == status
    assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_issuer_with_several_client_ids_needs_client_id(app, client, registered):
    from lms_plugin.lti.registration import save_platform

    with app.app_context():
        save_platform(**{**registered.registration_kwargs(), "client_id": "second-client"})
        db.session.commit()
    response = client.get(
        "/lti/login", query_string={"iss": registered.issuer, "login_hint": "u"}
    )
    assert response.status_code == 400
    assert "several client ids" in response.get_data(as_text=True)
    ok = client.get(
        "/lti/login",
        query_string={"iss": registered.issuer, "login_hint": "u", "client_id": "second-client"},
    )
    assert ok.status_code == 302
    assert query(ok.headers["Location"])["client_id"] == "second-client"


@pytest.mark.parametrize("n, message", [
    (12345, "is not a usable RSA key"),  # a number where base64url text belongs
    ("AQIDBAUGBw", "is too short (49 bits; at least 2048 are needed)"),  # 0x01020304050607
])
def test_a_platform_key_that_cannot_be_trusted_is_a_clear_401(app, client, registered, n,
                                                               message):
    """The platform publishes, under the launch's kid, a key that cannot be read as RSA or
    is far too short (a misconfigured LMS): the launch is refused naming the key, and
    nothing is stored."""
    from flask import Flask, jsonify

    from lms_plugin.lti.models import Platform
    from tests.support.servers import ServerThread

    kid = registered.state.signing_key()["kid"]
    broken = Flask("broken-keyset")
    broken.add_url_rule("/jwks", "jwks", lambda: jsonify(
        {"keys": [{"kid": kid, "kty": "RSA", "alg": "RS256", "n": n, "e": "AQAB"}]}))
    server = ServerThread(broken).start()
    try:
        with app.app_context():
            platform = db.session.scalars(select(Platform).where(
                Platform.issuer == registered.issuer)).one()
            platform.keyset_url = server.url + "/jwks"
            db.session.commit()
        state, nonce = login(client, registered)
        refused = client.post("/lti/launch", data={
            "id_token": registered.sign(registered.claims(nonce)), "state": state})
    finally:
        server.stop()
    assert refused.status_code == 401
    assert f"key {kid!r} {message}" in refused.get_data(as_text=True).replace(
        "&#39;", "'")
    assert stored(app) == NOTHING
