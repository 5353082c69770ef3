"""The tool inside a real LMS-like parent page on another origin, in headless Chromium:
it asks the parent to size its frame (`lti.frameResize`) on load, when its content grows
or shrinks and on every page it navigates to; links out of the tool open a new tab
without an opener and are announced as such; links within the tool stay in the frame.

The parent does what Canvas does with the message: sets the iframe's height to it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_app
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.servers import ServerThread

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

PARENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course</title>
<script>
  window.resizeMessages = [];
  window.addEventListener("message", function (event) {
    var frame = document.getElementById("tool");
    if (!frame || event.source !== frame.contentWindow) return;
    var data = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
    if (!data || data.subject !== "lti.frameResize") return;
    window.resizeMessages.push({height: data.height, type: typeof data.height,
                                origin: event.origin});
    frame.style.height = data.height + "px";
  });
</script></head>
<body style="margin:0">
<h1>Course page</h1>
<iframe id="tool" title="Training" src="{src}" style="width:600px;height:300px;border:0"></iframe>
</body></html>"""

LAST = "window.resizeMessages[window.resizeMessages.length - 1]"
# The frame has been sized to the last message.
SIZED = (f"() => window.resizeMessages.length > {{n}} && "
         f"Math.round(document.getElementById('tool').getBoundingClientRect().height) "
         f"=== {LAST}.height")


class Servers:
    def __init__(self, parent: ServerThread, tool: ServerThread):
        self.parent, self.tool = parent, tool

    @property
    def parent_url(self) -> str:
        # Another site than the tool's 127.0.0.1: a cross-origin frame, as in an LMS.
        return self.parent.url.replace("127.0.0.1", "localhost")


@pytest.fixture
def servers(migrated: str, tmp_path: Path) -> Iterator[Servers]:
    parent_app = Flask("lms_parent")

    @parent_app.get("/course")
    def course() -> str:
        return PARENT_PAGE.replace("{src}", html.escape(parent_app.config["TOOL_PAGE"]))

    parent = ServerThread(parent_app)  # bound now: its address is known
    parent_origin = parent.url.replace("127.0.0.1", "localhost")
    tool_app = make_app(migrated, tmp_path / "tool", LMS_PLUGIN_FRAME_ANCESTORS=parent_origin)
    tool = ServerThread(tool_app).start()
    parent_app.config["TOOL_PAGE"] = tool.url + "/help"
    parent.start()
    yield Servers(parent, tool)
    parent.stop()
    tool.stop()


def messages(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.resizeMessages"))


def settle(page: Any, after: int) -> int:
    """Wait until more than `after` messages have come and the frame is sized to the last;
    returns that height."""
    page.wait_for_function(SIZED.replace("{n}", str(after)), timeout=15000)
    return int(page.evaluate(f"{LAST}.height"))


def assert_fits(frame: Any, height: int) -> None:
    """The frame's document is as tall as the height asked for: nothing scrolls inside."""
    own = frame.evaluate("document.documentElement.scrollHeight")
    assert abs(own - height) <= 2, (own, height)
    assert frame.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")


def test_tool_asks_the_lms_to_size_its_frame_as_its_content_changes(servers):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.goto(servers.parent_url + "/course")
        frame = page.frame_locator("#tool")
        frame.get_by_role("heading", name="Get help now").wait_for(timeout=15000)
        tool = page.locator("#tool").element_handle().content_frame()

        # On load: a number, from the tool's origin, and the page then fits its frame.
        first = settle(page, 0)
        assert first > 300  # taller than the 300 px box the parent started with
        received = messages(page)
        assert {m["type"] for m in received} == {"number"}
        assert {m["origin"] for m in received} == {servers.tool.url}
        assert_fits(tool, first)

        # The content grows (say, a section expands): a new, larger height arrives.
        count = len(messages(page))
        tool.evaluate("""() => {
            const more = document.createElement("section");
            more.id = "more";
            for (let i = 0; i < 40; i++) {
                const p = document.createElement("p");
                p.textContent = "More text that makes the page longer. " + i;
                more.appendChild(p);
            }
            document.querySelector("main").appendChild(more);
        }""")
        grown = settle(page, count)
        assert grown > first + 500
        assert_fits(tool, grown)
        screenshot(page, "frame-resize-grown")

        # ... and shrinks back: the frame can get smaller too.
        count = len(messages(page))
        tool.evaluate("() => document.getElementById('more').remove()")
        shrunk = settle(page, count)
        assert shrunk < grown
        assert abs(shrunk - first) <= 2
        assert_fits(tool, shrunk)

        # A link within the tool stays in the frame; the new page asks for its own height.
        count = len(messages(page))
        frame.get_by_role("link", name="Privacy: what we keep and who sees it").click()
        frame.get_by_role("heading", level=1).filter(has_text="rivacy").wait_for(timeout=15000)
        assert tool.url.startswith(servers.tool.url + "/privacy")
        assert page.url == servers.parent_url + "/course"
        privacy = settle(page, count)
        assert_fits(tool, privacy)

        # Never the same height twice in a row: resizing the frame does not echo back.
        heights = [m["height"] for m in messages(page)]
        assert all(a != b for a, b in zip(heights, heights[1:], strict=False)), heights


def test_links_out_of_the_tool_open_a_new_tab_without_an_opener(servers):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        # No network in tests: the crisis line's site is answered here.
        context.route("https://www.samaritans.org/**",
                      lambda route: route.fulfill(status=200, content_type="text/html",
                                                  body="<title>Samaritans</title>"))
        page = context.new_page()
        page.goto(servers.parent_url + "/course")
        frame = page.frame_locator("#tool")
        # The accessible name says where the link goes: what a screen reader announces.
        link = frame.get_by_role("link", name="www.samaritans.org (opens in a new tab)")
        link.wait_for(timeout=15000)
        # The hint is for screen readers only: it takes no room on screen.
        hint = link.locator(".visually-hidden")
        assert hint.evaluate("e => e.getBoundingClientRect().width") <= 1
        # A phone number is a tel: link, without a new tab.
        call = frame.get_by_role("link", name="116 123", exact=True)
        assert call.get_attribute("href") == "tel:116123"
        assert call.get_attribute("target") is None

        with page.expect_popup() as opened:
            link.click()
        popup = opened.value
        popup.wait_for_load_state()
        assert popup.url == "https://www.samaritans.org/"
        assert popup.evaluate("window.opener") is None
        # The learner's place in the LMS is kept.
        assert page.url == servers.parent_url + "/course"
        assert page.locator("#tool").element_handle().content_frame().url.endswith("/help")
        context.close()
