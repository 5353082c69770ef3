"""Quizzes: attempts, the question-type registry, grading (pure), review."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the table
    from .views import bp

    app.register_blueprint(bp)
