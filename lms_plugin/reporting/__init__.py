"""L&D admin reporting: dashboards, exports and the programme-evaluation survey, every
aggregate through the small-group suppression in `suppression`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401 - registers the tables
