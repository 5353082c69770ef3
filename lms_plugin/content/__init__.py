"""Training content kept as files (modules/, quizzes/), validated, versioned and synced
into the database that serves it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, models  # noqa: F401 - models register their table

    cli.init_app(app)
