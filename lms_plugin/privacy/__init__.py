"""What the tool holds about a person, told plainly (the privacy page) and handed over
(a JSON download of everything about the signed-in person)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .cli import retention
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(retention)
