"""The tool's own address: LMS_PLUGIN_BASE_URL when set (behind a proxy, the address LMSs
were given), else the host this request reached; and the paths templates build
(`remembered_url_for`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import current_app, has_request_context, request, url_for


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


URLS = "lms_plugin.urls"  # app.extensions key: the paths templates built


def remembered_url_for(endpoint: str, **values: Any) -> str:
    """Templates' url_for: a path built once per app, endpoint, arguments and script root
    (a page builds 10-20, the same on every request; werkzeug's builder is a third of a
    simple page's URL work). Anything else (an external URL, an anchor, a relative
    endpoint, an argument that cannot be a key) is built as Flask would."""
    if (endpoint.startswith(".") or any(name.startswith("_") for name in values)
            or not has_request_context()):
        return url_for(endpoint, **values)
    try:
        key = (endpoint, request.script_root, *sorted(values.items()))
        hash(key)
    except TypeError:
        return url_for(endpoint, **values)
    urls: dict[tuple[Any, ...], str] = current_app.extensions.setdefault(URLS, {})
    found = urls.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if len(urls) > 4096:  # e.g. one per certificate verified: keep it bounded
            urls.clear()
        urls[key] = found
    return found
