"""LTI platform storage (1EdTech "LTI Client Side postMessages"): when a browser blocks the
tool's state cookie, the state and nonce are kept in the platform's frame instead. The login
page hands them to static/lti-storage.js; a launch without the cookie gets a check page whose
script confirms them with the platform and posts back a single-use check token, which is
only honoured from the tool's own origin, for the state and id_token it was issued for."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.browser import parse_form, query
from tests.support.launches import NOTHING, login, stored

OURS = "http://localhost"


class _StorageDiv(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id") == "lti-storage":
            self.found.append(a)


def storage_data(html: str) -> dict[str, str]:
    """The data-* attributes of #lti-storage, which drive static/lti-storage.js."""
    parser = _StorageDiv()
    parser.feed(html)
    assert len(parser.found) == 1, html[:1000]
    return {k[5:]: v for k, v in parser.found[0].items() if k.startswith("data-")}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _launch(client: Any, token: str, state: str, **extra: str) -> Any:
    return client.post("/lti/launch", data={"id_token": token, "state": state, **extra})


def check_page(app: Any, registered: Any) -> tuple[Any, str, str, dict[str, str]]:
    """A login in one test client; the launch from a fresh client that has no state cookie
    (as in a browser that blocks it) but names a storage target. Returns that cookieless
    client, the id_token, the state and the check page's form fields."""
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce))
    cookieless = app.test_client()
    response = _launch(cookieless, token, state, lti_storage_target="_parent")
    assert response.status_code == 200, response.get_data(as_text=True)
    form = parse_form(response.get_data(as_text=True), "lti-storage-form")
    return cookieless, token, state, form.fields


# --- login ------------------------------------------------------------------------------


def test_login_with_a_storage_target_hands_state_and_nonce_to_the_page(client, registered):
    response = client.get(
        "/lti/login",
        query_string={
            "iss": registered.issuer,
            "login_hint": "someone",
            "target_link_uri": OURS + "/lti/launch",
            "client_id": registered.client_id,
            "lti_storage_target": "_parent",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    data = storage_data(page)
    assert data["mode"] == "login"
    assert data["target"] == "_parent"
    assert data["origin"] == _origin(registered.url) == _origin(registered.issuer)
    assert data["state"].startswith("state-")
    assert len(data["nonce"]) >= 32
    # Next: the platform's OIDC auth endpoint, for this state and nonce.
    auth = data["next"]
    assert auth.split("?")[0] == registered.url + "/auth"
    params = query(auth)
    assert params["state"] == data["state"]
    assert params["nonce"] == data["nonce"]
    assert params["redirect_uri"] == OURS + "/lti/launch"
    assert params["client_id"] == registered.client_id
    assert params["login_hint"] == "someone"
    assert "lti-storage.js" in page
    # The fallback link goes to the same place.
    assert f'href="{auth.replace("&", "&amp;")}"' in page


def test_a_storage_target_is_escaped(client, registered):
    response = client.get(
        "/lti/login",
        query_string={"iss": registered.issuer, "login_hint": "u",
                      "lti_storage_target": '"><script>alert(1)</script>'},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert storage_data(page)["target"] == '"><script>alert(1)</script>'


# --- launch without the state cookie -------------------------------------------------------


def test_a_cookieless_launch_with_a_storage_target_gets_the_check_page(app, registered):
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce))
    response = _launch(app.test_client(), token, state, lti_storage_target="_parent")

    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    form = parse_form(page, "lti-storage-form")
    assert form.method == "post"
    assert form.action == "/lti/launch"
    assert form.fields["id_token"] == token
    assert form.fields["state"] == state
    assert len(form.fields["lti_storage_check"]) >= 20
    data = storage_data(page)
    assert data == {
        "mode": "launch",
        "target": "_parent",
        "origin": _origin(registered.url),
        "state": state,
        "nonce": nonce,
    }
    assert stored(app) == NOTHING


def test_a_cookieless_launch_without_a_storage_target_is_refused(app, registered):
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce))
    response = _launch(app.test_client(), token, state)
    assert response.status_code == 401
    assert "login cookie" in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_with_the_cookie_a_storage_target_changes_nothing(app, client, registered):
    state, nonce = login(client, registered)
    token = registered.sign(registered.claims(nonce))
    response = _launch(client, token, state, lti_storage_target="_parent")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(app)["user"] == 1


def test_a_bad_token_gets_no_check_page(app, registered):
    # The check page comes after validation: a forged token is refused outright.
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce, aud="someone-else", azp="someone-else"))
    response = _launch(app.test_client(), token, state, lti_storage_target="_parent")
    assert response.status_code == 403
    assert "lti_storage_check" not in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_a_state_with_the_nonce_of_another_login_gets_no_check_page(app, registered):
    """Through platform storage too, a state goes only with the nonce issued with it: no
    check page (and no check token) for a crossed pair, and the right pair still works."""
    state_a, _nonce_a = login(app.test_client(), registered)
    _state_b, nonce_b = login(app.test_client(), registered)
    crossed = registered.sign(registered.claims(nonce_b))
    response = _launch(app.test_client(), crossed, state_a, lti_storage_target="_parent")
    assert response.status_code == 401
    assert "issued for a different sign-in" in response.get_data(as_text=True)
    assert "lti_storage_check" not in response.get_data(as_text=True)
    assert stored(app) == NOTHING and check_tokens(app) == 0

    browser, _token, _state, fields = check_page(app, registered)
    assert check_tokens(app) == 1
    assert browser.post("/lti/launch", data=fields, headers={"Origin": OURS}).status_code == 302


def check_tokens(app: Any) -> int:
    from sqlalchemy import func, select

    from lms_plugin.extensions import db
    from lms_plugin.store import SharedState

    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(SharedState).where(
            SharedState.key.like("%storage-check:%"))) or 0)


# --- posting the check back ---------------------------------------------------------------


def test_the_check_posted_from_our_origin_launches(app, registered):
    browser, _token, _state, fields = check_page(app, registered)
    response = browser.post("/lti/launch", data=fields, headers={"Origin": OURS})
    assert response.status_code == 302, response.get_data(as_text=True)
    counts = stored(app)
    assert counts["user"] == 1 and counts["launch data"] == 1
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Your peer support programme" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "https://localhost"},
        {},
    ],
    ids=["foreign", "null", "lookalike", "other scheme", "no Origin"],
)
def test_the_check_from_elsewhere_is_refused(app, registered, headers):
    browser, _token, _state, fields = check_page(app, registered)
    response = browser.post("/lti/launch", data=fields, headers=headers)
    assert response.status_code == 401
    assert "did not come from this tool" in response.get_data(as_text=True)
    assert stored(app) == NOTHING
    # The refusal consumed nothing: the genuine post still works.
    good = browser.post("/lti/launch", data=fields, headers={"Origin": OURS})
    assert good.status_code == 302, good.get_data(as_text=True)


def test_a_check_token_is_single_use(app, registered):
    browser, _token, _state, fields = check_page(app, registered)
    first = browser.post("/lti/launch", data=fields, headers={"Origin": OURS})
    assert first.status_code == 302
    before = stored(app)
    again = app.test_client().post("/lti/launch", data=fields, headers={"Origin": OURS})
    assert again.status_code == 401
    # Refused for the check token itself (checked before the nonce).
    assert "storage check failed" in again.get_data(as_text=True)
    assert stored(app) == before


def test_a_check_token_for_another_state_is_refused(app, registered):
    browser, _token, _state, fields = check_page(app, registered)
    other_state, _other_nonce = login(app.test_client(), registered)
    response = browser.post(
        "/lti/launch",
        data={**fields, "state": other_state},
        headers={"Origin": OURS},
    )
    assert response.status_code == 401
    assert "storage check failed" in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_a_check_token_for_another_id_token_is_refused(app, registered):
    _browser, _token, state, fields = check_page(app, registered)
    _other_state, other_nonce = login(app.test_client(), registered)
    other_token = registered.sign(registered.claims(other_nonce, sub="someone-else"))
    response = app.test_client().post(
        "/lti/launch",
        data={**fields, "id_token": other_token},
        headers={"Origin": OURS},
    )
    assert response.status_code == 401
    assert "storage check failed" in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_a_made_up_check_token_is_refused(app, registered):
    state, nonce = login(app.test_client(), registered)
    token = registered.sign(registered.claims(nonce))
    response = _launch(app.test_client(), token, state, lti_storage_check="made-up",
                       lti_storage_target="_parent")
    # Origin aside, no such token was issued.
    assert response.status_code == 401
    response = app.test_client().post(
        "/lti/launch",
        data={"id_token": token, "state": state, "lti_storage_check": "made-up"},
        headers={"Origin": OURS},
    )
    assert response.status_code == 401
    assert "storage check failed" in response.get_data(as_text=True)
    assert stored(app) == NOTHING
