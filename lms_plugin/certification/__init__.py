"""Peer-supporter certification: programme rules (pure), logged hours, certificates."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables
    from .views import bp

    app.register_blueprint(bp)
