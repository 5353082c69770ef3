"""LTI 1.3: OIDC login, launch, key set, deep linking, dynamic registration."""

from __future__ import annotations

from flask import Flask

from .views import bp


def init_app(app: Flask) -> None:
    from . import cli

    app.register_blueprint(bp)
    cli.init_app(app)


__all__ = ["bp", "init_app"]
