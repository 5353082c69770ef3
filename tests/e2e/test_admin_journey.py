"""The L&D admin's journey through the admin area in real headless Chromium, inside the
demo LMS's iframe: search a person, open their page, give one more quiz try, revoke a
certificate (confirmation and reason), open the erasure requests queue and the audit log
filtered. Then every page visited, at 1280 and 375 px: axe, no sideways scrolling;
screenshots in test-artifacts/ (TEST_SCREENSHOTS=1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms_plugin.audit import AuditEvent, audit
from lms_plugin.certification.certificates import new_code
from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.e2e import axe_check, open_tool

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]


def seed(demo_app) -> None:
    """In the admin's organisation: Priya, who used all three tries at the awareness quiz
    and holds a certificate, and Dana, who asked 40 days ago for her records to be erased."""
    with demo_app.app_context():
        issuer = db.session.scalars(select(User.issuer).where(
            User.sub == "demo-admin-1")).one()
        priya = factories.user("Priya Shah", issuer=issuer)
        priya.email, priya.department = "priya.shah@example.org", "Warehouse"
        now = datetime.now(UTC)
        priya.last_launch_at = now - timedelta(days=1)
        for i in range(3):
            when = now - timedelta(days=3 - i)
            db.session.add(QuizAttempt(
                user_id=priya.id, quiz_slug="awareness", quiz_version="v1", layout_json="[]",
                answers_json='{"q": {"q": ["private-answer"]}}', started_at=when,
                submitted_at=when, score=50 + i, passed=False))
        db.session.add(Certificate(
            user_id=priya.id, programme_slug="peer-supporter", programme_version="v1",
            code=new_code(), holder_name="Priya Shah", issued_at=now - timedelta(days=30),
            expires_at=now + timedelta(days=335), evidence_json="{}",
            current_key=f"{priya.id}:peer-supporter"))
        dana = factories.user("Dana Request", issuer=issuer)
        audit("privacy.erasure_request", dana, dana, None)
        db.session.flush()
        db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().at = \
            now - timedelta(days=40)
        db.session.commit()


def test_admin_finds_a_person_gives_a_try_revokes_and_reads_the_queue_and_log(demo):
    base, demo_app = demo
    shot = "admin-journey"
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page, tool = open_tool(context, base, "admin", course="wellbeing-101")
        seed(demo_app)  # once the admin's launch has made their organisation
        visited: dict[str, str] = {}

        def step(name: str) -> None:
            visited[name] = tool.url
            screenshot(page, f"{shot}-{name}")  # in the LMS's frame, with any message

        tool.goto(base + "/admin")  # lands on Reports, with the admin navigation
        admin_nav = tool.get_by_role("navigation", name="Admin")
        assert "Erasure requests (1 open)" in admin_nav.inner_text()
        with tool.expect_navigation():
            admin_nav.get_by_role("link", name="People").click()
        tool.get_by_label("Name, e-mail or department").fill("warehouse")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Search").click()
        assert "1 person match" in tool.locator("#people-count").inner_text()
        step("people-search")

        with tool.expect_navigation():
            tool.get_by_role("link", name="Priya Shah").click()
        main = tool.locator("main").inner_text()
        assert "Awareness quiz" in main and "3 of 3" in main and "All tries used." in main
        assert "private-answer" not in tool.content()
        step("person")

        tool.get_by_label("Reason").first.fill("Was off sick during the first tries.")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Give one more try").first.click()
        assert "Priya Shah has one more try at the quiz “Awareness quiz”." in \
            tool.locator(".flash").inner_text()
        assert "3 of 4 (1 extra given)" in tool.locator("main").inner_text()
        step("extra-try-given")

        with tool.expect_navigation():
            tool.locator("#certificates ~ table a[href$='/revoke']").first.click()
        assert "What happens" in tool.locator("main").inner_text()
        step("revoke-confirm")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Revoke the certificate").click()
        assert "Give a reason" in tool.locator(".error-summary").inner_text()
        tool.get_by_label("Reason for revoking").fill("Left the peer support role.")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Revoke the certificate").click()
        assert "is revoked" in tool.locator(".flash").inner_text()
        assert "Left the peer support role." in tool.locator("#certificates ~ table").first \
            .inner_text()
        step("revoked")

        with tool.expect_navigation():
            tool.get_by_role("navigation", name="Admin").get_by_role(
                "link", name="Erasure requests").click()
        row = tool.locator("tr", has_text="Dana Request")
        assert "Overdue" in row.inner_text()
        step("erasure-queue")

        with tool.expect_navigation():
            tool.get_by_role("navigation", name="Admin").get_by_role(
                "link", name="Audit log").click()
        tool.get_by_label("Kind of event").select_option(label="Gave one more quiz try")
        tool.get_by_label("Person (who did it, or whose record)").fill("Priya")
        with tool.expect_navigation():
            tool.get_by_role("button", name="Filter").click()
        log = tool.locator("table.audit-log").inner_text()
        assert "Gave one more quiz try" in log and "Was off sick" in log
        assert "Certificate revoked" not in log
        step("audit-filtered")

        checker = context.new_page()
        for width in (1280, 375):  # each page at the top level: axe, no sideways scroll
            checker.set_viewport_size({"width": width, "height": 900})
            axe_check(checker, list(visited.values()))
            for name, url in visited.items():
                checker.goto(url)
                scroll = checker.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, f"{url} scrolls sideways at {width}px ({scroll}px)"
                screenshot(checker, f"{shot}-{name}-{width}")
