"""The paged quiz in real headless Chromium on a phone: progress and navigator,
flagging, the summary's warning on blanks, a timer the server keeps through a reload, the
review of a failed try without the answer key, and the cool-down in the browser's own
time zone. axe-core on every page visited (screenshots with TEST_SCREENSHOTS=1)."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import make_app, sync
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.e2e import answer, correct_answers, serious
from tests.support.servers import ServerThread

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]
ROOT = Path(__file__).parents[2]


@pytest.fixture
def timed_demo(app, migrated, tmp_path):
    """The shipped content, with a 20-minute limit on the awareness quiz."""
    content = tmp_path / "content"
    for part in ("modules", "quizzes", "roleplays", "certifications"):
        shutil.copytree(ROOT / part, content / part)
    quiz = content / "quizzes" / "awareness.yaml"
    quiz.write_text(quiz.read_text().replace("cooldown_minutes: 30\n",
                                             "cooldown_minutes: 30\ntime_limit_minutes: 20\n"))
    sync(app, content)
    demo_app = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True)
    server = ServerThread(demo_app).start()
    yield server.url.replace("127.0.0.1", "localhost"), demo_app
    server.stop()


def test_paged_quiz_journey(timed_demo):
    """On a phone (375 px), where the navigator and the timer have the least room; the
    pages it ends on are checked again at desktop width."""
    base, demo_app = timed_demo
    width = 375
    key = correct_answers("awareness")
    axe: dict[str, list[str]] = {}
    with chromium() as browser:
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      timezone_id="Pacific/Auckland")
        page = context.new_page()
        page.goto(base + "/demo/course/wellbeing-101?persona=learner")
        page.frame_locator("iframe.lti-frame").get_by_role(
            "heading", name="Your peer support programme").wait_for(timeout=15000)

        page.goto(base + "/quiz/awareness")
        assert "You have 20 minutes once you start" in page.locator("main").inner_text()
        axe["start"] = serious(page)
        page.get_by_role("button", name="Start the quiz").click()
        page.wait_for_url(re.compile(r".*/quiz/attempts/\d+$"))
        attempt_url = page.url

        # Page 1 of 10: progress, timer, one question; answer it and flag it.
        main = page.locator("main")
        assert "Question 1 of 10" in main.inner_text()
        assert page.locator("progress#quiz-progress").get_attribute("value") == "1"
        assert page.get_by_role("progressbar").count() == 1
        assert page.get_by_role("timer").count() == 1
        answer(page, right=True, key=key)
        page.get_by_label("Flag this question to come back to it").check()
        axe["question"] = serious(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Next question").click()
        assert "Question 2 of 10" in main.inner_text()
        nav = page.get_by_role("navigation", name="All questions")
        first = nav.get_by_role("button", name=re.compile(r"^1 .*answered, flagged"))
        assert first.count() == 1 and "not answered" not in first.inner_text()
        current = nav.locator("[aria-current=step]")
        assert "this question" in current.inner_text()
        screenshot(page, f"quiz-page-2-navigator-{width}")

        # The navigator by keyboard: focus question 3 and press Enter.
        nav.get_by_role("button", name=re.compile(r"^3 ")).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Question 3 of 10" in main.inner_text()

        # With JS, a change is saved at once: a reload without any button keeps it.
        for group in page.locator("fieldset").all():  # (a scenario has several parts)
            with page.expect_response(lambda r: r.request.method == "POST"
                                      and r.status == 204):
                group.locator("input").first.check()
        page.reload()
        assert all(g.locator("input").first.is_checked()
                   for g in page.locator("fieldset").all())
        assert "3 answered" in " ".join(nav.get_by_role("button", name=re.compile(
            r"^3 ")).inner_text().split())

        # The server keeps the deadline: with five minutes left, a reload shows them.
        with demo_app.app_context():
            db.session.execute(update(QuizAttempt).values(
                deadline_at=datetime.now(UTC) + timedelta(minutes=5)))
            db.session.commit()
        page.reload()
        timer = page.get_by_role("timer")
        assert re.match(r"^[45] min \d\d s$", timer.inner_text()), timer.inner_text()
        text = timer.inner_text()
        page.wait_for_function(  # and it counts down in the browser
            "t => document.getElementById('quiz-timer').textContent !== t", arg=text)
        screenshot(page, f"quiz-timer-after-reload-{width}")

        # The summary warns about the blanks and lists the flagged question.
        with page.expect_navigation():
            page.locator(".quiz-actions, .quiz-nav").get_by_role(
                "button", name="Check your answers and submit").first.click()
        summary = main.inner_text()
        assert "Not answered yet" in summary and "Flagged for review" in summary
        assert "You have answered 2 of 10 questions" in summary
        assert page.get_by_role("button", name="Submit answers").count() == 0
        axe["summary"] = serious(page)
        screenshot(page, f"quiz-summary-blanks-{width}")
        page.get_by_role("button", name="Submit anyway, with 8 questions not answered").click()
        page.wait_for_url("**/review")

        # A failed try with tries left: what was wrong, feedback on choices, no key.
        review = main.inner_text()
        assert "The pass mark is 80%" in review and "Not quite" in review
        assert "A right answer" not in review and page.locator(".is-answer").count() == 0
        assert page.locator(".feedback").count() >= 1
        axe["review"] = serious(page)
        screenshot(page, f"quiz-review-failed-{width}")

        # The cool-down, in the browser's zone (Auckland), not UTC.
        page.goto(base + "/quiz/awareness")
        when = page.locator("main .notice time[data-local]")
        assert when.count() == 1
        assert "UTC" not in when.inner_text() and re.search(r"GMT\+1[23]|NZ", when.inner_text())
        axe["cool-down"] = serious(page)
        screenshot(page, f"quiz-cool-down-local-time-{width}")
        # The programme page says a retake is waiting, and until when, in local time.
        page.goto(base + "/")
        card = page.locator(".module-card", has_text="Mental health at work: awareness")
        assert "Quiz retake waiting" in card.inner_text()
        local = card.locator("time[data-local]").inner_text()
        assert "UTC" not in local and re.search(r"GMT\+1[23]|NZ", local), local
        axe["programme"] = serious(page)
        screenshot(page, f"quiz-programme-retake-waiting-{width}")
        page.goto(attempt_url)  # a submitted try goes to its review
        assert page.url.endswith("/review")
        page.set_viewport_size({"width": 1280, "height": 900})
        for name, url in [("review-desktop", attempt_url), ("start-desktop", "/quiz/awareness"),
                          ("programme-desktop", "/")]:
            page.goto(url if url.startswith("http") else base + url)
            axe[name] = serious(page)
        context.close()
    assert not any(axe.values()), axe
