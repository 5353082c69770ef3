"""Cookies that survive inside an LMS iframe: over https the session cookie and the OIDC
state cookie are SameSite=None; Secure; Partitioned (CHIPS). Plain http (development on
localhost) gets neither Secure nor Partitioned, and a Lax session cookie."""

from __future__ import annotations

from typing import Any

import pytest

from lms_plugin.extensions import db
from tests.conftest import make_app
from tests.support.browser import ClientBrowser, query

SESSION_COOKIE = "lms_plugin_session"
HTTPS = "https://localhost"


class HttpsClient:
    """Flask's test client, every request made to https://localhost."""

    def __init__(self, client: Any):
        self.client = client

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.get(*args, base_url=HTTPS, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.post(*args, base_url=HTTPS, **kwargs)


def set_cookies(response: Any) -> dict[str, dict[str, str | bool]]:
    """Set-Cookie headers by cookie name: {"value": ..., "samesite": ..., "secure": True...},
    attribute names lower-cased; flags present map to True."""
    cookies: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attrs = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attr in attrs:
            key, eq, val = attr.partition("=")
            parsed[key.lower()] = val if eq else True
        cookies[name] = parsed
    return cookies


def _login_params(platform: Any, target: str) -> dict[str, str]:
    return {
        "iss": platform.issuer,
        "login_hint": "someone",
        "target_link_uri": target,
        "client_id": platform.client_id,
    }


def _state_cookie(response: Any) -> dict[str, str | bool]:
    state = query(response.headers["Location"])["state"]
    cookies = set_cookies(response)
    assert "lti1p3-" + state in cookies, cookies
    cookie = cookies["lti1p3-" + state]
    assert cookie["value"] == state
    return cookie


def _assert_iframe_cookie(cookie: dict[str, str | bool]) -> None:
    assert cookie.get("samesite") == "None"
    assert cookie.get("secure") is True
    assert cookie.get("partitioned") is True
    assert cookie.get("httponly") is True
    assert cookie.get("path") == "/"


def _assert_plain_http_cookie(cookie: dict[str, str | bool]) -> None:
    assert "secure" not in cookie
    assert "partitioned" not in cookie
    assert cookie.get("samesite") != "None"
    assert cookie.get("httponly") is True


# --- a whole launch ---------------------------------------------------------------------


def test_launch_over_https_sets_iframe_cookies(client, registered):
    registered.point_at_tool(HTTPS)
    https = HttpsClient(client)
    browser = ClientBrowser(https, registered.url)

    form = browser.login()
    assert form.action == HTTPS + "/lti/launch"
    response = https.post("/lti/launch", data=form.fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    session = set_cookies(response)[SESSION_COOKIE]
    _assert_iframe_cookie(session)
    # The browser sends it back: the launch's sign-in holds on the next https request.
    page = https.get(response.headers["Location"])
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Your peer support programme" in page.get_data(as_text=True)


def test_launch_over_http_sets_lax_cookies(client, registered):
    response = ClientBrowser(client, registered.url).launch(follow_redirects=False)
    assert response.status_code == 302, response.get_data(as_text=True)
    session = set_cookies(response)[SESSION_COOKIE]
    _assert_plain_http_cookie(session)
    assert session.get("samesite") == "Lax"


# --- the OIDC state cookie ---------------------------------------------------------------


def test_state_cookie_over_https(client, registered):
    response = client.get(
        "/lti/login", query_string=_login_params(registered, HTTPS + "/lti/launch"),
        base_url=HTTPS,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert query(response.headers["Location"])["redirect_uri"] == HTTPS + "/lti/launch"
    cookie = _state_cookie(response)
    _assert_iframe_cookie(cookie)
    assert 0 < int(str(cookie["max-age"])) <= 600


def test_state_cookie_over_http(client, registered):
    response = client.get(
        "/lti/login", query_string=_login_params(registered, "http://localhost/lti/launch")
    )
    assert response.status_code == 302
    _assert_plain_http_cookie(_state_cookie(response))


def test_state_cookie_with_platform_storage_over_https(client, registered):
    # The platform-storage login page still sets the cookie, for browsers that keep it.
    response = client.get(
        "/lti/login",
        query_string={**_login_params(registered, HTTPS + "/lti/launch"),
                      "lti_storage_target": "_parent"},
        base_url=HTTPS,
    )
    assert response.status_code == 200
    cookies = [c for name, c in set_cookies(response).items() if name.startswith("lti1p3-")]
    assert len(cookies) == 1
    _assert_iframe_cookie(cookies[0])


# --- behind a TLS-terminating proxy -------------------------------------------------------


@pytest.fixture
def proxied_app(app: Any, migrated: str, tmp_path: Any) -> Any:
    proxied = make_app(migrated, tmp_path, LMS_PLUGIN_PROXY_FIX=1)
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_a_proxy_the_forwarded_scheme_decides(proxied_app, registered):
    client = proxied_app.test_client()
    params = _login_params(registered, HTTPS + "/lti/launch")
    secure = client.get("/lti/login", query_string=params,
                        headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 302, secure.get_data(as_text=True)
    _assert_iframe_cookie(_state_cookie(secure))

    plain = client.get("/lti/login", query_string={**params,
                                                   "target_link_uri": "http://localhost/"})
    assert plain.status_code == 302, plain.get_data(as_text=True)
    _assert_plain_http_cookie(_state_cookie(plain))
