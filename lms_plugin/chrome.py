"""Every page's header and footer (the "chrome"): the same for everyone who shares a
language, a script root and the header's few facts (signed in or not, supervises, how
many logged hours wait, admin), so each variant is rendered once per process and kept.
The sign-out form's CSRF token is the one personal part: the kept header holds a marker
in its place and the request's own token goes in when the page is made.

Rendering the chrome with its dozen translated strings and links was a third of a simple
page's work; a kept variant costs a dictionary lookup and one string replacement."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .i18n import current_locale

CACHE = "lms_plugin.chrome"
MARKER = "\x00csrf-token\x00"  # never in a page: requests with a NUL are refused (inputs)
MOST = 512  # variants kept per process (a busy supervisor's count is a variant)


def _kept(template: str, facts: tuple[Any, ...], **context: Any) -> str:
    """The template rendered with these facts in this language under this script root:
    from the process's cache, or rendered now and kept."""
    key = (template, current_locale(), request.script_root, *facts)
    cache: dict[tuple[Any, ...], str] = current_app.extensions.setdefault(CACHE, {})
    found = cache.get(key)
    if found is None:
        found = render_template(template, csrf_token_marker=MARKER, **context)
        if len(cache) >= MOST:
            cache.clear()
        cache[key] = found
    return found


def page_header(signed_in: Any, supervisor: Any = False, pending: Any = 0,
                reports: Any = False) -> Markup:
    """The site header: its navigation, with the sign-out form for a signed-in person."""
    facts = (bool(signed_in), bool(supervisor), int(pending or 0), bool(reports))
    html = _kept("_header.html", facts, signed_in=facts[0], supervisor=facts[1],
                 pending=facts[2], reports=facts[3])
    if facts[0]:
        html = html.replace(MARKER, generate_csrf())
    return Markup(html)  # noqa: S704 - rendered from our own template, escaped there


def page_footer(signed_in: Any) -> Markup:
    return Markup(_kept("_footer.html", (bool(signed_in),), signed_in=bool(signed_in)))  # noqa: S704


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_header"] = page_header
    app.jinja_env.globals["page_footer"] = page_footer
