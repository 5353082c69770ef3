"""What the tool holds about a person, told plainly (the privacy page) and handed over
(a JSON download of everything about the signed-in person)."""

from __future__ import annotations

from flask import Flask, Response, request, session

from .cli import retention
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(retention)
    app.after_request(no_store_personal_data)


def no_store_personal_data(response: Response) -> Response:
    """`Cache-Control: no-store` on everything that may carry personal data, so no browser
    cache, shared computer or proxy keeps it: every response to a signed-in session (pages,
    exports, the personal data download, even redirects and refusals: deciding page by
    page is how one gets missed) and any download. Public static files stay cacheable, and
    so do pages served without a session (help, privacy, public verification)."""
    if request.endpoint == "static":
        return response
    if "_user_id" in session or response.headers.get(
            "Content-Disposition", "").startswith("attachment"):
        response.headers["Cache-Control"] = "no-store"
    return response
