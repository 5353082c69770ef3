"""The version of a quiz without sensitive items (issue 13): a learner may choose, on the
start page, to be asked only questions without a content note. The draw keeps the size of
an attempt, the score counts the same, and the choice is stored nowhere."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms_plugin.audit import AuditEvent
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import SAMPLE_CONTENT, sync
from tests.support.quiz import RIGHT, answer, csrf


def _item(qid: str, prompt: str, right: str, wrong: str, note: str | None = None,
          feedback: tuple[str, str] = ("Yes.", "Not quite.")) -> dict:
    item: dict = {"id": qid, "type": "single", "prompt": prompt, "options": [
        {"id": "a", "text": right, "correct": True, "feedback": feedback[0]},
        {"id": "b", "text": wrong, "correct": False, "feedback": feedback[1]}]}
    if note:
        item["content_note"] = note
    return item


# Added to the sample bank: three questions without a content note, one more with one.
EXTRA = [
    _item("q-pause", "A colleague goes quiet in the middle of a sentence. What helps?",
          "Wait, and give them time to go on.", "Fill the silence with a story of your own.",
          feedback=("Silence gives them room.", "It moves the talk to you.")),
    _item("q-summary", "What can help someone feel understood?",
          "A short summary of what you heard.", "Telling them how you would feel.",
          feedback=("It shows you listened.", "It moves the talk to you.")),
    _item("q-next", "What do you agree at the end of a supportive talk?",
          "A next step that they choose.", "That you will sort it all out.",
          feedback=("It keeps them in charge.", "That is not yours to promise.")),
    _item("q-harm", "A colleague tells you they have been hurting themselves. What do you "
          "do first?", "Stay calm, listen, and ask whether they are safe right now.",
          "Tell them firmly that they must stop.",
          note="This question is about a colleague who tells you they have been hurting "
          "themselves.",
          feedback=("Calm listening comes first.", "Pressure can make it harder to talk.")),
]


def with_extra(quiz: Path) -> str:
    return (quiz.read_text().rstrip("\n") + "\n"
            + textwrap.indent(yaml.safe_dump(EXTRA, sort_keys=False), "  "))


NOTED = {"q-tf", "q-harm"}
CLEAR = {"q-open", "q-signs", "q-case", "q-pause", "q-summary", "q-next"}
ALL_RIGHT = {**RIGHT, "q-q-pause": ["a"], "q-q-summary": ["a"], "q-q-next": ["a"],
             "q-q-harm": ["a"]}
NOTE_TEXTS = ("Asking someone directly about suicide", "have been hurting themselves")


@pytest.fixture
def bank(app, tmp_path: Path) -> Path:
    """The sample content with a bigger listening bank (8 questions, 2 with a content note,
    4 a try), unlimited tries and no cool-down."""
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    quiz = root / "quizzes" / "listening.yaml"
    quiz.write_text(with_extra(quiz).replace("attempts_allowed: 3", "attempts_allowed: 0"))
    sync(app, root)
    return root


def start(client, version: str | None):
    page = client.get("/quiz/listening").get_data(as_text=True)
    data = {"csrf_token": csrf(page)}
    if version is not None:
        data["version"] = version
    return client.post("/quiz/listening/start", data=data)


def pages(client, url: str) -> list[str]:
    return [client.get(f"{url}?q={n}").get_data(as_text=True) for n in range(1, 5)]


def last_layout(app) -> list[str]:
    with app.app_context():
        row = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id.desc())).first()
        assert row is not None
        return [entry["id"] for entry in row.layout]


def test_the_start_page_offers_the_version_only_when_the_bank_can_fill_it(
        app, lti, sample_content):
    lti.launch()
    # The sample bank: 3 of its 4 questions have no content note, and a try takes 4.
    page = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert 'name="version"' not in page
    refused = start(lti.client, "without_notes")
    assert refused.status_code == 400
    assert "no version without the questions that have a content note" in (
        refused.get_data(as_text=True))
    sync(app, _bigger(app, sample_content))
    page = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert 'value="without_notes"' in page and "Your choice is private" in page
    assert page.index('id="version-all"') < page.index("Start the quiz")
    assert 'id="version-all" name="version" value="all" checked' in page  # all, unless chosen


def _bigger(app, root: Path) -> Path:
    """Like the `bank` fixture, for a test that began with the sample content."""
    target = Path(app.instance_path) / "bigger"
    shutil.copytree(root, target)
    quiz = target / "quizzes" / "listening.yaml"
    quiz.write_text(with_extra(quiz))
    return target


def test_bad_version_is_a_clear_400_and_nothing_starts(app, lti, bank):
    lti.launch()
    response = start(lti.client, "gentle")
    assert response.status_code == 400
    assert "Choose which version of the quiz to take." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0


def test_the_version_without_notes_never_shows_a_noted_question(app, lti, bank):
    lti.launch()
    drawn: set[str] = set()
    for _ in range(6):
        started = start(lti.client, "without_notes")
        assert started.status_code == 302
        url = started.headers["Location"]
        layout = last_layout(app)
        assert len(layout) == 4 and len(set(layout)) == 4  # a whole try, as ever
        assert not set(layout) & NOTED
        for page in pages(lti.client, url):
            assert "Content note:" not in page
            assert not any(text in page for text in NOTE_TEXTS)
        drawn |= set(layout)
        first = lti.client.get(url).get_data(as_text=True)
        answer(lti.client, url, first, {})  # submit blank: fails, and try again at once
    # The last try's questions are avoided when the rest can fill the next one, so every
    # question without a note comes up.
    assert drawn == CLEAR
    # The choice was stored nowhere: no audit entry, only the questions drawn.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_without_a_choice_every_question_may_be_drawn(app, lti, bank):
    lti.launch()
    drawn: set[str] = set()
    for version in (None, "all"):
        started = start(lti.client, version)
        drawn |= set(last_layout(app))
        url = started.headers["Location"]
        answer(lti.client, url, lti.client.get(url).get_data(as_text=True), {})
    # 4 of 8, then the other 4 (the last try's are avoided): both noted ones came up.
    assert drawn == CLEAR | NOTED


def test_the_score_counts_and_posts_the_same(app, lti, bank):
    lti.launch()
    started = start(lti.client, "without_notes")
    url = started.headers["Location"]
    review = answer(lti.client, url, lti.client.get(url).get_data(as_text=True), ALL_RIGHT)
    assert review.status_code == 302
    with app.app_context():
        row = db.session.scalars(select(QuizAttempt)).one()
        assert float(row.score) == 100.0 and row.passed
        [message] = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "ags.score")).all()
        payload = json.loads(message.payload_json)
    assert payload["score"]["scoreGiven"] == 100.0
    assert payload["score"]["scoreMaximum"] == 100
