"""Request ids, structured (JSON) logs and Prometheus metrics.

Every request gets an id (the proxy's `X-Request-ID` when it is sane, else a new one),
returned in the response and put on every log line written while handling it. Metrics
are served at /metrics to Prometheus only: with `LMS_PLUGIN_METRICS_TOKEN` set, a bearer
token is required; without it, only loopback may scrape. Under gunicorn the metrics of
every worker process are merged (prometheus_client's multiprocess mode, set up by
`lms-plugin serve` in `PROMETHEUS_MULTIPROC_DIR`). The metrics are made when the app is
created (in each gunicorn worker, which creates its own app), not by the first
requests; a process that made them before that directory was set (the `serve` command's
own app, whose workers are forked from it) makes them again for the directory.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from prometheus_client import Counter, Histogram, multiprocess, values
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter

from .jobs.outbox import outbox_depth

log = logging.getLogger("lms_plugin.request")
bp = Blueprint("observability", __name__)
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_metrics: dict[str, dict[str, Any]] = {}  # by multiprocess directory ("" for none)
_metrics_lock = threading.Lock()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr (LMS_PLUGIN_LOG_FORMAT=json, the default outside demo and
    tests), or plain text."""
    fmt = app.config.get("LMS_PLUGIN_LOG_FORMAT") or (
        "text" if app.testing or app.config.get("LMS_PLUGIN_DEMO") else "json")
    root = logging.getLogger()
    if app.testing or any(getattr(h, "_lms_plugin", False) for h in root.handlers):
        return
    root.addHandler(log_handler(fmt, sys.stderr))
    root.setLevel(app.config.get("LMS_PLUGIN_LOG_LEVEL") or "INFO")


def log_handler(fmt: str, stream: Any) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler._lms_plugin = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    return handler


def metrics() -> dict[str, Any]:
    """The process's metrics, made once (per multiprocess directory) under a lock: a
    freshly started threaded server's first requests arrive together, and registering a
    metric twice is an error (issue 15: 3 of the first 10 requests answered 500).
    `init_app` makes them, so requests only read them."""
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
    made = _metrics.get(shared)
    if made is not None:
        return made
    with _metrics_lock:
        made = _metrics.get(shared)
        if made is not None:
            return made
        registry: Any = REGISTRY
        if shared:
            # Values in the directory's files (prometheus_client chose the kind of value
            # when it was imported, perhaps before the directory was set); the collector
            # of /metrics reads the files, so nothing is registered in this process.
            values.ValueClass = values.get_value_class()
            registry = None
        made = {
            "requests": Histogram(
                "lms_plugin_request_seconds", "Time to answer a request, by endpoint",
                ["endpoint", "method", "status"], registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)),
            "launches": Counter("lms_plugin_launches_total", "LTI launches, by outcome",
                                ["outcome"], registry=registry),
            "submissions": Counter("lms_plugin_quiz_submissions_total",
                                   "Quiz attempts submitted", registry=registry),
            "database": Counter("lms_plugin_database_unavailable_total",
                                "Requests that met a lost or unreachable database, by "
                                "outcome (retried: a read run again; unavailable: answered "
                                "503)", ["outcome"], registry=registry),
        }
        _metrics[shared] = made
    return made


def count_launch(outcome: str) -> None:
    metrics()["launches"].labels(outcome).inc()


def count_submission() -> None:
    metrics()["submissions"].inc()


def count_database_error(outcome: str) -> None:
    metrics()["database"].labels(outcome).inc()


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.register_blueprint(bp)
    metrics()  # at app creation: never raced for by the first requests

    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if SANE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("started")
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        if endpoint != "/metrics":
            metrics()["requests"].labels(endpoint, request.method,
                                         f"{response.status_code // 100}xx").observe(elapsed)
        if log.isEnabledFor(logging.INFO):  # logging at WARNING: build nothing
            log.info("request", extra={
                "method": request.method, "endpoint": endpoint,
                "status": response.status_code, "duration_ms": round(elapsed * 1000, 1)})
        return response


def _allowed() -> bool:
    token = current_app.config.get("LMS_PLUGIN_METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/metrics")
def metrics_view() -> Response:
    if not _allowed():
        abort(403, description="Metrics are for the monitoring system only.")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    metrics()  # the families exist even before their first sample
    registry: Any = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry)


    depth, oldest = outbox_depth()
    age = 0.0
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    extra = CollectorRegistry()

    class Outbox:
        def collect(self) -> Any:
            yield GaugeMetricFamily("lms_plugin_outbox_depth",
                                    "Messages for the LMS not yet delivered", value=depth)
            yield GaugeMetricFamily("lms_plugin_outbox_oldest_age_seconds",
                                    "Age of the oldest undelivered message", value=age)

    extra.register(Outbox())
    return Response(body + generate_latest(extra), mimetype=CONTENT_TYPE_LATEST)
