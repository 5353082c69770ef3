"""Play the browser through a launch: the platform over real HTTP, the tool either over
real HTTP (requests) or through Flask's test client."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class Form:
    action: str = ""
    method: str = "get"
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__()
        self.form_id = form_id
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (self.form_id is None or a.get("id") == self.form_id):
            self._current = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self._current.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_form(html: str, form_id: str | None = None) -> Form:
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.forms:
        raise AssertionError(f"no form in page: {html[:500]}")
    return parser.forms[0]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


class HttpBrowser:
    """A requests session as the browser, against a live tool and a live platform."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def start(self, platform_url: str, **params: Any) -> requests.Response:
        params.setdefault("persona", "learner")
        params.setdefault("course", "wellbeing-101")
        params.setdefault("message", "resource")
        r = self.session.get(platform_url + "/start", params=params, allow_redirects=False)
        assert r.status_code == 302, r.text
        return r

    def login(self, platform_url: str, **params: Any) -> Form:
        """Platform initiates; tool redirects to the platform's auth; platform answers
        with the auto-submitting form. Returns that form (id_token, state)."""
        r = self.start(platform_url, **params)
        r = self.session.get(r.headers["Location"], allow_redirects=False)
        assert r.status_code == 302, r.text
        r = self.session.get(r.headers["Location"])
        assert r.status_code == 200, r.text
        return parse_form(r.text, "lti-launch")

    def launch(self, platform_url: str, post_to: str | None = None, **params: Any
               ) -> requests.Response:
        form = self.login(platform_url, **params)
        action = form.action if post_to is None else post_to.rstrip("/") + local(form.action)
        return self.session.post(action, data=form.fields)


class ClientBrowser:
    """The tool through Flask's test client (cookies kept by it); the platform over HTTP."""

    def __init__(self, client: Any, platform_url: str):
        self.client = client
        self.platform_url = platform_url

    def login(self, **params: Any) -> Form:
        params.setdefault("persona", "learner")
        params.setdefault("course", "wellbeing-101")
        params.setdefault("message", "resource")
        r = requests.get(self.platform_url + "/start", params=params, allow_redirects=False)
        assert r.status_code == 302, r.text
        tool = self.client.get(local(r.headers["Location"]))
        assert tool.status_code == 302, tool.get_data(as_text=True)
        auth = requests.get(tool.headers["Location"])
        assert auth.status_code == 200, auth.text
        return parse_form(auth.text, "lti-launch")

    def launch(self, follow_redirects: bool = True, **params: Any) -> Any:
        form = self.login(**params)
        return self.client.post(
            local(form.action), data=form.fields, follow_redirects=follow_redirects
        )


def tool_login(client: Any, platform: Any, client_id: str | None = None) -> tuple[str, str]:
    """Start an OIDC login at the tool (through Flask's test client) as `platform` would;
    return the state and nonce the tool sent to the platform's auth endpoint."""
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer,
        "login_hint": "someone",
        "target_link_uri": "http://localhost/lti/launch",
        "client_id": client_id or platform.client_id,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    params = query(response.headers["Location"])
    return params["state"], params["nonce"]


def signed_launch(client: Any, platform: Any, client_id: str | None = None,
                  headers: dict[str, str] | None = None, **claims: Any) -> Any:
    """A launch with a token the platform signs by hand (its own key), with these claims."""
    state, nonce = tool_login(client, platform, client_id)
    token = platform.sign(platform.claims(nonce, **claims))
    return client.post("/lti/launch", data={"id_token": token, "state": state},
                       headers=headers or {})
