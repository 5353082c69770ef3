"""Real headless Chromium (Debian's), driven by Playwright. Never a downloaded browser."""

from __future__ import annotations

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


@contextmanager
def chromium(args: list[str] | None = None, **launch: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=[*ARGS, *(args or [])], **launch)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
