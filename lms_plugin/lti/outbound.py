"""Requests to URLs a platform gave us (its OpenID configuration, key set, token, AGS and
NRPS endpoints), which may be an attacker's: only to public addresses, with a short
timeout and a size cap, redirects included.

An LMS registering itself names these URLs; without this, a registration or a launch
would make the tool fetch `http://127.0.0.1:6379/` or the cloud metadata address for
whoever asked. `LMS_PLUGIN_ALLOW_PRIVATE_URLS` lifts the address rule for an LMS on the
same private network (the demo and the tests set it).

The address is checked when the request is sent; a name that resolves differently a
moment later (DNS rebinding) is not caught here: a firewall rule for the tool's egress
is the complete answer, and the README says so.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context

TIMEOUT = 5.0
MAX_BYTES = 1024 * 1024


class UnsafeURL(requests.RequestException):
    """A URL the tool will not fetch; the message names no internal detail."""


def _private_allowed() -> bool:
    return has_app_context() and bool(current_app.config.get("LMS_PLUGIN_ALLOW_PRIVATE_URLS"))


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("only http and https URLs are fetched")
    if _private_allowed():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL("the host name does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise UnsafeURL("the address is not a public one")


class OutboundSession(requests.Session):
    """A requests session for platform-supplied URLs (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.max_redirects = 3
        self.trust_env = False  # no proxy or netrc from the environment for these

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        check_url(str(request.url))  # every hop, redirects included
        kwargs["stream"] = True
        response = super().send(request, **kwargs)
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
        response.close()
        if len(body) > MAX_BYTES:
            raise UnsafeURL("the answer is larger than the tool accepts")
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        return response
