"""A live tool server (real HTTP) with the test platform pointed at it; `demo`, the demo
LMS and tool in one app on a server thread: (its base URL on "localhost", the app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from lms_plugin.extensions import db
from lms_plugin.lti.registration import save_platform
from tests.conftest import make_app
from tests.support.platform import TestPlatform
from tests.support.servers import ServerThread


@pytest.fixture
def demo(app, migrated, tmp_path, shipped_content):
    demo_app = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True)
    server = ServerThread(demo_app).start()
    yield server.url.replace("127.0.0.1", "localhost"), demo_app
    server.stop()


class LiveTool:
    def __init__(self, app: Flask, server: ServerThread):
        self.app, self.server = app, server

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def live_tool(app: Flask, migrated: str, tmp_path: Path, platform: TestPlatform,
              shipped_content: Path) -> Iterator[LiveTool]:
    tool_app = make_app(migrated, tmp_path / "live")
    server = ServerThread(tool_app).start()
    with app.app_context():
        save_platform(**platform.registration_kwargs())
        db.session.commit()
    platform.point_at_tool(server.url)
    platform.reset()
    yield LiveTool(tool_app, server)
    server.stop()
    with tool_app.app_context():
        db.engine.dispose()
