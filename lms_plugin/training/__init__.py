"""Lessons, progress and module completion."""

from __future__ import annotations

from flask import Flask

from ..quiz.signals import attempt_started, attempt_submitted
from . import models  # noqa: F401 - registers the tables
from .services import on_attempt_started, on_attempt_submitted
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Connecting the same function again is a no-op, so apps may share the signals.
    attempt_started.connect(on_attempt_started)
    attempt_submitted.connect(on_attempt_submitted)
