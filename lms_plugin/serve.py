"""`lms-plugin serve`: gunicorn with defaults that suit the tool: workers from the CPU
count, threads for requests that wait on the database, timeouts, JSON request logs from
the app (not gunicorn's access log), proxy headers trusted only through
`LMS_PLUGIN_PROXY_FIX`, Prometheus metrics merged across worker processes, and what
start-up made kept out of the garbage collector's way (`settle`)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
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

        app = create_app()
        settle()
        return app


def settle() -> None:
    """Called once the app is made (each gunicorn worker, `wsgi.py`): what start-up made
    (the app, its URL map and templates, the content catalog, SQLAlchemy's mappers: about
    175,000 objects in the benchmark's process) lives as long as the process, and is
    moved out of the cyclic garbage collector's sight (`gc.freeze`). Otherwise each full
    collection scans all of it, about 100 ms, and a request that makes many objects (a
    fresh dashboard) sets one off every other time. Start-up's own garbage is collected
    first, so none of it is kept."""
    gc.collect()
    gc.freeze()


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def default_workers() -> int:
    return multiprocessing.cpu_count() * 2 + 1


def gunicorn_options(host: str, port: int, workers: int = 0) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,  # the app logs each request as JSON, with its request id
        "forwarded_allow_ips": "",  # X-Forwarded-* only via LMS_PLUGIN_PROXY_FIX
        "child_exit": _child_exit,
    }


def run_gunicorn(host: str, port: int, workers: int = 0) -> None:
    # Metrics from every worker process, merged at /metrics. Must be set before
    # prometheus_client is first imported (the app imports it lazily).
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lms-plugin-metrics-")
    _Server(gunicorn_options(host, port, workers)).run()
