"""People and the courses they arrive from."""

from __future__ import annotations

from flask import Flask, render_template

from ..extensions import login_manager
from .sessions import load_session_user
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    login_manager.user_loader(load_session_user)

    @login_manager.unauthorized_handler
    def unauthorized():
        return render_template("errors/not_signed_in.html"), 401
