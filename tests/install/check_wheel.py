"""The LMS side of the install check (.ci/install-check): a real LTI launch against a tool
installed from the wheel, in its own venv, serving on --tool-url.

Run with the development venv's Python (it has the test platform and requests):

    .venv/bin/python tests/install/check_wheel.py --tool-url http://127.0.0.1:PORT \\
        --lms-plugin /tmp/.../venv/bin/lms-plugin [--module awareness] [--server-pid PID]

The LMS is the repository's TestPlatform (the demo LMS on lti1p3platform, over HTTP from
this process). It is registered with the tool through the INSTALLED tool's own CLI,
`lms-plugin platform add`, run with this process's environment (DATABASE_URL,
SECRET_KEY: the installed tool's database). Then a browser (HttpBrowser) launches with
custom module=<module> and must land on that module's page. Any problem: a message on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def wait_until_ready(requests: Any, tool_url: str, server_pid: int | None,
                     timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server_pid is not None:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                raise CheckFailed(f"the tool's server (pid {server_pid}) has exited") from None
        try:
            response = requests.get(tool_url + "/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = f"/readyz answered {response.status_code}: {response.text[:300]}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.3)
    raise CheckFailed(f"the tool at {tool_url} was not ready within {timeout:.0f} s ({last})")


def register(lms_plugin: str, platform: Any) -> None:
    reg = platform.registration_kwargs()
    args = [
        lms_plugin, "platform", "add",
        "--issuer", reg["issuer"], "--client-id", reg["client_id"],
        "--auth-login-url", reg["auth_login_url"], "--auth-token-url", reg["auth_token_url"],
        "--keyset-url", reg["keyset_url"], "--deployment-id", reg["deployment_id"],
        "--name", "Install check LMS",
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    output = done.stdout + done.stderr
    check(done.returncode == 0,
          f"`lms-plugin platform add` failed ({done.returncode}):\n{output}")
    check(reg["issuer"] in output, f"`lms-plugin platform add` said:\n{output}")
    print(f"registered the test LMS {reg['issuer']} with the installed tool's CLI")


def run(tool_url: str, lms_plugin: str, module: str, server_pid: int | None) -> None:
    sys.path.insert(0, str(ROOT))
    import requests
    import yaml

    from tests.support.browser import HttpBrowser
    from tests.support.platform import TestPlatform

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the LMS's request lines
    meta = ROOT / "modules" / module / "module.yaml"
    title = yaml.safe_load(meta.read_text())["title"]
    wait_until_ready(requests, tool_url, server_pid)
    with tempfile.TemporaryDirectory(prefix="install-check-lms-") as tmp:
        platform = TestPlatform(Path(tmp))
        try:
            register(lms_plugin, platform)
            platform.point_at_tool(tool_url)
            browser = HttpBrowser()
            try:
                page = browser.launch(platform.url, module=module)
            except AssertionError as exc:
                raise CheckFailed(f"the launch did not go through: {exc}") from exc
            expected = f"{tool_url}/modules/{module}"
            check(page.status_code == 200,
                  f"the launch ended on {page.url} with {page.status_code}:\n{page.text[:2000]}")
            check(page.url == expected, f"the launch landed on {page.url}, not {expected}")
            check(f"<h1>{html.escape(title)}</h1>" in page.text,
                  f"the module page does not show the title {title!r}:\n{page.text[:2000]}")
            print(f"launch with custom module={module}: {page.status_code} {page.url} "
                  f"({title!r})")

            lesson = browser.session.get(f"{expected}/lessons/1")
            check(lesson.status_code == 200 and "Try it" in lesson.text,
                  f"the first lesson answered {lesson.status_code}:\n{lesson.text[:2000]}")
            style = browser.session.get(tool_url + "/static/style.css")
            check(style.status_code == 200 and "{" in style.text,
                  f"/static/style.css answered {style.status_code}")
            missing = browser.session.get(tool_url + "/modules/not-shipped")
            check(missing.status_code == 404 and "lms-plugin content sync" in missing.text,
                  f"/modules/not-shipped answered {missing.status_code}:\n"
                  f"{missing.text[:2000]}")
            print("first lesson 200, static files 200, not-loaded page 404 naming "
                  "`lms-plugin content sync`")
        finally:
            platform.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool-url", required=True)
    parser.add_argument("--lms-plugin", required=True, help="the installed tool's CLI")
    parser.add_argument("--module", default="awareness")
    parser.add_argument("--server-pid", type=int, help="fail at once if it exits")
    args = parser.parse_args()
    try:
        run(args.tool_url.rstrip("/"), args.lms_plugin, args.module, args.server_pid)
    except CheckFailed as exc:
        print(f"install check: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
