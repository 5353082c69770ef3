"""L&D admin reporting: dashboards, exports and the programme-evaluation survey, every
aggregate through the small-group suppression in `suppression`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, session
from flask_login import current_user

from ..jobs import register_periodic
from ..training.services import register_progress_fact
from ..users.models import ADMIN
from .cli import reports
from .maintained import REFRESH_EVERY, refresh_periodically
from .models import POST, PRE
from .services import warm_every, warm_reports
from .survey import answered_fact, answered_key, due_phase
from .views import bp


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables

    app.register_blueprint(bp)
    app.cli.add_command(reports)
    for phase in (PRE, POST):  # the overview's survey invitation: read with the progress
        register_progress_fact(app, answered_key(phase), answered_fact(phase))
    register_periodic(app, warm_reports, warm_every)  # no admin waits on a cold dashboard
    register_periodic(app, refresh_periodically, lambda _: REFRESH_EVERY)

    @app.context_processor
    def reporting_nav() -> dict[str, Any]:
        def survey_invite(modules_done: int, modules_total: int,
                          known: Mapping[str, bool] | None = None) -> str | None:
            """The survey phase to invite the learner to on the overview, if any (`known`:
            the progress facts the page read, with whether they answered each phase)."""
            if not current_user.is_authenticated:
                return None
            return due_phase(current_user, modules_done, modules_total, modules_done > 0,
                             known)

        return {"nav_reports": ADMIN in session.get("roles", []),
                "survey_invite": survey_invite}
