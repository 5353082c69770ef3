"""People and the courses they arrive from."""

from __future__ import annotations

from flask import Flask, render_template

from ..extensions import login_manager
from .services import get_user


def init_app(app: Flask) -> None:
    from .cli import admin_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(admin_cli)

    @login_manager.user_loader
    def load_user(user_id: str):
        return get_user(int(user_id)) if user_id.isdigit() else None

    @login_manager.unauthorized_handler
    def unauthorized():
        return render_template("errors/not_signed_in.html"), 401
