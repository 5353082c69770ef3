"""Quiz pages: start or resume, answer, submit, review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..content.services import get_catalog
from ..extensions import db
from ..observability import count_submission
from .models import QuizAttempt
from .rules import review_level
from .services import (
    QuizUnavailable,
    attempt_questions,
    get_eligibility,
    get_open_attempt,
    parse_answers,
    query_submitted,
    quiz_for,
    save_draft,
    start_attempt,
    submit_attempt,
)

bp = Blueprint("quiz", __name__, url_prefix="/quiz")


def _own_attempt(attempt_id: int) -> QuizAttempt:
    attempt = db.session.get(QuizAttempt, attempt_id)
    # Someone else's attempt looks exactly like a missing one.
    if attempt is None or attempt.user_id != current_user.id:
        abort(404, description="There is no such quiz attempt.")
    return attempt


@bp.route("/<slug>")
@login_required
def start_page(slug: str) -> Any:
    content = get_catalog().quizzes.get(slug)
    if content is None:
        abort(404, description=f"There is no quiz called {slug!r}.")
    module = get_catalog().modules.get(content.quiz.module)
    return render_template(
        "quiz/start.html", quiz=content.quiz, module=module,
        eligibility=get_eligibility(current_user, content.quiz),
        open_attempt=get_open_attempt(current_user.id, slug),
        past=query_submitted(current_user.id, slug),
    )


@bp.route("/<slug>/start", methods=["POST"])
@login_required
def start(slug: str) -> Any:
    content = get_catalog().quizzes.get(slug)
    if content is None:
        abort(404, description=f"There is no quiz called {slug!r}.")
    try:
        attempt = start_attempt(current_user, content, session.get("course_id"))
    except QuizUnavailable:
        return redirect(url_for("quiz.start_page", slug=slug))
    db.session.commit()
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int) -> Any:
    attempt = _own_attempt(attempt_id)
    if attempt.is_submitted:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    quiz = quiz_for(attempt)
    if request.method == "POST":
        answers = parse_answers(attempt, quiz, request.form)
        if request.form.get("action") == "save":
            save_draft(attempt, answers)
            db.session.commit()
            return redirect(url_for("quiz.attempt", attempt_id=attempt.id, saved=1))
        submission = submit_attempt(current_user, attempt, answers)
        db.session.commit()
        if submission.first:
            count_submission()
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    return render_template(
        "quiz/attempt.html", attempt=attempt, quiz=quiz,
        items=_items(attempt, quiz), saved=bool(request.args.get("saved")),
    )


def _items(attempt: QuizAttempt, quiz: Any) -> list[dict[str, Any]]:
    """What the form shows: only ids and texts, in this attempt's order. No `correct`,
    no feedback: those never reach the browser before submission."""
    questions = {q.id: q for q in attempt_questions(attempt, quiz)}
    answers = attempt.answers
    items = []
    for number, entry in enumerate(attempt.layout, start=1):
        question = questions[entry["id"]]
        chosen = answers.get(question.id, {})
        if question.parts:
            parts = []
            for part in question.parts:
                options = {o.id: o for o in part.options}
                parts.append({
                    "name": f"q-{question.id}-{part.id}", "prompt": part.prompt,
                    "multiple": part.type == "multiple",
                    "options": [(oid, options[oid].text, oid in chosen.get(part.id, []))
                                for oid in entry["parts"][part.id]],
                })
            items.append({"number": number, "scenario": question.scenario,
                          "prompt": question.prompt, "parts": parts})
        else:
            assert question.options is not None
            options = {o.id: o for o in question.options}
            items.append({
                "number": number, "scenario": question.scenario, "prompt": question.prompt,
                "parts": [{
                    "name": f"q-{question.id}", "prompt": None,
                    "multiple": question.type == "multiple",
                    "options": [(oid, options[oid].text, oid in chosen.get(question.id, []))
                                for oid in entry["options"]],
                }],
            })
    return items


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
    questions = {q.id: q for q in attempt_questions(attempt, quiz)}
    answers = attempt.answers
    review_items = []
    for number, entry in enumerate(attempt.layout, start=1):
        question = questions[entry["id"]]
        chosen = answers.get(question.id, {})
        groups = (
            [(p.id, p.prompt, p.options, entry["parts"][p.id]) for p in question.parts]
            if question.parts
            else [(question.id, None, question.options or [], entry["options"])]
        )
        parts = []
        for key, prompt, options, order in groups:
            by_id = {o.id: o for o in options}
            picked = set(chosen.get(key, []))
            parts.append({
                "prompt": prompt,
                "right": {o.id for o in options if o.correct} == picked,
                # Before the last try, `which_wrong` keeps the key off the page: whether
                # an option is right, and the feedback of options not chosen.
                "options": [
                    {"text": by_id[oid].text, "correct": full and by_id[oid].correct,
                     "chosen": oid in picked,
                     "feedback": by_id[oid].feedback if full or oid in picked else ""}
                    for oid in order
                ],
            })
        review_items.append({"number": number, "scenario": question.scenario,
                             "prompt": question.prompt, "parts": parts})
    module = get_catalog().modules.get(quiz.module)
    return render_template(
        "quiz/review.html", attempt=attempt, quiz=quiz, module=module, level=level,
        items=review_items if level != "none" else [], eligibility=eligibility,
    )
