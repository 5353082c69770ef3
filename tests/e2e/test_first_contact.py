"""First contact with Moodle and Canvas as they really behave (tests/support/lms: fakes
written from their own source, not from the LTI library we use): register, launch, frame,
grade, each over real HTTP against a live tool.

Moodle: dynamic registration completed from inside an iframe of its admin page in Chromium;
a student launch in its activity frame; deep linking; a score accepted at its `?type_id=`
line-item URL. Canvas: dynamic registration that names no deployment, then the first launch
of the deployment Canvas made on install, landing on the module; a score accepted with a
token whose audience is Canvas's token URL; the tool in Chromium inside an iframe on the
school's own domain with third-party cookies blocked."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.lti.models import Deployment, Platform
from tests.conftest import SAMPLE_CONTENT, make_app, sync
from tests.support.browser import parse_form
from tests.support.chromium import BLOCK_THIRD_PARTY, chromium, requires_chromium, screenshot
from tests.support.lms import FakeCanvas, FakeMoodle
from tests.support.lms_browser import Tool, lms_launch, register, take_quiz
from tests.support.servers import ServerThread, free_port

pytestmark = pytest.mark.e2e
KEY = "key-the-operators-gave-the-lms-admin"


def serve_tool(migrated: str, tmp: Path, https: bool) -> Tool:
    port = free_port()
    base = f"https://localhost:{port}" if https else f"http://127.0.0.1:{port}"
    app = make_app(migrated, tmp, LMS_PLUGIN_BASE_URL=base,
                   # the grade is what these tests follow; rosters have their own tests
                   LMS_PLUGIN_ROSTER_SYNC_SECONDS=0,
                   # the operators gave the LMS administrator the registration URL with it
                   LMS_PLUGIN_REGISTRATION_KEY=KEY)
    server = ServerThread(app, port=port, ssl_context="adhoc" if https else None).start()
    return Tool(app, server, base)


@pytest.fixture
def tool(app: Flask, migrated: str, tmp_path: Path) -> Iterator[Tool]:
    sync(app, SAMPLE_CONTENT)
    served = serve_tool(migrated, tmp_path / "tool", https=False)
    yield served
    served.server.stop()


@pytest.fixture
def https_tool(app: Flask, migrated: str, tmp_path: Path) -> Iterator[Tool]:
    """The tool on https ("localhost"), framed cross-site by an LMS on another address."""
    sync(app, SAMPLE_CONTENT)
    served = serve_tool(migrated, tmp_path / "https-tool", https=True)
    yield served
    served.server.stop()


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        yield fake


@pytest.fixture
def canvas() -> Iterator[FakeCanvas]:
    with FakeCanvas() as fake:
        yield fake


# --- the browser's part, played with requests ---------------------------------------------


def platform_row(app: Flask, issuer: str) -> dict[str, Any]:
    with app.app_context():
        p = db.session.scalars(select(Platform).where(Platform.issuer == issuer)).one()
        return {"client_id": p.client_id, "dynamic": p.registered_dynamically,
                "accepts": p.accept_new_deployments, "audience": p.auth_audience,
                "token_url": p.auth_token_url, "framed_from": (p.frame_origins or "").split(),
                "deployments": [(d.deployment_id, d.added_by) for d in db.session.scalars(
                    select(Deployment).where(Deployment.platform_id == p.id)
                    .order_by(Deployment.id))]}


def delivered(app: Flask) -> list[tuple[bool, str | None]]:
    with app.app_context():
        return [(m.sent_at is not None, m.last_error) for m in db.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id))]


def frame_ancestors(response: requests.Response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return next(p.split()[1:] for p in policy.split(";") if p.strip().startswith("frame-anc"))


# --- Moodle ---------------------------------------------------------------------------------


def test_moodle_registration_launch_deep_linking_and_grade(app, tool, moodle):
    admin = requests.Session()
    register(admin, moodle.registration_page_url(tool.url + f"/lti/register?key={KEY}"))
    registered = moodle.tool()
    assert registered.state == "pending"  # as Moodle leaves a new tool until activated
    row = platform_row(app, moodle.issuer)
    assert row["client_id"] == registered.client_id and row["dynamic"]
    # Moodle names its deployment (the tool type id) at registration.
    assert row["deployments"] == [(registered.deployment_id, "registration")]
    assert row["audience"] is None and row["token_url"] == moodle.token_url

    course = moodle.add_course("Wellbeing at work")
    # A teacher adds the quiz through deep linking (ContentItemSelection).
    teacher = requests.Session()
    picker = lms_launch(teacher, moodle.start_deep_linking_url(course))
    assert picker.status_code == 200 and "/lti/deep-link/" in picker.url, picker.text[:1000]
    chosen = teacher.post(picker.url, data=[
        ("csrf_token", parse_form(picker.text).fields["csrf_token"]),
        ("item", "listening:quiz")])
    back = parse_form(chosen.text, "deep-link-return")
    assert back.action.startswith(moodle.wwwroot + "/mod/lti/contentitem_return.php")
    saved = teacher.post(back.action, data=back.fields)
    assert saved.status_code == 200, saved.text
    [link] = moodle.links(course)
    assert link.custom == {"module": "listening", "open": "quiz"}
    assert link.line_item and parse_qs(urlsplit(link.line_item).query) == {
        "type_id": [registered.deployment_id]}

    # A student opens it and passes; the grade reaches Moodle's gradebook.
    student = requests.Session()
    landed = lms_launch(student, moodle.start_launch_url(link.id))
    assert landed.status_code == 200 and landed.url == tool.url + "/quiz/listening"
    assert moodle.wwwroot in frame_ancestors(landed)
    take_quiz(student, tool)
    assert tool.run_worker() == 1
    assert delivered(app) == [(True, None)]
    [score] = moodle.scores()
    assert (score.user, score.line_item, score.score_given) == ("learner", link.line_item, 100)
    # Sent again (a worker that died after the POST): Moodle answers 409, which is done.
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.update().values(sent_at=None))
        db.session.commit()
    assert tool.run_worker() == 1
    assert delivered(app) == [(True, None)] and len(moodle.scores()) == 1


@requires_chromium
@pytest.mark.browser
def test_moodle_registers_from_inside_its_admin_page_and_frames_a_launch(app, https_tool,
                                                                        moodle):
    with chromium(args=BLOCK_THIRD_PARTY) as browser:
        page = browser.new_context(ignore_https_errors=True).new_page()
        page.goto(moodle.registration_page_url(https_tool.url + f"/lti/register?key={KEY}"))
        frame = page.frame_locator("#registration-frame")
        frame.get_by_role("button", name="Register").click()
        # The tool's result page told Moodle's window to close the panel.
        page.get_by_text("Tool registered").wait_for(timeout=20000)
        screenshot(page, "moodle-registered")
        assert "pending" in page.locator("#registration-status").inner_text()
        assert platform_row(app, moodle.issuer)["deployments"] == [
            (moodle.tool().deployment_id, "registration")]

        course = moodle.add_course("Wellbeing at work")
        link = moodle.add_link(course, "Listening well", custom={"module": "listening"})
        page.goto(moodle.course_page_url(course, link))
        page.frame_locator("iframe.tool-frame").get_by_role(
            "heading", name="Listening well").wait_for(timeout=20000)
        screenshot(page, "moodle-launch-in-frame")


# --- Canvas ---------------------------------------------------------------------------------


def test_canvas_registration_first_launch_and_grade(app, tool, canvas):
    admin = requests.Session()
    register(admin, canvas.registration_page_url(tool.url + f"/lti/register?key={KEY}"))
    client_id = canvas.tool().client_id
    row = platform_row(app, canvas.issuer)
    assert row["client_id"] == client_id and row["deployments"] == []
    assert row["accepts"] and row["audience"] is None

    course = canvas.add_course("Wellbeing at work")
    deployment = canvas.install(course)  # "N:<hash>", new to the tool
    link = canvas.add_link(course, "Listening well", custom={"module": "listening"},
                           score_maximum=100)
    learner = requests.Session()
    landed = lms_launch(learner, canvas.start_launch_url(link))
    assert landed.status_code == 200, landed.text[:2000]
    assert landed.url == tool.url + "/modules/listening"
    assert "Listening well" in landed.text
    row = platform_row(app, canvas.issuer)
    assert row["deployments"] == [(deployment, "first launch")]
    # The school's domain, named in the signed launch, may frame the session.
    assert canvas.school_url in frame_ancestors(landed)
    assert row["framed_from"] == [canvas.school_url]

    take_quiz(learner, tool)
    assert tool.run_worker() == 1
    assert delivered(app) == [(True, None)]
    [score] = canvas.scores()
    assert (score.user, score.score_given, score.score_maximum) == ("learner", 100, 100)
    [token] = [t for t in canvas.token_requests() if t.status == 200]
    assert token.assertion_claims and token.assertion_claims["aud"] == canvas.token_url
    assert all(t.status == 200 for t in canvas.token_requests())


def test_canvas_refuses_a_new_deployment_once_the_operator_switches_acceptance_off(
        app, tool, canvas, runner):
    register(requests.Session(),
             canvas.registration_page_url(tool.url + f"/lti/register?key={KEY}"))
    with app.app_context():
        platform_id = db.session.scalars(select(Platform.id).where(
            Platform.issuer == canvas.issuer)).one()
    assert runner.invoke(args=["platform", "deployments", str(platform_id),
                               "--refuse-new"]).exit_code == 0
    course = canvas.add_course("Wellbeing at work")
    deployment = canvas.install(course)
    link = canvas.add_link(course, "Listening well", custom={"module": "listening"})
    refused = lms_launch(requests.Session(), canvas.start_launch_url(link))
    assert refused.status_code == 403
    assert deployment in html.unescape(refused.text)
    assert platform_row(app, canvas.issuer)["deployments"] == []


@requires_chromium
@pytest.mark.browser
def test_canvas_frames_the_tool_from_the_school_domain_with_third_party_cookies_blocked(
        app, https_tool, canvas):
    with chromium(args=BLOCK_THIRD_PARTY) as browser:
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        # Canvas's admin page (the school's domain) frames the registration; its OpenID
        # configuration lives on another host.
        page.goto(canvas.registration_page_url(https_tool.url + f"/lti/register?key={KEY}"))
        page.frame_locator("#registration-frame").get_by_role("button", name="Register").click()
        page.get_by_text("Tool registered").wait_for(timeout=20000)
        screenshot(page, "canvas-registered")
        course = canvas.add_course("Wellbeing at work")
        canvas.install(course)
        link = canvas.add_link(course, "Listening well", custom={"module": "listening"})
        page.goto(canvas.course_page_url(course, link))
        frame = page.frame_locator("iframe.tool-frame")
        frame.get_by_role("heading", name="Listening well").wait_for(timeout=20000)
        tool_frame = next(f for f in page.frames if f.url.startswith(https_tool.url))
        # A page after the launch still renders in the school's frame.
        tool_frame.goto(https_tool.url + "/modules/listening/lessons/1")
        frame.locator("main h1").wait_for(timeout=20000)
        assert "Listening" in frame.locator("main").inner_text()
        screenshot(page, "canvas-school-domain-frame")
        cookies = context.cookies(https_tool.url)
        assert cookies and all(c.get("sameSite") == "None" and c.get("secure") for c in cookies)
    assert platform_row(app, canvas.issuer)["framed_from"] == [canvas.school_url]
