"""Security headers on every response: a Content-Security-Policy whose frame-ancestors
lists only the LMS pages allowed to frame this response, HSTS on secure requests, nosniff
and a referrer policy.

Who may frame a page is decided per response, never from a header anyone can send:
- a page of a launched session: the LMS that launched it (its issuer and login origins
  and the origins its signed launch named, e.g. the school's own Canvas domain), kept in
  the signed session by the launch (see `lti.views.launch`);
- the dynamic registration pages, the platform-storage login page and a refused login or
  launch: any page ("*"; see the views for why each is harmless and why nothing better is
  known there: Canvas frames them from the school's domain, which nothing signed names
  yet), set by the view with `allow_framing`;
- anything else (the public verification page, the admin sign-in, help and privacy
  without a session): only the tool itself, plus `LMS_PLUGIN_FRAME_ANCESTORS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session

SESSION_KEY = "frame_ancestors"
ANY = "*"


def origin_of(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if any(c in host for c in " ;,'\"\\") or not host.isascii():
        return None
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def origins(urls: Iterable[Any]) -> list[str]:
    """The distinct origins of these URLs, in order; anything that is not one is dropped."""
    found: list[str] = []
    for url in urls:
        origin = origin_of(url)
        if origin and origin not in found:
            found.append(origin)
    return found


@lru_cache(maxsize=8)
def _configured(value: str) -> tuple[str, ...]:
    return tuple(origins(value.split()))


def _setting() -> str:
    return str(current_app.config.get("LMS_PLUGIN_FRAME_ANCESTORS") or "")


def configured_ancestors() -> list[str]:
    return list(_configured(_setting()))


def allow_framing(by: Iterable[str]) -> None:
    """Let this one response be framed by these origins (or "*")."""
    g.frame_ancestors = list(by)


def remember_frame_ancestors(by: Iterable[str]) -> None:
    """The origins that may frame every later page of this session (set by a launch)."""
    session[SESSION_KEY] = list(by)


def frame_ancestors() -> list[str]:
    return list(_ancestors(_chosen(), _setting()))


def _chosen() -> tuple[str, ...]:
    chosen = g.get("frame_ancestors")
    if chosen is None:
        saved = session.get(SESSION_KEY) if session else None
        chosen = [o for o in saved if isinstance(o, str)] if isinstance(saved, list) else []
    return tuple(chosen)


@lru_cache(maxsize=1024)
def _ancestors(chosen: tuple[str, ...], configured: str) -> tuple[str, ...]:
    """Pure, so kept: a session's origins are the same on each of its pages."""
    if ANY in chosen:
        return (ANY,)
    return tuple(o for o in dict.fromkeys([*chosen, *_configured(configured)])
                 if origin_of(o) == o)


def csp() -> str:
    return _policy(_ancestors(_chosen(), _setting()))


@lru_cache(maxsize=1024)
def _policy(ancestors: tuple[str, ...]) -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors "
            + " ".join(["'self'", *ancestors]))


def init_app(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response
