"""Where a launch lands when it names no module: the first page a feature claims for this
person, else the programme overview. Features register their choice in their `init_app`
(certification: a supervisor's queue), so the launch never imports them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, url_for

from ..users.models import User

Chooser = Callable[[User, set[str]], str | None]
KEY = "lms_plugin.landing"


def register_landing(app: Flask, chooser: Chooser) -> None:
    """`chooser(person, roles)` returns a URL to land on, or None to leave it to others."""
    app.extensions.setdefault(KEY, []).append(chooser)


def landing_url(user: User, roles: set[str]) -> str:
    for chooser in current_app.extensions.get(KEY, []):
        if (url := chooser(user, roles)) is not None:
            return url
    return url_for("training.overview")
