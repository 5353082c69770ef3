"""Lessons, progress and module completion."""

from __future__ import annotations

from flask import Flask

from ..quiz.signals import attempt_started, attempt_submitted
from ..users.sessions import register_page_fact
from . import models  # noqa: F401 - registers the tables
from .services import lesson_done_fact, on_attempt_started, on_attempt_submitted
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_page_fact(app, "lesson_done", lesson_done_fact)  # the lesson page's one question
    # Connecting the same function again is a no-op, so apps may share the signals.
    attempt_started.connect(on_attempt_started)
    attempt_submitted.connect(on_attempt_submitted)
