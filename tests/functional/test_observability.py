"""Request ids, JSON logs with them, and /metrics (Prometheus) for the monitoring system
only; a dropped database connection does not fail the next request."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from lms_plugin.extensions import db
from lms_plugin.observability import log_handler


def test_every_response_carries_a_request_id(client):
    mine = client.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345"})
    assert mine.headers["X-Request-ID"] == "proxy-abc-12345"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>bad</script>"})
    assert made.headers["X-Request-ID"] != "<script>bad</script>"
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_request_logs_are_json_lines_with_the_request_id(app, client):
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logger = logging.getLogger("lms_plugin.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.get("/healthz", headers={"X-Request-ID": "req-0123456789"})
        client.get("/no/such/page")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    first, second = lines
    assert first["request_id"] == "req-0123456789"
    assert (first["endpoint"], first["status"], first["method"]) == ("/healthz", 200, "GET")
    assert first["level"] == "INFO" and "duration_ms" in first and "time" in first
    assert (second["endpoint"], second["status"]) == ("unmatched", 404)


def test_metrics_are_served_to_loopback_only_without_a_token(app, client, lti):
    lti.launch(persona="learner")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'lms_plugin_request_seconds_bucket{endpoint="/lti/launch"' in body
    assert 'lms_plugin_launches_total{outcome="resource_link"}' in body
    assert "lms_plugin_quiz_submissions_total" in body
    assert "lms_plugin_outbox_depth" in body and "lms_plugin_outbox_oldest_age_seconds" in body
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 403


def test_with_a_token_metrics_need_it(app, client):
    app.config["LMS_PLUGIN_METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert right.status_code == 200


def test_a_refused_launch_is_counted(client, lti):
    before = _sample(client, 'lms_plugin_launches_total{outcome="refused"}')
    client.post("/lti/launch", data={"id_token": "garbage", "state": "nope"})
    assert _sample(client, 'lms_plugin_launches_total{outcome="refused"}') == before + 1


def _sample(client, name: str) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.postgresql
@pytest.mark.commits  # kills the pool's connections
def test_the_pool_survives_its_connections_being_dropped(app, client):
    """As when PostgreSQL restarts: every connection the pool holds is killed between two
    requests; the next request still succeeds (connections are checked at checkout, with
    no round trip: resilience.server_hung_up)."""
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        held = [db.engine.connect() for _ in range(3)]
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar() for c in held]
        for c in held:
            c.close()  # back to the pool, alive as far as the pool knows
        outsider = create_engine(db.engine.url, poolclass=NullPool)
        with outsider.connect() as conn:
            killed = conn.execute(text(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 10000) AS done "
                "FROM pg_stat_activity WHERE pid = ANY(:pids)) t WHERE done"),
                {"pids": pids}).scalar()
        outsider.dispose()
        assert killed == 3  # and gone: the timeout waits for them to end, as a restart does
    for _ in range(4):  # every pooled connection is dead; each request still works
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["checks"]["database"] == "ok"


RACE = """
import sys, threading, time
import prometheus_client
from lms_plugin import observability
real = prometheus_client.Histogram.__init__
def slow(self, *args, **kwargs):  # widen the window between "none yet" and "registered"
    time.sleep(0.05)
    real(self, *args, **kwargs)
prometheus_client.Histogram.__init__ = slow
errors = []
barrier = threading.Barrier(8)
def first_request():
    barrier.wait()
    try:
        observability.metrics()["launches"]
    except Exception as exc:
        errors.append(type(exc).__name__)
threads = [threading.Thread(target=first_request) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(",".join(errors) or "none")
"""


def test_the_first_requests_of_a_new_process_set_up_the_metrics_once():
    """Eight threads of a freshly started server ask for the metrics at once, with their
    set-up slowed down: none fails (without the lock, seven raised DuplicateTimeseries)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "none", out.stdout + out.stderr


COMMAND = """
import sys
from lms_plugin.cli import main
sys.argv = ["lms-plugin", *sys.argv[1:]]
main()
"""


@pytest.mark.e2e
def test_under_lms_plugin_serve_metrics_merge_every_workers_requests(tmp_path):
    """`lms-plugin serve` (gunicorn, two worker processes): /metrics counts the requests
    every worker answered. The command's own app imports prometheus_client before the
    multiprocess directory is set; the workers' metrics were then kept in memory and
    /metrics showed no request at all."""
    import os
    import subprocess
    import sys
    import time

    import requests

    from tests.support.servers import free_port

    port = free_port()
    env = {**os.environ, "LMS_PLUGIN_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "LMS_PLUGIN_LOG_LEVEL": "ERROR"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([sys.executable, "-c", COMMAND, "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=120)
    server = subprocess.Popen([sys.executable, "-c", COMMAND, "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "did not start"
            time.sleep(0.2)
        for _ in range(20):  # new connections: both workers answer some
            assert requests.get(url + "/healthz", timeout=10).ok
        body = requests.get(url + "/metrics", timeout=10).text
        counts = [float(line.split()[-1]) for line in body.splitlines() if line.startswith(
            'lms_plugin_request_seconds_count{endpoint="/healthz"')]
        assert sum(counts) >= 21, body[:2000]
    finally:
        server.terminate()
        server.wait(timeout=30)
