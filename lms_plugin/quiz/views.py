"""Quiz pages: start or resume, answer, submit, review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from ..content.schema import Question, Quiz
from ..content.services import get_catalog
from ..extensions import db
from ..observability import count_submission
from ..upsert import locked
from .models import QuizAttempt
from .rules import (
    ALL_QUESTIONS,
    WITHOUT_NOTES,
    clamp_page,
    next_page,
    offers_without_notes,
    page_states,
    review_level,
    seconds_left,
    unanswered,
)
from .services import (
    QuizUnavailable,
    Submission,
    attempt_questions,
    finish_if_over,
    get_eligibility,
    get_open_attempt,
    may_still_answer,
    query_submitted,
    quiz_for,
    save_page,
    start_attempt,
    submit_attempt,
)
from .types import Answer, Layout, review_parts, take_parts

bp = Blueprint("quiz", __name__, url_prefix="/quiz")


def _own_attempt(attempt_id: int, lock: bool = False) -> QuizAttempt:
    """The learner's attempt; `lock`: held until the request commits, for a POST that
    merges answers into it (the page's autosave and its button can arrive together, and
    a late autosave must not write back answers read before the button's were saved)."""
    attempt = locked(QuizAttempt, attempt_id) if lock else db.session.get(QuizAttempt,
                                                                            attempt_id)
    # Someone else's attempt looks exactly like a missing one.
    if attempt is None or attempt.user_id != current_user.id:
        abort(404, description=gettext("There is no such quiz attempt."))
    return attempt


@bp.route("/<slug>")
@login_required
def start_page(slug: str) -> Any:
    content = get_catalog().quizzes.get(slug)
    if content is None:
        abort(404, description=gettext("There is no quiz called %(slug)s.", slug=repr(slug)))
    module = get_catalog().modules.get(content.document.module)
    open_attempt = get_open_attempt(current_user.id, slug)
    if open_attempt is not None and finish_if_over(current_user, open_attempt) is not None:
        db.session.commit()  # a timed try that ran out while away: submitted as saved
        open_attempt = None
    return render_template(
        "quiz/start.html", quiz=content.document, module=module,
        content_notes=list(dict.fromkeys(
            q.content_note for q in content.document.questions if q.content_note)),
        without_notes=offers_without_notes(content.document),
        eligibility=get_eligibility(current_user, content.document),
        open_attempt=open_attempt,
        past=query_submitted(current_user.id, slug),
    )


@bp.route("/<slug>/start", methods=["POST"])
@login_required
def start(slug: str) -> Any:
    content = get_catalog().quizzes.get(slug)
    if content is None:
        abort(404, description=gettext("There is no quiz called %(slug)s.", slug=repr(slug)))
    version = request.form.get("version", ALL_QUESTIONS)
    if version not in (ALL_QUESTIONS, WITHOUT_NOTES):
        abort(400, description=gettext("Choose which version of the quiz to take."))
    leave_out = version == WITHOUT_NOTES
    if leave_out and not offers_without_notes(content.document):
        abort(400, description=gettext(
            "This quiz has no version without the questions that have a content note. Go "
            "back to the quiz page to start it."))
    try:
        # The choice is private: it is not stored, audited or reported (only the
        # questions drawn are), and the score counts the same.
        attempt = start_attempt(current_user, content, session.get("course_id"),
                                leave_out_notes=leave_out)
    except QuizUnavailable:
        return redirect(url_for("quiz.start_page", slug=slug))
    db.session.commit()
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


def _finished(attempt: QuizAttempt, submission: Submission | None,
              expired: bool = False) -> Any:
    """After a submit: the module's completion page when this try completed the module
    (it links back to the answers), else the review of the try."""
    db.session.commit()
    _count(submission)
    if submission is not None and submission.completed_module:
        return redirect(url_for("training.module_completed", slug=submission.completed_module,
                                attempt=attempt.id))
    extra: dict[str, Any] = {"time_up": "1"} if expired else {}
    return redirect(url_for("quiz.review", attempt_id=attempt.id, **extra))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int) -> Any:
    """One question per page. Every POST saves that page's answers and flag on the
    attempt (no JS needed), then goes where the button said."""
    attempt = _own_attempt(attempt_id, lock=request.method == "POST")
    if attempt.is_submitted:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    quiz = quiz_for(attempt)
    total = len(attempt.layout)
    if request.method == "POST":
        if not may_still_answer(attempt):  # too late even with the grace: not accepted
            return _finished(attempt, finish_if_over(current_user, attempt), expired=True)
        current = clamp_page(request.form.get("page"), total)
        page_id = attempt.layout[current - 1]["id"] if total else None
        save_page(attempt, quiz, request.form, page_id)
        if (submission := finish_if_over(current_user, attempt)) is not None:
            return _finished(attempt, submission, expired=True)
        db.session.commit()
        action = "goto" if request.form.get("goto") else request.form.get("action", "save")
        target = next_page(action, current, total, request.form.get("goto"))
        if request.headers.get("X-Autosave") == "1":
            return ("", 204)
        if target is None:
            return redirect(url_for("quiz.summary", attempt_id=attempt.id))
        extra: dict[str, Any] = {"saved": "1"} if action == "save" else {}
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id, q=target, **extra))
    if (submission := finish_if_over(current_user, attempt)) is not None:
        return _finished(attempt, submission, expired=True)
    current = clamp_page(request.args.get("q"), total)
    items = _items(attempt, quiz)
    states = page_states(attempt.layout, attempt.answers, attempt.flagged)
    return render_template(
        "quiz/attempt.html", attempt=attempt, quiz=quiz, total=total, current=current,
        item=items[current - 1] if items else None, states=states,
        flagged=bool(states) and states[current - 1].flagged,
        saved=bool(request.args.get("saved")), seconds_left=_seconds_left(attempt),
    )


@bp.route("/attempts/<int:attempt_id>/summary")
@login_required
def summary(attempt_id: int) -> Any:
    attempt = _own_attempt(attempt_id)
    if attempt.is_submitted:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    if (submission := finish_if_over(current_user, attempt)) is not None:
        return _finished(attempt, submission, expired=True)
    return _summary_page(attempt, error=False)


def _summary_page(attempt: QuizAttempt, error: bool) -> Any:
    quiz = quiz_for(attempt)
    states = page_states(attempt.layout, attempt.answers, attempt.flagged)
    return render_template(
        "quiz/summary.html", attempt=attempt, quiz=quiz, states=states,
        blank=unanswered(states), flagged=[s.number for s in states if s.flagged],
        error=error, seconds_left=_seconds_left(attempt),
    ), 400 if error else 200


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int) -> Any:
    """Grade what was saved. With a question left blank, only an explicit "submit
    anyway" from the summary page submits."""
    attempt = _own_attempt(attempt_id, lock=True)  # after any autosave still being saved
    if attempt.is_submitted:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    if (submission := finish_if_over(current_user, attempt)) is not None:
        return _finished(attempt, submission, expired=True)
    blank = unanswered(page_states(attempt.layout, attempt.answers, attempt.flagged))
    confirm = request.form.get("confirm")
    if confirm not in ("yes", "anyway") or (blank and confirm != "anyway"):
        return _summary_page(attempt, error=True)
    return _finished(attempt, submit_attempt(current_user, attempt, attempt.answers))


def _count(submission: Submission | None) -> None:
    if submission is not None and submission.first:
        count_submission()


def _seconds_left(attempt: QuizAttempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    deadline = attempt.deadline_at
    deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
    return seconds_left(deadline, datetime.now(UTC))


def _items(attempt: QuizAttempt, quiz: Quiz) -> list[dict[str, Any]]:
    """What the form shows: only ids and texts, in this attempt's order. No `correct`,
    no feedback: those never reach the browser before submission."""
    return _pages(attempt, quiz, take_parts)


def _pages(attempt: QuizAttempt, quiz: Quiz,
           parts: Callable[[Question, Layout, Answer], list[dict[str, Any]]]
           ) -> list[dict[str, Any]]:
    """Each question of the attempt, in its order, with `parts(question, layout entry,
    answer)`: one per slot, each drawn by its type's template partial."""
    questions = {q.id: q for q in attempt_questions(attempt, quiz)}
    answers = attempt.answers
    return [{"number": number, "scenario": questions[entry["id"]].scenario,
             "content_note": questions[entry["id"]].content_note,
             "prompt": questions[entry["id"]].prompt,
             "parts": parts(questions[entry["id"]], entry, answers.get(entry["id"], {}))}
            for number, entry in enumerate(attempt.layout, start=1)]


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int) -> Any:
    attempt = _own_attempt(attempt_id)
    if not attempt.is_submitted:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    quiz = quiz_for(attempt)
    eligibility = get_eligibility(current_user, quiz)
    ever_passed = any(a.passed for a in query_submitted(current_user.id, quiz.id))
    level = review_level(quiz, ever_passed, eligibility.attempts_left)
    full = level == "full"
    review_items = _pages(attempt, quiz, lambda question, entry, answer: review_parts(
        question, entry, answer, full))
    module = get_catalog().modules.get(quiz.module)
    return render_template(
        "quiz/review.html", attempt=attempt, quiz=quiz, module=module, level=level,
        items=review_items if level != "none" else [], eligibility=eligibility,
    )
