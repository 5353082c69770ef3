"""Security headers on every response: a Content-Security-Policy whose frame-ancestors
lists only the registered LMSs' origins (so no other site can frame the tool), HSTS on
secure requests, nosniff and a referrer policy."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from sqlalchemy import select

from .extensions import db

CACHE_SECONDS = 60.0


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def frame_ancestors() -> list[str]:
    """The registered platforms' origins (issuer, OIDC endpoint, and where launches were
    seen coming from), plus LMS_PLUGIN_FRAME_ANCESTORS. Cached briefly per process."""
    cache: dict[str, Any] = current_app.extensions.setdefault(
        "frame_ancestors", {"at": -CACHE_SECONDS, "origins": []})
    now = time.monotonic()
    if now - cache["at"] >= CACHE_SECONDS:
        from .lti.models import Platform

        found: set[str] = set()
        for issuer, login, seen in db.session.execute(
                select(Platform.issuer, Platform.auth_login_url, Platform.frame_origins)):
            for url in (issuer, login, *(seen or "").split()):
                origin = origin_of(url)
                if origin:
                    found.add(origin)
        for extra in str(current_app.config.get("LMS_PLUGIN_FRAME_ANCESTORS") or "").split():
            origin = origin_of(extra)
            if origin:
                found.add(origin)
        cache.update(at=now, origins=sorted(found))
    return list(cache["origins"])


def forget_frame_ancestors() -> None:
    current_app.extensions.pop("frame_ancestors", None)


def csp() -> str:
    ancestors = " ".join(["'self'", *frame_ancestors()])
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors " + ancestors)


def init_app(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        try:
            response.headers.setdefault("Content-Security-Policy", csp())
        except Exception:  # noqa: BLE001 - the database is down: frame only from ourselves
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response
