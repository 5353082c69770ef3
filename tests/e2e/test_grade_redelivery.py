"""A worker killed in the middle of sending a grade: its claim expires, another worker sends
the same score again (at least once), with the same timestamp, and the LMS keeps it once
(Moodle refuses the copy with 409, which counts as delivered; Canvas stores the same score
again). Real `lms-plugin worker --once` processes, a real SIGKILL, and Moodle and Canvas
fakes that hold the first score POST (after storing it) until the worker is dead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request
from sqlalchemy import select

from lms_plugin import config
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import SAMPLE_CONTENT, SECRET, make_app, sync
from tests.support.lms import FakeCanvas, FakeMoodle
from tests.support.lms.common import FakeLmsBase
from tests.support.lms_browser import Tool, lms_launch, register, take_quiz
from tests.support.servers import ServerThread, free_port

pytestmark = pytest.mark.e2e

WORKER = "from lms_plugin.cli import main; main()"
KEY = "registration-key-for-this-test"


class HoldFirstScore:
    """Wraps every view of a fake LMS: each score POST is answered as the LMS answers it,
    but the first one's answer is held (the score already stored) until `release`."""

    def __init__(self, app: Flask):
        self.posts: list[tuple[str, int]] = []  # (timestamp sent, status answered)
        self.arrived, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        for endpoint, view in list(app.view_functions.items()):
            app.view_functions[endpoint] = self._wrap(view)

    def _wrap(self, view: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any, **kwargs: Any) -> Any:
            response = view(*args, **kwargs)
            if request.method != "POST" or not request.path.split("?")[0].endswith("/scores"):
                return response
            stamp = json.loads(request.get_data(as_text=True)).get("timestamp")
            with self._lock:
                self.posts.append((stamp, response.status_code))
                first = len(self.posts) == 1
            if first:
                self.arrived.set()
                self.release.wait(timeout=120)
            return response

        return held


@pytest.fixture
def tool(app: Flask, migrated: str, tmp_path: Path) -> Iterator[Tool]:
    sync(app, SAMPLE_CONTENT)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tool_app = make_app(migrated, tmp_path / "tool", LMS_PLUGIN_BASE_URL=base,
                        LMS_PLUGIN_ROSTER_SYNC_SECONDS=0,  # the grade is what is followed
                        LMS_PLUGIN_REGISTRATION_KEY=KEY)
    server = ServerThread(tool_app, port=port).start()
    yield Tool(tool_app, server, base)
    server.stop()


@pytest.fixture(params=["moodle", "canvas"])
def lms(request: pytest.FixtureRequest) -> Iterator[FakeLmsBase]:
    with (FakeMoodle() if request.param == "moodle" else FakeCanvas()) as fake:
        yield fake


def a_learner_passes(lms: FakeLmsBase, tool: Tool) -> None:
    """The tool registered with the LMS, a quiz link with a grade item, a learner who
    launches it and passes."""
    register(requests.Session(),
             lms.registration_page_url(tool.url + f"/lti/register?key={KEY}"))
    course = lms.add_course("Wellbeing at work")
    if isinstance(lms, FakeCanvas):
        lms.install(course)  # Canvas makes the deployment here; the launch names it
    link = lms.add_link(course, "Listening quiz", custom={"module": "listening", "open": "quiz"},
                        score_maximum=100)
    _learner_passes(lms.start_launch_url(link), tool)


def _learner_passes(start_url: str, tool: Tool) -> None:
    learner = requests.Session()
    assert lms_launch(learner, start_url).status_code == 200
    take_quiz(learner, tool)


def worker(tool: Tool, migrated: str, tmp: Path) -> subprocess.Popen[bytes]:
    """`lms-plugin worker --once` in its own process, with the tool's settings (from the
    environment, as in production) and a one-second lease."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = {f"LMS_PLUGIN_{name}": tool.app.config[f"LMS_PLUGIN_{name}"]
                for name in config.DEFAULTS}
    env = {**os.environ, **{k: str(int(v) if isinstance(v, bool) else v)
                            for k, v in settings.items()},
           "DATABASE_URL": migrated, "SECRET_KEY": SECRET, "LMS_PLUGIN_INSTANCE_PATH": str(tmp),
           "LMS_PLUGIN_OUTBOX_LEASE_SECONDS": "1", "LMS_PLUGIN_LOG_FORMAT": "text"}
    env.pop("REDIS_URL", None)  # the tool under test keeps its state in the database
    return subprocess.Popen([sys.executable, "-c", WORKER, "worker", "--once"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_worker_killed_mid_send_leaves_the_score_once_in_the_gradebook(
        app, migrated, tmp_path, tool, lms):
    a_learner_passes(lms, tool)
    [message] = outbox(app)
    stamp = message.payload["score"]["timestamp"]
    with app.app_context():
        submitted = db.session.scalars(select(QuizAttempt.submitted_at)).one()
    # The timestamp is the submit time, fixed in the row when it was written.
    assert datetime.fromisoformat(stamp) == _aware(submitted)
    held = HoldFirstScore(lms.school_app if isinstance(lms, FakeCanvas) else lms.app)

    first = worker(tool, migrated, tmp_path / "first")
    try:
        assert held.arrived.wait(timeout=120), "the first worker never posted the score"
        first.kill()  # mid-POST: the LMS has stored the score; the worker never hears so
        first.wait(timeout=30)
    finally:
        held.release.set()
        first.communicate()
    [message] = outbox(app)
    assert message.sent_at is None and message.locked_by is not None
    lease_ends = _aware(message.locked_until)  # type: ignore[arg-type]
    wait_until(lambda: datetime.now(UTC) > lease_ends, "the dead worker's lease expired",
               seconds=30)

    second = worker(tool, migrated, tmp_path / "second")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode(errors="replace")[-3000:]
    assert b"attempted 1;" in out, out

    # Sent twice, identically. Moodle refuses a timestamp that is not newer (409: done);
    # Canvas takes an equal one again.
    again = 409 if isinstance(lms, FakeMoodle) else 200
    assert held.posts == [(stamp, 200), (stamp, again)]
    [score] = lms.scores()
    assert (score.score_given, score.timestamp) == (100, stamp)
    [message] = outbox(app)
    assert message.sent_at is not None and message.last_error is None
