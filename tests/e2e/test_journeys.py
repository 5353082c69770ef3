"""Whole journeys in real headless Chromium, inside the demo LMS's iframe.

The learner: launch, read every lesson of a module, fail the quiz and read the feedback,
pass on the retry, see the module complete, and the grade arrive in the LMS gradebook.
Screenshots of each step go to test-artifacts/ (TEST_SCREENSHOTS=1)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from lms_plugin.content.loader import load_content
from lms_plugin.extensions import db
from lms_plugin.jobs.worker import new_worker_id, run_once
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import make_app
from tests.support.chromium import BLOCK_THIRD_PARTY, chromium, requires_chromium, screenshot
from tests.support.e2e import answer, axe_check, correct_answers, open_tool, serious
from tests.support.servers import ServerThread, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]
ROOT = Path(__file__).parents[2]


def lesson_numbers(slug: str) -> list[int]:
    """The module's lesson numbers as shipped, so that adding a lesson changes no test."""
    bundle, errors = load_content(ROOT)
    assert not errors, errors
    return [lesson.number for lesson in bundle.modules[slug].lessons]


def answer_all(tool, right: bool, key: dict[str, set[str]]) -> None:
    """The paged quiz: answer each page, Next, then confirm on the summary page."""
    while True:
        answer(tool, right, key)
        following = tool.get_by_role("button", name="Next question")
        if not following.count():
            break
        with tool.expect_navigation():
            following.click()
    with tool.expect_navigation():
        tool.locator(".quiz-actions").get_by_role(
            "button", name="Check your answers and submit").click()
    assert "Not answered yet" not in tool.locator("main").inner_text()
    tool.get_by_role("button", name="Submit answers").click()


# The peer-supporter path: every module the programme requires.
PATH = ("awareness", "supporting-a-colleague", "skills", "boundaries", "peer-role")


def observe_roleplays(page, base: str, trainee_id: int) -> None:
    """The supervisor marks two role-plays competent on every point of their rubric."""
    for roleplay in ("first-conversation", "asking-about-suicide"):
        page.goto(f"{base}/supervision/trainees/{trainee_id}/programmes/peer-supporter"
                  f"/roleplays/{roleplay}")
        for radio in page.locator("input[value=competent]").all():
            radio.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Record this observation").click()
        page.get_by_text(re.compile(r"Recorded: .*, competent\.")).first.wait_for()


def test_learner_reads_fails_passes_and_the_grade_reaches_the_lms(demo):
    base, demo_app = demo
    key = correct_answers("awareness")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base + "/demo/course/wellbeing-101?persona=learner")
        page.frame_locator("iframe.lti-frame").get_by_role(
            "heading", name="Your peer support programme").wait_for(timeout=15000)
        tool = next(f for f in page.frames if f.url.startswith(base + "/") and
                    "/demo" not in f.url)

        numbers = lesson_numbers("awareness")
        for number in numbers:
            tool.goto(f"{base}/modules/awareness/lessons/{number}")
            assert "Try it" in tool.content()
            with tool.expect_navigation():
                tool.get_by_role("button", name="Mark complete").click()
        screenshot(page, "journey-learner-lessons-done")

        tool.goto(base + "/quiz/awareness")
        tool.get_by_role("button", name="Start the quiz").click()
        tool.wait_for_url("**/quiz/attempts/*")
        answer_all(tool, right=False, key=key)
        tool.wait_for_url("**/review")
        review = tool.locator("main").inner_text()
        assert "The pass mark is 80%" in review
        # Feedback on every choice made, but not the key before the last try.
        assert tool.locator(".feedback").count() >= 10
        assert "A right answer" not in review and not tool.locator(".is-answer").count()
        screenshot(page, "journey-learner-failed-with-feedback")

        with demo_app.app_context():  # the 30-minute break, passed
            db.session.execute(update(QuizAttempt).values(
                submitted_at=datetime.now(UTC) - timedelta(minutes=31),
                started_at=datetime.now(UTC) - timedelta(minutes=40)))
            db.session.commit()
        tool.goto(base + "/quiz/awareness")
        tool.get_by_role("button", name="Start the quiz").click()
        tool.wait_for_url("**/quiz/attempts/*")
        answer_all(tool, right=True, key=key)
        # The pass completed the module: its acknowledgement, which links to the answers.
        tool.wait_for_url("**/modules/awareness/completed?attempt=*")
        done = tool.locator("main").inner_text()
        assert "You have completed Mental health at work: awareness" in done
        assert "You passed the quiz with 100%" in done
        screenshot(page, "journey-learner-module-completed")
        tool.get_by_role("link", name="See your answers and the feedback").click()
        tool.wait_for_url("**/review")
        assert "You passed" in tool.locator("main").inner_text()
        review_url = tool.url
        screenshot(page, "journey-learner-passed")

        tool.goto(base + "/")
        card = tool.locator(".module-card", has_text="Mental health at work: awareness")
        assert "Completed" in card.inner_text()
        axe_check(page, [base + "/", base + "/modules/awareness",
                                 *[f"{base}/modules/awareness/lessons/{n}" for n in numbers],
                                 base + "/quiz/awareness", base + "/help", base + "/privacy",
                                 review_url])

        with demo_app.app_context():  # the worker (a thread in the demo) delivers the grade
            while run_once(new_worker_id()):
                pass
        page.goto(base + "/demo/course/wellbeing-101?persona=admin")
        page.locator("details.gradebook summary").click()
        gradebook = page.locator("details.gradebook").inner_text()
        assert "Alex Morgan" in gradebook and "100" in gradebook
        screenshot(page, "journey-learner-grade-in-lms")


def test_trainee_and_supervisor_to_a_verified_certificate(demo, tmp_path):
    """Two people in two browsers: the trainee logs hours, the supervisor approves them,
    the trainee signs the agreements and is certified, downloads the PDF and the badge,
    and the verification page (the address the PDF's QR code holds) confirms it."""
    from sqlalchemy import select

    from lms_plugin.users.models import User
    from tests.support import factories

    base, demo_app = demo
    with chromium() as browser:
        # The trainee is in Kiritimati (UTC+14), whose today is often UTC's tomorrow.
        trainee_ctx = browser.new_context(timezone_id="Pacific/Kiritimati")
        supervisor_ctx = browser.new_context()
        # The supervisor has opened the tool once: the LMS told us whom they mentor.
        boss, boss_tool = open_tool(supervisor_ctx, base, "supervisor")
        page, tool = open_tool(trainee_ctx, base, "trainee")
        with demo_app.app_context():  # the training itself is the learner journey's
            sam = db.session.scalars(select(User).where(User.sub == "demo-trainee-1")).one()
            sam_id = sam.id
            for module in PATH:
                factories.completed(sam, module, 90)
            db.session.commit()

        tool.goto(base + "/programmes/peer-supporter")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Enrol as a trainee peer supporter").click()
        tool.get_by_text("Provisional").first.wait_for()
        # Today in the browser's own time zone (the enrolment was just made), which
        # static/timezone.js tells the server, and after which the date picker stops.
        today = tool.evaluate("() => new Date().toLocaleDateString('en-CA')")
        assert tool.locator("input[name=timezone]").first.input_value() == "Pacific/Kiritimati"
        assert tool.locator("input[name=activity_date]").first.get_attribute("max") == today
        for kind, hours in (("peer-conversation", "20"), ("supervision", "4")):
            tool.select_option("select[name=category]", "practice")
            tool.select_option("select[name=kind]", kind)
            tool.fill("input[name=hours]", hours)
            tool.fill("input[name=activity_date]", today)
            tool.fill("textarea[name=reflection]", "Practised open questions and summaries.")
            with tool.expect_navigation():
                tool.get_by_role("button", name="Log these hours").click()
            tool.get_by_text("Logged. Your supervisor will see it").wait_for()
        screenshot(page, "journey-trainee-hours-logged")

        boss_tool.goto(base + "/supervision")
        from playwright.sync_api import expect

        expect(boss_tool.locator("section.entry")).to_have_count(2)
        assert "Practised open questions" in boss_tool.content()  # the reflection, for them
        for left in (1, 0):
            entry = boss_tool.locator("section.entry").first
            entry.get_by_label("Approve").check()
            entry.get_by_role("button", name="Record decision").click()
            expect(boss_tool.locator("section.entry")).to_have_count(left)
        boss_tool.get_by_text("Nothing is waiting for your decision").wait_for()
        screenshot(boss, "journey-supervisor-approved")
        observe_roleplays(boss_tool, base, sam_id)  # the observed skills check

        tool.goto(base + "/programmes/peer-supporter")
        while tool.get_by_role("button", name="I agree and sign").count():
            with tool.expect_navigation():
                tool.get_by_role("button", name="I agree and sign").first.click()
        tool.get_by_role("heading", name="Your certificate").wait_for()
        screenshot(page, "journey-trainee-certified")
        axe_check(trainee_ctx.new_page(), [base + "/programmes/peer-supporter",
                                           base + "/peer-supporters"])
        axe_check(supervisor_ctx.new_page(), [base + "/supervision"])

        with page.expect_download() as pdf_download:
            tool.get_by_role("link", name="Download PDF").click()
        pdf = Path(pdf_download.value.path())
        assert pdf.read_bytes().startswith(b"%PDF")
        with page.expect_download() as badge_download:
            tool.get_by_role("link", name="Download Open Badge").click()
        badge = Path(badge_download.value.path()).read_text()
        assert badge.count(".") == 2  # a signed JWT (checked against our keys elsewhere)

        verify_url = tool.get_by_role("link", name="Public verification page").get_attribute(
            "href")
        anyone = browser.new_context().new_page()
        anyone.goto(base + verify_url)
        text = anyone.locator("main").inner_text()
        assert "Sam Okafor" in text and "Genuine and current" in text
        screenshot(anyone, "journey-verification-page")
        checked = anyone.context.request.post(base + "/verify/badge", form={"badge": badge})
        assert checked.status == 200 and "The signature is ours and valid" in checked.text()


def test_admin_dashboard_charts_filters_and_exports(demo):
    from sqlalchemy import select

    from lms_plugin.users.models import User
    from tests.support import factories

    base, demo_app = demo
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page, tool = open_tool(context, base, "admin", course="wellbeing-101")
        with demo_app.app_context():  # an organisation big enough to show numbers
            issuer = db.session.scalars(select(User.issuer).where(
                User.sub == "demo-admin-1")).one()
            # 8 in Finance and 6 in Operations: each view differs from the whole by at
            # least the minimum group size, so nothing needs hiding.
            for i in range(14):
                person = factories.user(f"Colleague {i}", issuer=issuer)
                person.department = "Finance" if i < 8 else "Operations"
            db.session.commit()
        tool.goto(base + "/admin/reports")
        assert tool.locator("svg[role=img]").count() >= 4  # a chart per report...
        assert tool.locator("table.report-table").count() >= 8  # ...with its table beside
        screenshot(page, "journey-admin-dashboard")
        tool.select_option("#f-department", "Finance")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Show").click()
        assert "department=Finance" in tool.url
        with page.expect_download() as download:
            tool.locator('a[href^="/admin/reports/modules.csv"]').click()
        text = Path(download.value.path()).read_text()
        table = list(csv.reader(io.StringIO(text)))
        assert table[0][:4] == ["Module", "Not started", "In progress", "Completed"]
        assert any(row[-1] == "8" for row in table[1:]), text  # 8 in Finance
        with page.expect_download() as everyone:
            tool.locator('a[href^="/admin/reports/people.csv"]').click()
        rows = list(csv.reader(io.StringIO(Path(everyone.value.path()).read_text())))
        assert rows[0][:2] == ["Name", "Department"] and len(rows) == 1 + 8
        screenshot(page, "journey-admin-filtered")
        axe_check(context.new_page(), [base + "/admin/reports?department=Finance",
                            base + "/admin/reports/summary", base + "/admin/reports/audit",
                            base + "/programmes/peer-supporter/people"])


@pytest.fixture
def https_tool(app, migrated, tmp_path, platform, shipped_content):
    """The tool over https on "localhost", its LMS on "127.0.0.1": a cross-site iframe, as
    in production."""
    from lms_plugin.lti.registration import save_platform

    port = free_port()
    base = f"https://localhost:{port}"
    tool_app = make_app(migrated, tmp_path / "https", LMS_PLUGIN_BASE_URL=base)
    server = ServerThread(tool_app, port=port, ssl_context="adhoc").start()
    with app.app_context():
        save_platform(**platform.registration_kwargs())
        db.session.commit()
    platform.point_at_tool(base)
    platform.reset()
    storage = platform.app.config.get("DEMO_LMS_PLATFORM_STORAGE")
    yield base
    server.stop()
    platform.app.config["DEMO_LMS_PLATFORM_STORAGE"] = storage


def test_chromium_blocking_third_party_cookies_still_launches(https_tool, platform):
    """Chromium with third-party cookies blocked, the tool on https in a cross-site frame:
    the tool's cookies are SameSite=None; Secure; Partitioned (CHIPS), kept per LMS site,
    so the launch and the pages after it work, without needing platform storage."""
    platform.app.config["DEMO_LMS_PLATFORM_STORAGE"] = False
    with chromium(args=BLOCK_THIRD_PARTY) as browser:
        page = browser.new_context(ignore_https_errors=True).new_page()
        page.goto(platform.url + "/course/wellbeing-101?persona=learner")
        page.frame_locator("iframe.lti-frame").get_by_role(
            "heading", name="Your peer support programme").wait_for(timeout=20000)
        cookies = page.context.cookies(https_tool)
        assert cookies and all(c.get("sameSite") == "None" and c.get("secure")
                               for c in cookies)
        tool = next(f for f in page.frames if f.url.startswith(https_tool))
        tool.goto(https_tool + "/modules/awareness/lessons/1")
        assert "Try it" in tool.content()
        screenshot(page, "journey-third-party-cookies-blocked")


def drop_tool_cookies_at_login(context, platform_url: str, tool_base: str) -> list[str]:
    """Make Chromium behave like a browser that keeps no cookie at all for the tool's
    frame during the OIDC login (Safari): the LMS's start page is answered with a plain
    navigation to the tool's login (so the request can be intercepted, which a redirect
    cannot), and the tool's login response reaches the frame without its Set-Cookie."""
    import requests

    stripped: list[str] = []

    def start(route):
        hop = requests.get(route.request.url, allow_redirects=False, timeout=10)
        target = hop.headers["Location"]
        route.fulfill(status=200, content_type="text/html",
                      body=f'<meta http-equiv="refresh" content="0;url={target}">')

    def login(route):
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        if len(headers) != len(response.headers):
            stripped.append(route.request.url)
        route.fulfill(response=response, headers=headers)

    context.route(lambda url: url.startswith(platform_url + "/start"), start)
    context.route(lambda url: url.startswith(tool_base + "/lti/login"), login)
    return stripped


@pytest.mark.parametrize("storage", [True, False])
def test_learner_journey_when_the_browser_keeps_no_tool_cookie_at_login(
        https_tool, platform, storage):
    """The state cookie never reaches the tool: the launch is carried by LTI platform
    storage (postMessage to the LMS page), and the learner reads a lesson and takes the
    quiz; where the LMS offers no storage, the learner gets a clear page instead."""
    platform.app.config["DEMO_LMS_PLATFORM_STORAGE"] = storage
    with chromium(args=BLOCK_THIRD_PARTY) as browser:
        context = browser.new_context(ignore_https_errors=True)
        stripped = drop_tool_cookies_at_login(context, platform.url, https_tool)
        page = context.new_page()
        page.goto(platform.url + "/course/wellbeing-101?persona=learner")
        frame = page.frame_locator("iframe.lti-frame")
        if storage:
            frame.get_by_role("heading", name="Your peer support programme").wait_for(
                timeout=20000)
            assert stripped, "the tool's login set no cookie to drop"
            tool = next(f for f in page.frames if f.url.startswith(https_tool))
            tool.goto(https_tool + "/modules/awareness/lessons/1")
            assert "Try it" in tool.content()
            tool.goto(https_tool + "/quiz/awareness")
            tool.get_by_role("button", name="Start the quiz").click()
            tool.wait_for_url("**/quiz/attempts/*")
            screenshot(page, "journey-no-cookie-platform-storage")
        else:
            frame.locator("main").wait_for(timeout=20000)
            text = frame.locator("main").inner_text().lower()
            assert "your peer support programme" not in text and "cookie" in text
            screenshot(page, "journey-no-cookie-no-storage")


def test_trainee_and_supervisor_the_way_they_live_it(demo):
    """Issue 12 as its people live it, on phones (375 px), every page (error states
    included) axe-clean, and the pages it ends on again at desktop width: the programme
    explained before enrolling; a reflection naming someone refused the GOV.UK way
    (summary focused, error at the field, text kept); a waiting entry withdrawn; the
    supervisor lands on the queue with a count, a reject without reason explained at the
    field, a correction, bulk approval with one confirmation, the trainee's progress as
    numbers; and the last requirement, a quiz pass, issuing the certificate at once (the
    blocker)."""
    from playwright.sync_api import expect
    from sqlalchemy import select

    from lms_plugin.content.services import get_catalog
    from lms_plugin.training.services import mark_lesson_complete
    from lms_plugin.users.models import User
    from tests.support import factories

    base, demo_app = demo
    slug = "peer-supporter"
    width = 375
    size = {"width": width, "height": 900}
    found: dict[str, list[str]] = {}

    def axe(page, name: str) -> None:
        found[f"{name} ({page.url})"] = serious(page)
        screenshot(page, f"journey12-{name}-{width}")

    def fits(page) -> None:  # no sideways scrolling; any element too wide is named
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => !e.closest('.visually-hidden, table.stack thead'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
        assert wide == [], (page.url, wide)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")

    with chromium() as browser:
        trainee_ctx = browser.new_context(viewport=size)
        supervisor_ctx = browser.new_context(viewport=size)
        boss_lms, _ = open_tool(supervisor_ctx, base, "supervisor")  # lands on the queue
        _, _ = open_tool(trainee_ctx, base, "trainee")
        with demo_app.app_context():
            sam = db.session.scalars(select(User).where(User.sub == "demo-trainee-1")).one()
            sam_id = sam.id
            for module in PATH:
                if module != "boundaries":
                    factories.completed(sam, module, 90)
            boundaries = get_catalog().modules["boundaries"]
            for lesson in boundaries.lessons:  # read; only its quiz is left
                mark_lesson_complete(sam, boundaries, lesson)
            db.session.commit()

        me = trainee_ctx.new_page()
        me.goto(f"{base}/programmes/{slug}")
        expect(me.get_by_role("heading", name="What the programme asks of you")).to_be_visible()
        assert "Sign the “Code of conduct” statement" in me.locator("main").inner_text()
        axe(me, "programme-before-enrolling")
        with me.expect_navigation():
            me.get_by_role("button", name="Enrol as a trainee peer supporter").click()
        me.get_by_text("You are enrolled.").wait_for()
        text = me.locator("main").inner_text()
        assert "module: not completed yet" in text and "Module boundaries" not in text

        today = me.evaluate("() => new Date().toLocaleDateString('en-CA')")

        def log_hours(kind: str, hours: str, reflection: str) -> None:
            me.locator("select[name=category]").first.select_option("practice")
            me.locator("select[name=kind]").first.select_option(kind)
            me.locator("input[name=hours]").first.fill(hours)
            me.locator("input[name=activity_date]").first.fill(today)
            me.locator("textarea[name=reflection]").first.fill(reflection)
            with me.expect_navigation():
                me.get_by_role("button", name="Log these hours").click()

        named = "Met Priya at the Leeds depot; I listened and we agreed a next step."
        log_hours("peer-conversation", "20", named)
        me.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'error-summary'")
        summary = me.locator("#error-summary").inner_text()
        assert "name or place" in summary and "a colleague" in summary
        assert "name or place" in me.locator(".field.has-error").first.inner_text()
        assert me.locator("textarea[name=reflection]").first.input_value() == named
        axe(me, "hours-refused")
        me.locator("#error-summary a").first.click()
        assert me.evaluate("() => document.activeElement.id") == "reflection"
        log_hours("peer-conversation", "20", "Listened, reflected back, agreed a next step.")
        log_hours("supervision", "4", "")
        log_hours("check-in", "1", "")
        me.get_by_text("Logged. Your supervisor will see it").wait_for()
        with me.expect_navigation():
            me.get_by_role("button", name="Withdraw the entry: check in,").click()
        me.get_by_text("Withdrawn.").wait_for()

        boss = supervisor_ctx.new_page()
        boss.goto(f"{base}/supervision")
        expect(boss.get_by_role("link", name="Supervision (2 waiting)")).to_be_visible()
        entry = boss.locator("section.entry", has_text="20 hours of peer conversation")
        entry.get_by_label("Reject", exact=True).check()
        with boss.expect_navigation():
            entry.get_by_role("button", name="Record decision").click()
        entry = boss.locator("section.entry", has_text="20 hours of peer conversation")
        assert "Give the trainee a reason" in entry.locator(".has-error").inner_text()
        assert entry.get_by_label("Reject", exact=True).is_checked()
        assert boss.locator(".flash-success").count() == 0
        axe(boss, "reject-without-reason")
        entry.get_by_label("Reason (required when you reject)").fill(
            "Please say which skills you used, not what was said.")
        with boss.expect_navigation():
            entry.get_by_role("button", name="Record decision").click()

        me.goto(f"{base}/programmes/{slug}")
        assert "Rejected: Please say which skills" in me.locator("main").inner_text()
        fits(me)
        axe(me, "entries-with-a-rejection")
        with me.expect_navigation():
            me.get_by_role("button", name="Delete the text").click()
        me.get_by_text("The text of that entry is deleted.").wait_for()
        me.get_by_text("Correct and resubmit").click()
        me.locator("details[open] textarea[name=reflection]").fill(
            "Used open questions and a summary; agreed a next step.")
        with me.expect_navigation():
            me.get_by_role("button", name="Resubmit for approval").click()
        text = me.locator("main").inner_text()
        assert "Corrected, waiting for your supervisor" in text
        assert "Please say which skills" not in text
        for _ in range(3):
            with me.expect_navigation():
                me.get_by_role("button", name="I agree and sign").first.click()
            assert "Signed: " in me.locator(".flash").first.inner_text()

        boss.goto(f"{base}/supervision")
        for box in boss.get_by_label("Select for approval with others").all():
            box.check()
        with boss.expect_navigation():
            boss.get_by_role("button", name="Approve the selected entries").click()
        expect(boss.get_by_role("heading", name="Approve 2 entries?")).to_be_visible()
        axe(boss, "bulk-confirmation")
        with boss.expect_navigation():
            boss.get_by_role("button", name="Yes, approve them all").click()
        boss.get_by_text("Approved 2 entries.").wait_for()
        fits(boss)
        axe(boss, "queue-done")
        boss.goto(f"{base}/supervision/trainees/{sam_id}")
        text = boss.locator("main").inner_text()
        assert "requirements met" in text and "20 of 20 supervised practice hours" in text
        assert "agreed a next step" not in text  # never their reflections here
        axe(boss, "trainee-progress")

        observe_roleplays(boss, base, sam_id)
        # The blocker: everything else is done; passing the last quiz certifies at once.
        me.goto(f"{base}/programmes/{slug}")
        assert me.get_by_role("heading", name="Your certificate").count() == 0
        me.goto(f"{base}/quiz/boundaries")
        me.get_by_role("button", name="Start the quiz").click()
        me.wait_for_url("**/quiz/attempts/*")
        answer_all(me, right=True, key=correct_answers("boundaries"))
        me.wait_for_url(re.compile(r"/review$|/completed"))
        assert "You passed" in me.locator("main").inner_text()
        me.goto(f"{base}/programmes/{slug}")
        expect(me.get_by_role("heading", name="Your certificate")).to_be_visible()
        assert "Ready to certify" not in me.locator("main").inner_text()
        fits(me)
        axe(me, "certified")
        width = 1280
        for page, url in [(me, f"{base}/programmes/{slug}"), (boss, f"{base}/supervision"),
                          (boss, f"{base}/supervision/trainees/{sam_id}")]:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            fits(page)
            axe(page, "desktop-" + url.rsplit("/", 1)[1])
        boss_lms.close()
    assert not any(found.values()), found
