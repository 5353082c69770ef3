"""LTI 1.3: OIDC login, launch, key set, deep linking, dynamic registration."""

from __future__ import annotations

from flask import Flask

from ..jobs import register_handler
from . import cli, registrations
from .ags import SCORE_KIND, deliver_score
from .nrps import ROSTER_KIND, sync_roster
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    registrations.init_app(app)
    cli.init_app(app)
    register_handler(app, SCORE_KIND, deliver_score)
    register_handler(app, ROSTER_KIND, sync_roster)


__all__ = ["bp", "init_app"]
