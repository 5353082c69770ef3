"""Real headless Chromium (Debian's), driven by Playwright. Never a downloaded browser."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Skipped on a developer machine without Debian chromium; in CI (`CI` set by .ci/run) a
# missing browser fails the run instead.
requires_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian chromium is not installed (apt install chromium)")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Third-party cookies blocked, as Chrome is heading and Safari already is. The test LMSs are
# plain http on loopback addresses: Chromium's local-network checks would stop an https tool
# frame navigating to them, which a real LMS on the internet never meets.
BLOCK_THIRD_PARTY = ["--test-third-party-cookie-phaseout", "--ignore-certificate-errors",
                     "--disable-features=LocalNetworkAccessChecks,"
                     "BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessForNavigations"]


_shared: dict[tuple[tuple[str, ...], str], Any] = {}  # one browser per worker and set of args


def _browser(args: tuple[str, ...], launch: dict[str, Any]) -> Any:
    """This worker's Chromium for these arguments, started on first use and kept for the
    rest of the run (a launch costs about a second; the browser is stopped at exit)."""
    from playwright.sync_api import sync_playwright

    key = (args, repr(sorted(launch.items())))
    browser = _shared.get(key)
    if browser is None or not browser.is_connected():
        if "playwright" not in _shared:
            _shared["playwright"] = sync_playwright().start()
            atexit.register(_stop)
        browser = _shared["playwright"].chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*ARGS, *args], **launch)
        _shared[key] = browser
    return browser


def _stop() -> None:
    playwright = _shared.pop("playwright", None)
    for browser in _shared.values():
        browser.close()
    _shared.clear()
    if playwright is not None:
        playwright.stop()


@contextmanager
def chromium(args: list[str] | None = None, **launch: Any) -> Iterator[Any]:
    """A browser for one test. The process is shared by the worker's tests; what a test
    opens in it (contexts: cookies, storage, pages) is closed when the test ends, so no
    test sees another's state."""
    browser = _browser(tuple(args or ()), launch)
    before = set(browser.contexts)
    try:
        yield browser
    finally:
        for context in browser.contexts:
            if context not in before:
                context.close()


# Screenshots of the journeys' pages for people to look at (`TEST_SCREENSHOTS=1 ./dev test
# -m browser`); off by default: a full-page shot costs about 0.1 s and no test reads it.
SCREENSHOTS = os.environ.get("TEST_SCREENSHOTS", "") not in ("", "0")


def screenshot(page: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    if not SCREENSHOTS:
        return path
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
