"""The outbox and its worker: grade passback, roster sync, reminders. The worker knows no
feature: each registers, in its `init_app`, the handler for its kind of outbox message
and any periodic work (`register_handler`, `register_periodic`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from . import models  # noqa: F401 - registers the table
from .cli import worker_command

KEY = "lms_plugin.jobs"
Handler = Callable[[dict[str, Any]], None]


def registry(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault(KEY, {"handlers": {}, "periodic": []})


def register_handler(app: Flask, kind: str, handler: Handler) -> None:
    """`handler(payload)` delivers one outbox message of this kind (raising to retry)."""
    registry(app)["handlers"][kind] = handler


def hourly(config: Mapping[str, Any]) -> float:
    """The default interval of periodic work: LMS_PLUGIN_PERIODIC_SECONDS (an hour)."""
    return float(config.get("LMS_PLUGIN_PERIODIC_SECONDS", 3600))


@dataclass(frozen=True)
class Periodic:
    work: Callable[[], int]
    every: Callable[[Mapping[str, Any]], float]  # seconds, from the app's config


def register_periodic(app: Flask, work: Callable[[], int],
                      every: Callable[[Mapping[str, Any]], float] = hourly) -> None:
    """`work()` runs in any worker when it starts and then every `every(config)`
    seconds, safe to run concurrently; returns how much it did."""
    registry(app)["periodic"].append(Periodic(work, every))


def init_app(app: Flask) -> None:
    registry(app)
    app.cli.add_command(worker_command)
