"""Cookies that survive inside an LMS iframe.

On a secure request the session cookie is SameSite=None; Secure; Partitioned, so the
browser sends it back inside a cross-site iframe (and keeps it per top-level site under
third-party-cookie blocking). Plain http (localhost development) keeps Lax.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


class IframeSessionInterface(SecureCookieSessionInterface):
    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if request.is_secure else "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return bool(request.is_secure)


def init_app(app: Flask) -> None:
    app.session_interface = IframeSessionInterface()
