"""The one check every admin view makes: the signed-in person is an L&D admin (the ADMIN
role of this session's launch, or an admin signed in at /admin/login)."""

from __future__ import annotations

from flask import abort, session

from ..users.models import ADMIN


def is_admin() -> bool:
    return ADMIN in session.get("roles", [])


def require_admin() -> None:
    if not is_admin():
        abort(403, description="Only an L&D admin can open this page.")
