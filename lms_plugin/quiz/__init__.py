"""Quizzes: attempts, the question-type registry, grading (pure), review."""

from __future__ import annotations

from flask import Flask

from ..content.cli import register_check
from ..jobs import register_periodic
from . import models  # noqa: F401 - registers the table
from .services import submit_expired_attempts
from .validity import bank_check
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_periodic(app, submit_expired_attempts)  # timed tries left open
    register_check(app, bank_check)  # `content validate`: can tricks pass the quiz?
