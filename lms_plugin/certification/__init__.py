"""Peer-supporter certification: programme rules (pure), logged hours, certificates."""

from __future__ import annotations

from typing import Any

from flask import Flask, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..jobs import register_periodic
from ..lti.landing import register_landing
from ..resilience import rollback_quietly
from ..training.services import register_supporter_path
from ..training.signals import module_completed
from ..users.models import ADMIN, MENTOR
from ..users.sessions import register_session_fact, session_fact
from .certificates import reevaluate_after_module
from .cli import programme_cli
from .hours import count_hours_awaiting, hours_awaiting_count
from .observation_views import bp as observations_bp
from .path import ENROLLED, enrolled_in_any, on_supporter_path
from .reminders import send_due_reminders
from .supervisors import lands_on_supervision, supervises_anyone
from .training_certificate import on_module_completed
from .views import bp


def init_app(app: Flask) -> None:
    from . import (
        models,  # noqa: F401 - registers the tables
    )

    app.register_blueprint(bp)
    app.cli.add_command(programme_cli)
    app.register_blueprint(observations_bp)
    register_supporter_path(app, on_supporter_path)  # enrolled: the peer-supporter modules
    register_periodic(app, send_due_reminders)
    register_landing(app, lambda user, roles, facts: url_for("certification.supervision")
                     if MENTOR in roles or facts.get("supervises") else None,
                     facts={"supervises": supervises_anyone})  # a supervisor's home
    # Certification follows evidence: a module completed (a quiz passed) may be the last
    # requirement. Connecting the same function again is a no-op, so apps may share it.
    module_completed.connect(reevaluate_after_module)
    module_completed.connect(on_module_completed)  # the training certificate
    # The header's facts, read with the signed-in person (users.sessions): no query of
    # their own on any page.
    register_session_fact(app, "hours_awaiting", hours_awaiting_count)
    register_session_fact(app, "supervises", supervises_anyone)
    register_session_fact(app, ENROLLED, enrolled_in_any)  # the training path (path.py)

    @app.context_processor
    def certification_nav() -> dict[str, Any]:
        """Links for the header: the directory for everyone signed in, supervision for
        mentors, people for admins."""
        roles = set(session.get("roles", []))
        try:
            signed_in = current_user.is_authenticated  # may load the person: the database
            pending, supervises = _header_counts(roles) if signed_in else (0, False)
            supervisor = bool(roles & {ADMIN}) or bool(pending) or supervises
        except SQLAlchemyError:  # an error page after a failed transaction, or a lost
            # connection: the header does without the count, and the session is rolled
            # back so the rest of the page may still query (else PendingRollbackError, a 500)
            rollback_quietly()
            pending, supervisor = 0, bool(roles & {ADMIN, MENTOR})
        return {"nav_supervisor": supervisor, "nav_pending": pending,
                "nav_admin": ADMIN in roles}


def _header_counts(roles: set[str]) -> tuple[int, bool]:
    """The signed-in person's logged hours awaiting their decision, and whether they land
    on supervision: read with the person (users.sessions), else asked here."""
    pending, supervises = session_fact("hours_awaiting"), session_fact("supervises")
    if pending is None or supervises is None:
        return (count_hours_awaiting(current_user),
                lands_on_supervision(current_user, roles))
    return int(pending), MENTOR in roles or bool(supervises)
