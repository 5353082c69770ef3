"""`lms-plugin serve`: gunicorn with defaults that suit the tool."""

from __future__ import annotations

import multiprocessing
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        return create_app()


def run_gunicorn(host: str, port: int, workers: int = 0) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers or multiprocessing.cpu_count() * 2 + 1,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 30,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": "-",
        }
    ).run()
