"""The programme and module pages say when a quiz retake is waiting, and until when."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import sync
from tests.support.quiz import answer, start_quiz


def with_cooldown(app, sample_content, tmp_path, minutes: int) -> None:
    edited = tmp_path / "content"
    shutil.copytree(sample_content, edited)
    quiz = edited / "quizzes" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("cooldown_minutes: 0",
                                             f"cooldown_minutes: {minutes}"))
    sync(app, edited)


def test_a_waiting_retake_is_on_the_programme_and_module_pages(app, lti, sample_content,
                                                               tmp_path):
    with_cooldown(app, sample_content, tmp_path, 30)
    lti.launch()
    assert "retake" not in lti.client.get("/").get_data(as_text=True).lower()
    url, page = start_quiz(lti.client)
    assert "try in progress" in lti.client.get("/modules/listening").get_data(as_text=True)
    answer(lti.client, url, page, {"q-q-open": ["a"]})
    with app.app_context():
        submitted = db.session.query(QuizAttempt).one().submitted_at.replace(tzinfo=UTC)
    for path in ("/", "/modules/listening"):
        html = lti.client.get(path).get_data(as_text=True)
        assert "Quiz retake waiting" in html and "(2 tries left)" in html
        when = re.search(r'<time data-local datetime="([^"]+)">[^<]+ UTC</time>', html)
        assert when, html
        after = datetime.fromisoformat(when.group(1))
        assert 29 * 60 < (after - submitted).total_seconds() <= 30 * 60 + 1
        assert "local-time.js" in html


def test_a_retake_without_a_wait_is_ready(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    answer(lti.client, url, page, {})
    html = lti.client.get("/modules/listening").get_data(as_text=True)
    assert "You can retake the quiz now (2 tries left)" in html
