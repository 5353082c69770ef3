"""Lessons, progress and module completion."""

from __future__ import annotations

from flask import Flask

from .views import bp


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables

    app.register_blueprint(bp)
