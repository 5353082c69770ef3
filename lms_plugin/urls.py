"""The tool's own address: LMS_PLUGIN_BASE_URL when set (behind a proxy, the address LMSs
were given), else the host this request reached."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import current_app, request, url_for


def base_url() -> str:
    return (current_app.config.get("LMS_PLUGIN_BASE_URL") or request.host_url).rstrip("/")


def launch_url() -> str:
    """Where LMSs post launches (also the OIDC redirect URI and the deep-link target)."""
    return base_url() + url_for("lti.launch")


def own_origins() -> set[str]:
    """Origins the tool answers on: this request's host and the configured base URL."""
    found = {request.host_url.rstrip("/")}
    if current_app.config.get("LMS_PLUGIN_BASE_URL"):
        found.add(current_app.config["LMS_PLUGIN_BASE_URL"].rstrip("/"))
    return found


def is_ours(url: str) -> bool:
    """Whether a URL points at this tool (its host, or the configured base URL's)."""
    allowed = {urlparse(origin).netloc for origin in own_origins()}
    try:
        return urlparse(url).netloc in allowed
    except ValueError:  # not a URL at all ("a://[")
        return False
