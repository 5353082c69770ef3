"""The learner finishes the last module in real headless Chromium (inside the demo LMS's
iframe): the training completion page, its certificate PDF, the baked Open Badge PNG and
the LinkedIn link; the module completion page; the public verification page and the
readable data page. axe-core clean on every page visited, at desktop and phone widths;
screenshots to test-artifacts/ (TEST_SCREENSHOTS=1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select

from lms_plugin.certification.training_certificate import TRAINING_SLUG
from lms_plugin.content.models import ContentVersion
from lms_plugin.content.services import get_catalog
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.training.services import mark_lesson_complete, path_for
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.badges import baked_itxt
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.e2e import axe_check, open_tool

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]


def all_but_the_last_lesson(demo_app, name: str) -> str:
    """Alex has completed everyone's modules but the last, and all of that but its last
    lesson (its quiz, if it has one, passed). Returns that module's slug."""
    with demo_app.app_context():
        alex = db.session.scalars(select(User).where(User.name == name)).one()
        modules = path_for(None)  # everyone's path: what the training certificate needs
        *first, last = modules
        for module in first:
            factories.completed(alex, module.slug, 90, version=module.version)
        quiz = last.meta.completion.quiz
        if quiz:  # a module may complete with its lessons alone
            version = db.session.scalar(select(ContentVersion.version).where(
                ContentVersion.kind == "quiz", ContentVersion.slug == quiz,
                ContentVersion.is_current))
            db.session.add(QuizAttempt(user_id=alex.id, quiz_slug=quiz, quiz_version=version,
                                       layout_json="[]", answers_json="{}",
                                       submitted_at=datetime.now(UTC), score=100, passed=True))
            db.session.flush()
        for lesson in last.lessons[:-1]:
            mark_lesson_complete(alex, last, lesson)
        db.session.commit()
        return last.slug


def test_learner_finishes_the_training_and_takes_the_certificate_away(demo):
    base, demo_app = demo
    width = 1280
    with chromium() as browser:
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      accept_downloads=True)
        page, tool = open_tool(context, base, "learner", course="wellbeing-101")
        slug = all_but_the_last_lesson(demo_app, "Alex Morgan")
        with demo_app.app_context():
            module = get_catalog().modules[slug]
            first = get_catalog().ordered_modules()[0]
            number = module.lessons[-1].number

        tool.goto(f"{base}/")
        assert "in any order" in tool.locator("main").inner_text()
        tool.goto(f"{base}/modules/{slug}/lessons/{number}")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Mark complete").click()
        tool.wait_for_url("**/training/completed")
        tool.get_by_role("heading", name="You have completed the training").wait_for()
        main = tool.locator("main").inner_text()
        assert module.meta.title in main and "It does not expire" in main
        assert "Get help now" in main
        screenshot(page, f"completion-training-{width}")

        with demo_app.app_context():
            alex = db.session.scalars(select(User).where(User.name == "Alex Morgan")).one()
            from lms_plugin.certification.models import Certificate

            (certificate,) = db.session.scalars(select(Certificate).where(
                Certificate.user_id == alex.id, Certificate.programme_slug == TRAINING_SLUG))
            code = certificate.code

        with page.expect_download() as pdf_download:
            tool.get_by_role("link", name="Download PDF certificate").click()
        assert pdf_download.value.suggested_filename == f"certificate-{code}.pdf"
        assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")
        with page.expect_download() as png_download:
            tool.get_by_role("link", name="Download badge image (PNG)").click()
        assert png_download.value.suggested_filename == f"badge-{code}.png"
        keyword, _compressed, token = baked_itxt(Path(png_download.value.path()).read_bytes())
        assert keyword == "openbadgecredential"
        keys = jwt.PyJWKSet.from_dict(json.loads(
            context.request.get(base + "/lti/jwks").text()))
        key = next(k for k in keys.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
        assert jwt.decode(token, key.key, algorithms=["RS256"])["vc"]["id"].endswith(code)

        linkedin = tool.get_by_role("link", name="Add to LinkedIn profile")
        assert linkedin.get_attribute("href").startswith("https://www.linkedin.com/profile/add?")
        assert linkedin.get_attribute("target") == "_blank"
        assert "noopener" in linkedin.get_attribute("rel")

        # A module finished earlier has its acknowledgement too.
        tool.goto(f"{base}/modules/{first.slug}/completed")
        tool.get_by_role("heading", name=f"You have completed {first.meta.title}").wait_for()
        screenshot(page, f"completion-module-{width}")

        anyone = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        anyone.goto(f"{base}/verify/{code}")
        text = anyone.locator("main").inner_text()
        assert "Genuine and current" in text and "Does not expire" in text
        screenshot(anyone, f"completion-verify-{width}")
        axe_check(anyone, [f"{base}/verify/{code}"])

        data = context.new_page()
        data.goto(f"{base}/privacy/my-data")
        assert "layout_json" not in data.locator("main").inner_text()
        screenshot(data, f"completion-my-data-{width}")
        pages = {"training": "/training/completed", "module": f"/modules/{slug}/completed",
                 "first-module": f"/modules/{first.slug}/completed", "programme": "/",
                 "module-page": f"/modules/{slug}",
                 "lesson": f"/modules/{slug}/lessons/{number}", "my-data": "/privacy/my-data"}
        # The tool's pages whole (the LMS's frame cuts them off above), at both widths.
        for width in (1280, 375):
            data.set_viewport_size({"width": width, "height": 900})
            axe_check(data, [base + url for url in pages.values()])
            for name, url in pages.items():
                data.goto(base + url)
                assert data.evaluate(
                    "document.documentElement.scrollWidth") <= width, (url, width)
                screenshot(data, f"completion-{name}-page-{width}")
