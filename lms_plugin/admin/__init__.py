"""The L&D admin area: one sub-navigation over reports, people, programmes, erasure
requests and the audit log; people search, the person page and its actions."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_login import current_user

from ..users.access import is_admin
from ..users.sessions import current_organisation_id
from . import programmes  # noqa: F401 - programme administration routes
from .cli import admin_cli
from .services import open_erasure_requests
from .views import bp, legacy

# Which admin section each page belongs to (pages of other packages included), for the
# admin sub-navigation that base.html shows on each of them.
SECTIONS = {
    "reporting.dashboard": "reports", "reporting.summary": "reports",
    "reporting.pipeline_list": "reports", "reporting.report_people": "reports",
    "admin.people": "people", "admin.person": "people", "admin.revoke": "people",
    "admin.programmes": "programmes", "admin.programme_people": "programmes",
    "admin.erasure_requests": "erasure", "admin.audit_log": "audit",
}


def init_app(app: Flask) -> None:
    app.cli.add_command(admin_cli)
    app.register_blueprint(bp)
    legacy(app)

    @app.context_processor
    def admin_nav() -> dict[str, Any]:
        signed_in = current_user.is_authenticated and is_admin()
        section = SECTIONS.get(request.endpoint or "") if signed_in else None
        return {"admin_section": section, "open_erasure_requests": _open_requests}


def _open_requests() -> int:
    return open_erasure_requests(current_organisation_id())
