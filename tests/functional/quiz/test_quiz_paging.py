"""The paged quiz without JS: one question per page, answers and flags saved on the
attempt with every post, a summary before a confirmed submit, and the time limit."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.quiz.models import QuizAttempt
from tests.conftest import sync
from tests.support.quiz import RIGHT, csrf, start_quiz


def attempt_row(app) -> QuizAttempt:
    with app.app_context():
        row = db.session.scalars(select(QuizAttempt)).one()
        db.session.expunge(row)
        return row


def post_page(client, url, page_html, number, fields=(), action="next", **extra):
    data = [("csrf_token", csrf(page_html)), ("page", str(number)), ("action", action),
            *fields, *extra.items()]
    return client.post(url, data=MultiDict(data))


def test_one_question_per_page_with_progress_navigator_and_flags(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    assert "Question 1 of 4" in page and '<progress id="quiz-progress" max="4" value="1"' in page
    assert page.count("<fieldset>") in (1, 2)  # one question (a scenario's parts count as one)
    assert page.count('name="goto"') == 4 and 'aria-current="step"' in page
    layout = [e["id"] for e in attempt_row(app).layout]

    # Answer page 1 and flag it; Next saves on the server and moves on.
    first = layout[0]
    names = ["q-q-case-p1", "q-q-case-p2"] if first == "q-case" else [f"q-{first}"]
    name, value = names[0], RIGHT[names[0]][0]
    moved = post_page(lti.client, url, page, 1, [(n, RIGHT[n][0]) for n in names], flag="1")
    assert moved.headers["Location"].endswith("?q=2")
    row = attempt_row(app)
    assert row.answers[first] and row.flagged == [first]
    second = lti.client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Question 2 of 4" in second
    assert "answered, flagged" in second and "not answered, this question" in second

    # The navigator jumps (and saves); unflagging is saved too.
    back = post_page(lti.client, url, second, 2, action="save", goto="1")
    assert back.headers["Location"].endswith("?q=1")
    again = lti.client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'id="flag" name="flag" value="1" checked' in again
    post_page(lti.client, url, again, 1, [(name, value)], action="save")
    assert attempt_row(app).flagged == []
    # A page number out of range is read as the nearest page, never an error.
    assert lti.client.get(url + "?q=99").status_code == 200
    assert lti.client.get(url + "?q=abc").status_code == 200


def test_summary_lists_blanks_and_a_blank_needs_submit_anyway(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    first = attempt_row(app).layout[0]["id"]
    # The whole first question (a scenario is answered only when all its parts are).
    names = ["q-q-case-p1", "q-q-case-p2"] if first == "q-case" else [f"q-{first}"]
    to_summary = post_page(lti.client, url, page, 1, [(n, RIGHT[n][0]) for n in names],
                           action="summary", flag="1")
    assert to_summary.headers["Location"].endswith(url.rsplit("/", 1)[1] + "/summary")
    summary = lti.client.get(to_summary.headers["Location"]).get_data(as_text=True)
    assert "Not answered yet" in summary and "Flagged for review" in summary
    assert "Submit anyway, with 3 questions not answered" in summary
    assert "Question 2" in summary.split("Not answered yet", 1)[1]

    # A plain "yes" does not submit over blanks: a clear 400 and nothing graded.
    refused = lti.client.post(url + "/submit", data={"csrf_token": csrf(summary),
                                                     "confirm": "yes"})
    assert refused.status_code == 400 and "were not submitted" in refused.get_data(as_text=True)
    assert lti.client.post(url + "/submit", data={"csrf_token": csrf(summary)}).status_code == 400
    assert attempt_row(app).submitted_at is None

    done = lti.client.post(url + "/submit", data={"csrf_token": csrf(summary),
                                                  "confirm": "anyway"})
    assert done.headers["Location"].endswith("/review")
    row = attempt_row(app)
    assert row.submitted_at is not None and float(row.score) > 0  # the saved answer counted


def test_all_answered_submits_with_a_plain_confirm(app, lti, sample_content):
    lti.launch()
    url, page = start_quiz(lti.client)
    fields = [(k, v) for k, values in RIGHT.items() for v in values]
    post_page(lti.client, url, page, 1, fields, action="summary")
    summary = lti.client.get(url + "/summary").get_data(as_text=True)
    assert "Not answered yet" not in summary and "Submit answers" in summary
    lti.client.post(url + "/submit", data={"csrf_token": csrf(summary), "confirm": "yes"})
    assert float(attempt_row(app).score) == 100.0


def timed(app, sample_content, tmp_path, minutes=10):
    edited = tmp_path / "content"
    shutil.copytree(sample_content, edited)
    quiz = edited / "quizzes" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("cooldown_minutes: 0",
                                             f"cooldown_minutes: 0\ntime_limit_minutes: {minutes}"))
    sync(app, edited)


def move_deadline(app, delta: timedelta) -> None:
    with app.app_context():
        db.session.execute(update(QuizAttempt).values(deadline_at=datetime.now(UTC) + delta))
        db.session.commit()


def test_the_deadline_is_stored_and_a_reload_shows_the_time_left(app, lti, sample_content,
                                                                 tmp_path):
    timed(app, sample_content, tmp_path)
    lti.launch()
    assert "You have 10 minutes once you start" in lti.client.get(
        "/quiz/listening").get_data(as_text=True)
    url, page = start_quiz(lti.client)
    row = attempt_row(app)
    assert row.deadline_at is not None
    left = (row.deadline_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    assert 9 * 60 < left <= 10 * 60
    assert 'role="timer"' in page and 'data-seconds-left="' in page
    move_deadline(app, timedelta(minutes=3, seconds=30))
    reloaded = lti.client.get(url).get_data(as_text=True)
    assert ">3 min " in reloaded


def test_an_answer_after_the_deadline_and_grace_is_not_accepted(app, lti, sample_content,
                                                                tmp_path):
    timed(app, sample_content, tmp_path)
    lti.launch()
    url, page = start_quiz(lti.client)
    fields = [(k, v) for k, values in RIGHT.items() for v in values]
    post_page(lti.client, url, page, 1, fields[:1], action="save")  # saved in time
    move_deadline(app, -timedelta(minutes=2))
    late = post_page(lti.client, url, page, 1, fields, action="summary")
    assert late.headers["Location"].endswith("/review?time_up=1")
    row = attempt_row(app)
    assert row.submitted_at is not None and float(row.score) == 25.0  # only what was saved
    review = lti.client.get(late.headers["Location"]).get_data(as_text=True)
    assert "Time ran out" in review


def test_a_page_posted_within_the_grace_counts_and_submits(app, lti, sample_content, tmp_path):
    timed(app, sample_content, tmp_path)
    lti.launch()
    url, page = start_quiz(lti.client)
    move_deadline(app, -timedelta(seconds=5))
    fields = [(k, v) for k, values in RIGHT.items() for v in values]
    posted = post_page(lti.client, url, page, 1, fields, action="save")
    assert posted.headers["Location"].endswith("/review?time_up=1")
    assert float(attempt_row(app).score) == 100.0


def test_an_expired_try_is_submitted_on_the_next_request(app, lti, sample_content, tmp_path):
    timed(app, sample_content, tmp_path)
    lti.launch()
    url, page = start_quiz(lti.client)
    post_page(lti.client, url, page, 1, [("q-q-tf", "false")], action="save")
    move_deadline(app, -timedelta(minutes=1))
    start = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert "Carry on with your try" not in start and "Start the quiz" in start
    row = attempt_row(app)
    assert row.submitted_at is not None and float(row.score) == 25.0


def test_the_worker_submits_a_try_left_open_past_its_deadline(app, lti, sample_content,
                                                              tmp_path):
    from lms_plugin.jobs.worker import run_periodic

    timed(app, sample_content, tmp_path)
    lti.launch()
    url, page = start_quiz(lti.client)
    post_page(lti.client, url, page, 1, [("q-q-tf", "false")], action="save")
    move_deadline(app, -timedelta(seconds=10))  # still within the grace: left alone
    with app.app_context():
        run_periodic()
    assert attempt_row(app).submitted_at is None
    move_deadline(app, -timedelta(minutes=5))
    with app.app_context():
        run_periodic()
        run_periodic()  # a second run (or worker) finds nothing more to do
    row = attempt_row(app)
    assert row.submitted_at is not None and float(row.score) == 25.0
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind).where(
            OutboxMessage.kind == "ags.score")).all()
    assert len(kinds) == 1  # the score went to the gradebook once


@pytest.mark.commits  # a second connection holds the attempt's row lock
def test_an_autosave_still_in_flight_never_loses_an_answer_saved_meanwhile(app, lti,
                                                                           sample_content):
    """A page's autosave and its button can reach the server together, and a slow one can
    land after the next page was saved. The attempt is read under a lock, so the late
    autosave merges into what was saved meanwhile instead of writing back its stale copy.
    Here the test's own transaction holds the row while the autosave comes in, saves the
    second page's answer, and commits; then the autosave goes on."""
    lti.launch()
    url, page = start_quiz(lti.client)
    row = attempt_row(app)
    first, second = row.layout[0]["id"], row.layout[1]["id"]
    names = ["q-q-case-p1", "q-q-case-p2"] if first == "q-case" else [f"q-{first}"]
    meanwhile = {second: {"q-elsewhere": ["saved-by-the-next-page"]}}
    with app.app_context():
        holder = db.engine.connect()
        sqlite = holder.dialect.name == "sqlite"
        if sqlite:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.execute(sa.text("SELECT id FROM quiz_attempt WHERE id = :id FOR UPDATE"),
                           {"id": row.id})
        answered: list[int] = []
        fields = [(n, RIGHT[n][0]) for n in names]
        autosave = threading.Thread(target=lambda: answered.append(
            post_page(lti.client, url, page, 1, fields, action="save").status_code))
        autosave.start()
        if sqlite:
            autosave.join(0.5)  # SQLite cannot say who waits: give it time to read
        else:  # until the autosave's connection waits on this one's lock
            for _ in range(400):
                waiting = holder.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")).scalar()
                if waiting:
                    break
                autosave.join(0.05)
            assert waiting, "the autosave never waited for the row"
        holder.execute(sa.text("UPDATE quiz_attempt SET answers_json = :a WHERE id = :id"),
                       {"a": json.dumps(meanwhile), "id": row.id})
        holder.commit()
        holder.close()
    autosave.join(60)
    assert answered == [302]
    saved = attempt_row(app).answers
    assert saved[second] == meanwhile[second], "the late autosave wrote back a stale copy"
    assert saved[first], "the autosave's own answer was saved"
