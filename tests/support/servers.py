"""Real HTTP servers for tests: a WSGI app on a free loopback port, in a thread or process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import requests
from werkzeug.serving import make_server

from tests.support import key_pool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    def __init__(self, app: Any, port: int | None = None, ssl_context: Any = None):
        self.app = app
        self.port = port or free_port()
        self.scheme = "https" if ssl_context else "http"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True,
                                  ssl_context=ssl_context)
        # A short poll: shutdown() waits for the loop's next poll (werkzeug: 0.5 s).
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        key_pool.serve(self.server)  # made in a test: its keys are the test's

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
        # Close the app's pooled database connections now, not whenever it is collected.
        if "sqlalchemy" in getattr(self.app, "extensions", {}):
            from lms_plugin.extensions import db

            with self.app.app_context():
                db.engine.dispose()


SERVE_SCRIPT = """
import sys
from werkzeug.serving import run_simple
from lms_plugin import create_app
run_simple("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True)
"""


class ServerProcess:
    """The tool in its own process: nothing shared with the test but the database/Redis."""

    def __init__(self, env: dict[str, str], port: int | None = None):
        self.port = port or free_port()
        full_env = {**os.environ, **env}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT, str(self.port)],
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                break
        self.log.seek(0)
        err = self.log.read().decode(errors="replace")
        self.stop()
        raise RuntimeError(f"tool process did not start: {err[-2000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
