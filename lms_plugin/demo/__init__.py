"""The built-in demo LMS (only in demo mode)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .setup import mount
    from .views import bp

    mount(app)
    app.register_blueprint(bp)
