"""Roster sync over real HTTP against lti1p3platform's Names and Role Provisioning
Service (the demo LMS's rosters): pages followed, people who never launched recorded
as learners, rate-limited per course, people who left made inactive."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms_plugin.demo import nrps as demo_nrps
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.jobs.worker import new_worker_id, run_once
from lms_plugin.lti import nrps
from lms_plugin.users.models import Course, Enrollment, User
from tests.support.browser import HttpBrowser
from tests.support.servers import ServerThread

pytestmark = pytest.mark.e2e


def roster_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == nrps.ROSTER_KIND)))
        db.session.expunge_all()
        return rows


def test_roster_sync_follows_pages_and_counts_people_who_never_launched(
        app, live_tool, platform, monkeypatch):
    monkeypatch.setattr(nrps, "PAGE_SIZE", 5)  # 16 members: four pages
    browser = HttpBrowser()
    assert browser.launch(platform.url, persona="learner").status_code == 200
    [message] = roster_messages(app)
    assert message.payload["url"].endswith("/nrps/wellbeing-101/memberships")
    before = platform.hits.get("/demo/nrps/wellbeing-101/memberships", 0)

    with live_tool.app.app_context():
        assert run_once(new_worker_id()) == 1
    assert roster_messages(app)[0].sent_at is not None
    assert platform.hits["/demo/nrps/wellbeing-101/memberships"] - before == 4

    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        enrolled = db.session.execute(
            select(User.sub, User.name, Enrollment.source, Enrollment.roles, Enrollment.active)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course.id)).all()
        assert len(enrolled) == len(demo_nrps.members("wellbeing-101")) == 16
        by_sub = {row.sub: row for row in enrolled}
        assert by_sub["demo-learner-1"].source == "launch"
        assert by_sub["demo-wellbeing-101-03"].name == "Carmen Ruiz"
        assert by_sub["demo-wellbeing-101-03"].source == "roster"
        assert by_sub["demo-wellbeing-101-03"].roles == "learner"
        assert by_sub["demo-supervisor-1"].roles == "mentor"
        assert course.roster_synced_at is not None

    # A second launch the same day does not queue another sync.
    assert browser.launch(platform.url, persona="learner").status_code == 200
    assert len(roster_messages(app)) == 1

    # Someone leaves the course: the next sync marks them inactive, history kept.
    monkeypatch.setattr(demo_nrps, "ROSTER_ONLY", demo_nrps.ROSTER_ONLY[:-1])
    with live_tool.app.app_context():
        course = db.session.get(Course, course.id)
        assert nrps.request_roster_sync(course, message.payload["platform_id"], force=True)
        db.session.commit()
        assert run_once(new_worker_id()) == 1
    with app.app_context():
        left = db.session.execute(
            select(Enrollment.active).join(User, User.id == Enrollment.user_id)
            .where(User.sub == "demo-wellbeing-101-12")).scalar_one()
        assert left is False
        assert db.session.scalar(select(func.count()).select_from(Enrollment).where(
            Enrollment.active.is_(True))) == 15


def test_a_failing_roster_endpoint_is_retried_not_lost(app, live_tool, platform):
    browser = HttpBrowser()
    browser.launch(platform.url, persona="learner")
    platform.server.stop()  # the LMS goes down
    try:
        with live_tool.app.app_context():
            assert run_once(new_worker_id()) == 1
    finally:
        platform.server = ServerThread(platform.app, port=platform.server.port).start()
    [message] = roster_messages(app)
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
