"""The outbox and its worker: grade passback, roster sync, reminders."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the table
    from .cli import worker_command

    app.cli.add_command(worker_command)
