"""L&D admin reporting: dashboards, exports and the programme-evaluation survey, every
aggregate through the small-group suppression in `suppression`."""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_login import current_user

from ..jobs import register_periodic
from ..users.models import ADMIN
from .cli import reports
from .maintained import REFRESH_EVERY, refresh_periodically
from .services import warm_every, warm_reports
from .survey import due_phase
from .views import bp


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables

    app.register_blueprint(bp)
    app.cli.add_command(reports)
    register_periodic(app, warm_reports, warm_every)  # no admin waits on a cold dashboard
    register_periodic(app, refresh_periodically, lambda _: REFRESH_EVERY)

    @app.context_processor
    def reporting_nav() -> dict[str, Any]:
        def survey_invite(modules_done: int, modules_total: int) -> str | None:
            """The survey phase to invite the learner to on the overview, if any."""
            if not current_user.is_authenticated:
                return None
            return due_phase(current_user, modules_done, modules_total, modules_done > 0)

        return {"nav_reports": ADMIN in session.get("roles", []),
                "survey_invite": survey_invite}
