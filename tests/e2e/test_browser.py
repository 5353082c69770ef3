"""The demo launch in real headless Chromium: the tool opens inside the LMS's iframe,
signed in, through the real OIDC flow (with LTI platform storage, as Canvas offers it)."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.servers import ServerThread

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    requires_chromium,
]


@pytest.fixture
def demo_server(app, migrated, tmp_path, shipped_content):
    demo_app = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True)
    server = ServerThread(demo_app).start()
    yield server
    server.stop()


def test_demo_launch_in_iframe_ends_signed_in(demo_server):
    base = demo_server.url.replace("127.0.0.1", "localhost")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base + "/demo/")
        page.get_by_label("Sam Okafor: Peer-supporter trainee").check()
        page.get_by_role("button", name="Open Peer Supporter Programme 2026").click()
        page.wait_for_url("**/demo/course/peer-support**")

        frame = page.frame_locator("iframe.lti-frame")
        heading = frame.get_by_role("heading", name="Your peer support programme")
        heading.wait_for(timeout=15000)
        assert "Welcome, Sam Okafor" in frame.locator(".welcome").inner_text()
        assert "Peer Supporter Programme 2026" in frame.locator(".welcome").inner_text()
        tool_frame = next(f for f in page.frames if f.url.startswith(base + "/") and
                          "/demo" not in f.url)
        assert tool_frame.url == base + "/"
        # Signed in inside the frame: following a link inside it needs no new launch.
        frame.get_by_role("link", name="Practical peer-support skills").click()
        frame.get_by_role("heading", name="Practical peer-support skills").wait_for()
        screenshot(page, "demo-launch-in-iframe")
