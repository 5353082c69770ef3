"""Several tool processes share one database (and Redis): a login handled by one and the
launch by another both work, because no LTI state lives in a process's memory."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import SECRET
from tests.support.browser import HttpBrowser
from tests.support.servers import ServerProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_login_on_one_instance_launch_on_another(app, live_tool, platform, migrated,
                                                 tmp_path: Path, shared):
    env = {
        "DATABASE_URL": migrated,
        "SECRET_KEY": SECRET,
        "LMS_PLUGIN_INSTANCE_PATH": str(tmp_path),
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
        if shared == "redis":
            client = redis.Redis.from_url(env["REDIS_URL"])
            assert list(client.scan_iter(prefix + "*")), "LTI state was not kept in Redis"
            for key in client.scan_iter(prefix + "*"):
                client.delete(key)
    finally:
        first.stop()
        second.stop()
