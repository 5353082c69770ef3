"""Grade passback over real HTTP to lti1p3platform's AGS handlers (the demo LMS's
gradebook): through the outbox, with the LMS down for a while, and with several workers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.jobs.outbox import enqueue
from lms_plugin.jobs.worker import new_worker_id, run_once
from lms_plugin.lti.ags import LINEITEM_TAG, SCORE_KIND
from lms_plugin.lti.models import Platform
from tests.conftest import SAMPLE_CONTENT, sync
from tests.support.browser import HttpBrowser, parse_form
from tests.support.quiz import RIGHT
from tests.support.servers import ServerThread

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def grades_only(live_tool):
    """These tests count outbox rows: keep the roster sync (tested on its own) out."""
    live_tool.app.config["LMS_PLUGIN_ROSTER_SYNC_SECONDS"] = 0


def take_quiz(browser: HttpBrowser, tool: str, answers: dict) -> None:
    page = browser.session.get(tool + "/quiz/listening").text
    token = parse_form(page).fields["csrf_token"]
    attempt = browser.session.post(tool + "/quiz/listening/start", data={"csrf_token": token})
    form = parse_form(attempt.text)
    # The paged quiz: a page post may save answers to any question of the try; then the
    # summary page's confirmed submit ("submit anyway" covers any blank).
    data = MultiDict([("csrf_token", form.fields["csrf_token"]), ("action", "save"),
                      ("page", "1")])
    for name, values in answers.items():
        for value in values:
            data.add(name, value)
    browser.session.post(attempt.url, data=list(data.items(multi=True)))
    review = browser.session.post(attempt.url + "/submit", data={
        "csrf_token": form.fields["csrf_token"], "confirm": "anyway"})
    assert "You scored" in review.text


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_score_arrives_exactly_once_though_the_lms_was_down(app, live_tool, platform):
    sync(app, SAMPLE_CONTENT)
    browser = HttpBrowser()
    assert browser.launch(platform.url, persona="learner").status_code == 200
    take_quiz(browser, live_tool.url, RIGHT)
    [message] = outbox(app)
    assert message.kind == SCORE_KIND and message.sent_at is None

    platform.server.stop()  # the LMS goes down
    with live_tool.app.app_context():
        assert run_once(new_worker_id()) == 1
    [message] = outbox(app)
    assert message.sent_at is None and message.attempts == 1
    assert message.last_error and message.available_at.replace(tzinfo=UTC) > datetime.now(UTC)
    with live_tool.app.app_context():
        assert run_once(new_worker_id()) == 0  # backing off, not hammering

    platform.server = ServerThread(platform.app, port=platform.server.port).start()
    with app.app_context():  # skip the back-off wait
        db.session.execute(update(OutboxMessage).values(available_at=datetime.now(UTC)))
        db.session.commit()
    with live_tool.app.app_context():
        assert run_once(new_worker_id()) == 1
        assert run_once(new_worker_id()) == 0
    [message] = outbox(app)
    assert message.sent_at is not None

    scores = platform.state.scores("wellbeing-101")
    assert len(scores) == 1
    score = scores[0]
    assert score["userId"] == "demo-learner-1"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (100.0, 100)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["timestamp"]
    [item] = [i for i in platform.state.line_items("wellbeing-101").values()
              if i.get("resourceId") == "listening"]
    assert item["tag"] == LINEITEM_TAG and item["label"] == "Listening well quiz"


def test_deep_linked_quiz_link_gets_its_own_line_item(app, live_tool, platform):
    sync(app, SAMPLE_CONTENT)
    link = platform.state.add_links("peer-support", [{
        "title": "Listening quiz", "url": live_tool.url + "/lti/launch",
        "custom": {"module": "listening", "open": "quiz"},
        "lineItem": {"scoreMaximum": 100, "label": "Listening quiz", "resourceId": "listening"},
    }])[0]
    base = platform.url
    platform.state.save_line_item("peer-support", link["id"], {
        **link["lineItem"], "id": f"{base}/ags/peer-support/lineitems/{link['id']}"})
    browser = HttpBrowser()
    landed = browser.launch(platform.url, course="peer-support", link=link["id"])
    assert landed.url == live_tool.url + "/quiz/listening"
    take_quiz(browser, live_tool.url, {"q-q-open": ["b"]})
    with live_tool.app.app_context():
        assert run_once(new_worker_id()) == 1
    [score] = platform.state.scores("peer-support")
    assert score["line_item"] == link["id"] and score["scoreGiven"] == 25.0
    # No second line item was made in the course for the same quiz.
    assert list(platform.state.line_items("peer-support")) == [link["id"]]


def test_several_workers_never_send_a_row_twice(app, live_tool, platform):
    with app.app_context():
        platform_id = db.session.scalars(select(Platform.id)).one()
        for i in range(24):
            enqueue(SCORE_KIND, {
                "platform_id": platform_id,
                "ags": {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score",
                                  "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
                        "lineitems": f"{platform.url}/ags/peer-support/lineitems"},
                "lineitem": {"resourceId": "awareness", "label": "Awareness quiz",
                             "scoreMaximum": 100, "tag": LINEITEM_TAG},
                "score": {"userId": f"user-{i}", "scoreGiven": i, "scoreMaximum": 100,
                          "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                          "timestamp": datetime.now(UTC).isoformat()},
            })
        db.session.commit()
    # One line item first, so the workers race only on the scores.
    with live_tool.app.app_context():
        assert run_once(new_worker_id(), limit=1) == 1
    platform.hits.clear()

    done: list[int] = []

    def work() -> None:
        with live_tool.app.app_context():
            done.append(run_once(new_worker_id()))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(done) == 23
    scores = platform.state.scores("peer-support")
    assert sorted(s["userId"] for s in scores) == sorted(f"user-{i}" for i in range(24))
    assert all(m.sent_at is not None for m in outbox(app))
    assert len(platform.state.line_items("peer-support")) == 1
    # The access token was fetched once and reused from the shared store.
    assert platform.hits.get("/demo/token", 0) == 0


def test_a_failed_try_with_tries_left_is_submitted_not_completed(app, live_tool, platform):
    sync(app, SAMPLE_CONTENT)  # three tries, no cool-down
    browser = HttpBrowser()
    assert browser.launch(platform.url, persona="learner").status_code == 200
    progress = []
    for _ in range(3):
        take_quiz(browser, live_tool.url, {"q-q-open": ["b"]})  # 25%: not passed
        progress.append(outbox(app)[-1].payload["score"]["activityProgress"])
    # Two failed tries with more left, then the last try: only that one is Completed.
    assert progress == ["Submitted", "Submitted", "Completed"]
    assert {m.payload["score"]["gradingProgress"] for m in outbox(app)} == {"FullyGraded"}
