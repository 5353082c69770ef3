"""A learner's way through a module: lessons, progress, the quiz, completion; and the
promises about quizzes (server-side grading, one attempt per submit, versions kept)."""

from __future__ import annotations

import re
import shutil

from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.training.models import LessonProgress, ModuleCompletion
from tests.conftest import sync
from tests.support.quiz import RIGHT, answer, csrf, start_quiz


def all_pages(client, url: str, page: str) -> list[str]:
    total = int(re.search(r"Question 1 of (\d+)", page).group(1))
    return [client.get(f"{url}?q={n}").get_data(as_text=True) for n in range(1, total + 1)]


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.scalar(stmt)


def test_learner_goes_from_launch_through_lessons_and_quiz_to_completion(app, lti,
                                                                          sample_content):
    client = lti.client
    lti.launch()
    overview = client.get("/").get_data(as_text=True)
    assert "Listening well" in overview and "Not started" in overview

    module = client.get("/modules/listening").get_data(as_text=True)
    assert "0 of 2 lessons done" in module

    lesson = client.get("/modules/listening/lessons/1").get_data(as_text=True)
    assert "Open questions" in lesson and "Lesson 1 of 2" in lesson
    assert "<script" not in lesson.split("<main", 1)[1]  # content can never run script
    done = client.post("/modules/listening/lessons/1/complete", data={"csrf_token": csrf(lesson)})
    assert done.headers["Location"].endswith("/modules/listening/lessons/2")

    second = client.get("/modules/listening/lessons/2").get_data(as_text=True)
    assert "Content note:" in second and "mentions suicide" in second
    assert "href=\"javascript:" not in second
    client.post("/modules/listening/lessons/2/complete", data={"csrf_token": csrf(second)})
    assert count(app, LessonProgress) == 2
    assert count(app, ModuleCompletion) == 0  # the quiz is still to pass

    url, page = start_quiz(client)
    assert "Question 1 of 4" in page
    done = answer(client, url, page, RIGHT)
    assert "/modules/listening/completed?attempt=" in done.headers["Location"]
    result = client.get(url + "/review").get_data(as_text=True)
    assert "You scored <strong>100%</strong>" in result and "You passed" in result
    assert "It invites them to say more." in result  # feedback after submission

    with app.app_context():
        completion = db.session.scalars(select(ModuleCompletion)).one()
        assert completion.module_slug == "listening" and float(completion.quiz_score) == 100
        assert completion.completed_at is not None
        # The score went to the outbox in the same transaction: one for the quiz, one
        # progress post for the completed module.
        kinds = db.session.scalars(select(OutboxMessage.kind).where(
            OutboxMessage.kind != "nrps.roster")).all()
        assert kinds == ["ags.score", "ags.score"]
    assert "Completed" in client.get("/").get_data(as_text=True)
    # Completion is recorded once: nothing new however the learner goes on.
    client.post("/modules/listening/lessons/1/complete", data={"csrf_token": csrf(lesson)})
    assert count(app, ModuleCompletion) == 1


def test_quiz_page_never_carries_answers_or_feedback(lti, sample_content):
    lti.launch()
    url, first = start_quiz(lti.client)
    pages = all_pages(lti.client, url, first)
    summary = lti.client.get(url + "/summary").get_data(as_text=True)
    for page in [*pages, summary]:
        for marker in ("correct", "feedback", "It invites them to say more", "Research shows",
                       "is-answer", "A right answer"):
            assert marker not in page
    # Every option is offered, by id and text only, one question per page.
    page = "".join(pages)
    assert len(re.findall(r'type="radio"', page)) == 3 + 2 + 3 + 2
    assert len(re.findall(r'type="checkbox" id="q-', page)) == 3


def test_double_submit_records_one_attempt(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    first = answer(lti.client, url, page, RIGHT)
    outbox = count(app, OutboxMessage)
    second = answer(lti.client, url, page, {"q-q-open": ["a"]})  # a different, worse answer
    assert first.status_code == second.status_code == 302
    with app.app_context():
        attempt = db.session.scalars(select(QuizAttempt)).one()
        assert float(attempt.score) == 100.0
    assert count(app, OutboxMessage) == outbox


def test_attempt_resumes_after_reload_with_saved_answers(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    order = re.findall(r'id="(q-[a-z0-9-]+-[a-z0-9]+)"', "".join(all_pages(lti.client, url, page)))
    saved = answer(lti.client, url, page, {"q-q-open": ["b"]}, action="save")
    assert saved.status_code == 302
    again = "".join(all_pages(lti.client, url, page))
    assert re.findall(r'id="(q-[a-z0-9-]+-[a-z0-9]+)"', again) == order
    assert 'id="q-q-open-b" name="q-q-open" value="b" checked' in again
    # Starting again resumes the same attempt rather than drawing a new one.
    page = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert "Carry on with your try" in page
    assert lti.client.post("/quiz/listening/start",
                           data={"csrf_token": csrf(page)}).headers["Location"] == url
    assert count(app, QuizAttempt) == 1


def test_editing_the_bank_does_not_change_a_past_score(app, lti, sample_content, tmp_path):
    lti.launch()
    url, page = start_quiz(lti.client)
    answer(lti.client, url, page, RIGHT)
    review_url = url + "/review"
    before = lti.client.get(review_url).get_data(as_text=True)

    edited = tmp_path / "content"
    shutil.copytree(sample_content, edited)
    quiz = edited / "quizzes" / "listening.yaml"
    text = quiz.read_text()
    text = text.replace('text: "Are you OK?", correct: false', 'text: "Are you OK?", correct: true')
    text = text.replace('text: "How have things been for you lately?", correct: true',
                        'text: "How have things been for you lately?", correct: false')
    quiz.write_text(text)
    sync(app, edited)

    with app.app_context():
        attempt = db.session.scalars(select(QuizAttempt)).one()
        assert float(attempt.score) == 100.0
    # The same page (the header's sign-out token carries the second it was made in).
    assert _without_tokens(lti.client.get(review_url).get_data(as_text=True)) == (
        _without_tokens(before))


def test_attempts_are_limited(app, lti, sample_content):
    lti.launch()
    for _ in range(3):
        url, page = start_quiz(lti.client)
        answer(lti.client, url, page, {})
    page = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert "used all your attempts" in page and "Start the quiz" not in page
    token = csrf(lti.client.get("/modules/listening/lessons/1").get_data(as_text=True))
    refused = lti.client.post("/quiz/listening/start", data={"csrf_token": token})
    assert refused.headers["Location"].endswith("/quiz/listening")
    assert count(app, QuizAttempt) == 3


def test_another_persons_attempt_is_not_found(app, registered, sample_content):
    from tests.support.browser import ClientBrowser

    alex = ClientBrowser(app.test_client(), registered.url)
    alex.launch(persona="learner")
    url, _page = start_quiz(alex.client)
    sam = ClientBrowser(app.test_client(), registered.url)
    sam.launch(persona="trainee")
    assert sam.client.get(url).status_code == 404
    assert sam.client.get(url + "/review").status_code == 404


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)
