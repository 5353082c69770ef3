"""Several tool processes share one database (and Redis): a login handled by one and the
launch by another both work, because no LTI state lives in a process's memory."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import SECRET
from tests.support.browser import HttpBrowser, parse_form
from tests.support.servers import ServerProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_login_on_one_instance_launch_on_another(app, live_tool, platform, migrated,
                                                 tmp_path: Path, shared):
    env = {
        "DATABASE_URL": migrated,
        "SECRET_KEY": SECRET,
        "LMS_PLUGIN_INSTANCE_PATH": str(tmp_path),
        "LMS_PLUGIN_ALLOW_PRIVATE_URLS": "1",  # the test LMS is on a loopback address
    }
    prefix = f"lms_plugin_test_{uuid.uuid4().hex[:8]}:"
    if shared == "redis":
        env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        env["LMS_PLUGIN_REDIS_PREFIX"] = prefix
    # Both instances answer for one public name, as behind a load balancer.
    port = free_port()
    env["LMS_PLUGIN_BASE_URL"] = f"http://127.0.0.1:{port}"
    first = ServerProcess(env, port=port)
    second = ServerProcess(env)
    try:
        platform.point_at_tool(first.url)
        browser = HttpBrowser()
        form = browser.login(platform.url)  # OIDC login handled by the first process
        assert form.action == first.url + "/lti/launch"
        response = browser.session.post(second.url + "/lti/launch", data=form.fields)
        assert response.status_code == 200, response.text
        assert "Your peer support programme" in response.text
        # And the session made by the second is honoured by the first.
        assert browser.session.get(first.url + "/modules/skills").status_code == 200
        # A quiz started on the first instance is submitted on the second, once.
        page = browser.session.get(first.url + "/quiz/awareness").text
        started = browser.session.post(first.url + "/quiz/awareness/start", data={
            "csrf_token": parse_form(page).fields["csrf_token"]})
        assert started.url.startswith(first.url + "/quiz/attempts/"), started.url
        attempt_path = started.url.removeprefix(first.url)
        form = parse_form(browser.session.get(second.url + attempt_path).text)
        summary = browser.session.post(second.url + attempt_path,
                                       data={**form.fields, "action": "summary"})
        assert summary.url.endswith(attempt_path + "/summary"), summary.url
        data = {"csrf_token": form.fields["csrf_token"], "confirm": "anyway"}
        review = browser.session.post(second.url + attempt_path + "/submit", data=data)
        assert review.status_code == 200 and "You scored" in review.text
        again = browser.session.post(first.url + attempt_path + "/submit", data=data)
        assert again.status_code == 200 and "You scored" in again.text
        with app.app_context():
            attempts = db.session.scalars(select(QuizAttempt)).all()
            assert len(attempts) == 1 and attempts[0].submitted_at is not None
        if shared == "redis":
            client = redis.Redis.from_url(env["REDIS_URL"])
            assert list(client.scan_iter(prefix + "*")), "LTI state was not kept in Redis"
            for key in client.scan_iter(prefix + "*"):
                client.delete(key)
    finally:
        first.stop()
        second.stop()
