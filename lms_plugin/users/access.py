"""Who may open a page: the roles of this session (from the signed launch, or an admin
signed in at /admin/login). The one check every role-limited view makes."""

from __future__ import annotations

from flask import abort, session
from flask_babel import gettext

from .models import ADMIN


def is_admin() -> bool:
    return has_role(ADMIN)


def require_admin() -> None:
    if not is_admin():
        abort(403, description=gettext("Only an L&D admin can open this page."))


def has_role(role: str) -> bool:
    return role in session.get("roles", [])
