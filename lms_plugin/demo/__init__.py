"""The built-in demo LMS (only in demo mode)."""

from __future__ import annotations

from flask import Flask

from .setup import mount
from .views import bp


def init_app(app: Flask) -> None:
    mount(app)
    app.register_blueprint(bp)
