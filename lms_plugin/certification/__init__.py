"""Peer-supporter certification: programme rules (pure), logged hours, certificates."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..users.models import ADMIN, MENTOR


def init_app(app: Flask) -> None:
    from ..training.signals import module_completed
    from . import (
        admin_views,  # noqa: F401 - admin routes on the same blueprint
        models,  # noqa: F401 - registers the tables
    )
    from .services import reevaluate_after_module
    from .views import bp

    app.register_blueprint(bp)
    # Certification follows evidence: a module completed (a quiz passed) may be the last
    # requirement. Connecting the same function again is a no-op, so apps may share it.
    module_completed.connect(reevaluate_after_module)

    @app.context_processor
    def certification_nav() -> dict[str, Any]:
        """Links for the header: the directory for everyone signed in, supervision for
        mentors, people for admins."""
        from flask import session

        roles = set(session.get("roles", []))
        return {"nav_supervisor": bool(roles & {MENTOR, ADMIN}),
                "nav_admin": ADMIN in roles}
