"""Start, resume and submit attempts. Grading itself is pure (grading.py)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)
from werkzeug.datastructures import MultiDict

from ..audit import audit
from ..content.loader import QuizContent
from ..content.schema import Question, Quiz
from ..content.services import get_catalog, get_quiz_version
from ..extensions import db
from ..lti.ags import enqueue_score, score_progress
from ..users.models import User
from .grading import AttemptResult, grade_attempt
from .models import QuizAllowance, QuizAttempt
from .rules import (
    GRACE,
    Allowance,
    Eligibility,
    PastAttempt,
    Retake,
    accepts_answers,
    deadline_for,
    draw_layout,
    is_over,
    may_start,
    retake_status,
)
from .signals import attempt_started, attempt_submitted
from .types import parse_question, slots


class QuizUnavailable(Exception):
    def __init__(self, eligibility: Eligibility):
        super().__init__(eligibility.reason)
        self.eligibility = eligibility


def query_submitted(user_id: int, slug: str) -> list[QuizAttempt]:
    return list(db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id, QuizAttempt.quiz_slug == slug,
            QuizAttempt.submitted_at.is_not(None),
        ).order_by(QuizAttempt.submitted_at)
    ))


def get_open_attempt(user_id: int, slug: str) -> QuizAttempt | None:
    return db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id, QuizAttempt.quiz_slug == slug,
            QuizAttempt.submitted_at.is_(None),
        ).order_by(QuizAttempt.id.desc())
    ).first()


def get_allowance(user_id: int, slug: str) -> QuizAllowance | None:
    return db.session.scalars(select(QuizAllowance).where(
        QuizAllowance.user_id == user_id, QuizAllowance.quiz_slug == slug)).first()


def get_eligibility(user: User, quiz: Quiz, now: datetime | None = None) -> Eligibility:
    past = [PastAttempt(_aware(a.submitted_at), bool(a.passed))
            for a in query_submitted(user.id, quiz.id) if a.submitted_at]
    granted = get_allowance(user.id, quiz.id)
    allowance = Allowance(granted.extra_attempts, _aware(granted.cooldown_lifted_at)
                          if granted.cooldown_lifted_at else None) if granted else None
    return may_start(quiz, past, now or datetime.now(UTC), allowance)


EXTRA_ATTEMPT, LIFT_COOLDOWN = "extra_attempt", "lift_cooldown"


def grant_allowance(person: User, quiz: Quiz, kind: str, admin: User, reason: str,
                    now: datetime | None = None) -> QuizAllowance:
    """An admin gives one more try beyond the limit (EXTRA_ATTEMPT) or lets the person
    retake now (LIFT_COOLDOWN). Audited with the reason; flushes, the caller commits."""
    if kind not in (EXTRA_ATTEMPT, LIFT_COOLDOWN):
        raise ValueError(f"unknown allowance {kind!r}")
    allowance = get_allowance(person.id, quiz.id)
    if allowance is None:
        allowance = QuizAllowance(user_id=person.id, quiz_slug=quiz.id, extra_attempts=0)
        db.session.add(allowance)
    when = now or datetime.now(UTC)
    if kind == EXTRA_ATTEMPT:
        allowance.extra_attempts = (allowance.extra_attempts or 0) + 1
    else:
        allowance.cooldown_lifted_at = when
    allowance.granted_by_id, allowance.reason, allowance.updated_at = admin.id, reason, when
    db.session.flush()
    audit("quiz.extra_attempt" if kind == EXTRA_ATTEMPT else "quiz.cooldown_lift", admin,
          person, allowance, quiz=quiz.id, reason=reason)
    return allowance


def start_attempt(user: User, content: QuizContent, course_id: int | None,
                  rng: random.Random | None = None, leave_out_notes: bool = False
                  ) -> QuizAttempt:
    """The open attempt if there is one (a reload resumes it), else a new draw.
    `leave_out_notes`: the learner chose the version without sensitive items (questions
    with a content note). The choice is not stored: it is in no record but the questions
    drawn, so no report can show it."""
    attempt = get_open_attempt(user.id, content.slug)
    if attempt is not None and finish_if_over(user, attempt) is None:
        return attempt
    eligibility = get_eligibility(user, content.document)
    if not eligibility.allowed:
        raise QuizUnavailable(eligibility)
    previous = query_submitted(user.id, content.slug)
    last_drawn = {entry["id"] for entry in previous[-1].layout} if previous else set()
    started = datetime.now(UTC)
    attempt = QuizAttempt(
        user_id=user.id, course_id=course_id, quiz_slug=content.slug,
        quiz_version=content.version, started_at=started,
        deadline_at=deadline_for(content.document, started),
        layout_json=json.dumps(draw_layout(content.document, rng or random.SystemRandom(),
                                           avoid=last_drawn, leave_out_notes=leave_out_notes)),
    )
    db.session.add(attempt)
    db.session.flush()
    attempt_started.send(user, module_slug=content.document.module)
    return attempt


def quiz_for(attempt: QuizAttempt) -> Quiz:
    """The quiz as it was when the attempt began: later edits never change it."""
    quiz = get_quiz_version(attempt.quiz_slug, attempt.quiz_version)
    if quiz is None:  # pragma: no cover - versions are never deleted
        raise LookupError(f"quiz {attempt.quiz_slug} version {attempt.quiz_version} is gone")
    return quiz


def attempt_questions(attempt: QuizAttempt, quiz: Quiz) -> list[Question]:
    by_id = {q.id: q for q in quiz.questions}
    return [by_id[entry["id"]] for entry in attempt.layout]


def parse_answers(attempt: QuizAttempt, quiz: Quiz, form: MultiDict[str, str]
                  ) -> dict[str, dict[str, list[str]]]:
    """Form fields q-<question> or q-<question>-<part> -> each type's answer (option ids).
    Anything that is not a question of this attempt or an answer its type accepts is
    dropped."""
    return {question.id: parse_question(question, form)
            for question in attempt_questions(attempt, quiz)}


def save_draft(attempt: QuizAttempt, answers: dict[str, dict[str, list[str]]]) -> None:
    if not attempt.is_submitted:
        attempt.answers_json = json.dumps(answers)
        db.session.flush()


def save_page(attempt: QuizAttempt, quiz: Quiz, form: MultiDict[str, str],
              page_id: str | None) -> None:
    """Merge one page's post into the saved answers. The page's own question takes what
    was posted (nothing ticked clears it) and its flag; any other question of the attempt
    is changed only if the post carries a field for it."""
    if attempt.is_submitted:
        return
    posted = parse_answers(attempt, quiz, form)
    answers = attempt.answers
    for question in attempt_questions(attempt, quiz):
        if question.id == page_id or any(slot.field in form for slot in slots(question)):
            answers[question.id] = posted[question.id]
    attempt.answers_json = json.dumps(answers)
    if page_id is not None and page_id in posted:
        flagged = [f for f in attempt.flagged if f != page_id]
        if form.get("flag") == "1":
            flagged.append(page_id)
        attempt.flagged_json = json.dumps(flagged)
    db.session.flush()


def finish_if_over(user: User, attempt: QuizAttempt, now: datetime | None = None
                   ) -> Submission | None:
    """A timed try whose deadline has passed is submitted with the answers saved so far."""
    deadline = _aware(attempt.deadline_at) if attempt.deadline_at else None
    if attempt.is_submitted or not is_over(deadline, now or datetime.now(UTC)):
        return None
    return submit_attempt(user, attempt, attempt.answers)


def may_still_answer(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    deadline = _aware(attempt.deadline_at) if attempt.deadline_at else None
    return accepts_answers(deadline, now or datetime.now(UTC))


@dataclass(frozen=True)
class Submission:
    attempt: QuizAttempt
    result: AttemptResult
    first: bool  # False: this attempt had already been submitted (a double submit)
    completed_module: str | None = None  # the module this submission just completed


def submit_attempt(user: User, attempt: QuizAttempt,
                   answers: dict[str, dict[str, list[str]]]) -> Submission:
    """Grade on the server and record the attempt once, however often it is posted."""
    quiz = quiz_for(attempt)
    questions = attempt_questions(attempt, quiz)
    if attempt.is_submitted:
        return Submission(attempt, grade_attempt(questions, attempt.answers, quiz.pass_mark), False)
    result = grade_attempt(questions, answers, quiz.pass_mark)
    now = datetime.now(UTC)
    # One conditional UPDATE: of two concurrent submits, only one changes the row.
    changed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(submitted_at=now, answers_json=json.dumps(answers), score=result.score,
                passed=result.passed)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    db.session.refresh(attempt)
    if not changed:
        return Submission(attempt, grade_attempt(questions, attempt.answers, quiz.pass_mark), False)

    module = get_catalog().modules.get(quiz.module)
    label = f"{module.meta.title} quiz" if module else quiz.title
    # The gradebook shows the best score so far: a practice run after a pass never lowers it.
    so_far = quiz_results(user.id, quiz.id).get(quiz.id, QuizResult(result.score, result.passed))
    after = get_eligibility(user, quiz, now)
    progress, _grading = score_progress(so_far.passed, after.attempts_left)
    enqueue_score(user, quiz.module, label, so_far.best if so_far.best is not None
                  else result.score, now, activity_progress=progress)
    completed = any(done is not None for _receiver, done in
                    attempt_submitted.send(user, module_slug=quiz.module))
    return Submission(attempt, result, True, quiz.module if completed else None)


@dataclass(frozen=True)
class QuizResult:
    best: float | None  # the best submitted score
    passed: bool  # passed at least once


def quiz_results(user_id: int, quiz_slug: str | None = None) -> dict[str, QuizResult]:
    """Per quiz this person has submitted a try of (or only `quiz_slug`): best score, and
    whether ever passed. One query."""
    query = (select(QuizAttempt.quiz_slug, func.max(QuizAttempt.score),
                    func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)))
             .where(QuizAttempt.user_id == user_id, QuizAttempt.submitted_at.is_not(None))
             .group_by(QuizAttempt.quiz_slug))
    if quiz_slug is not None:
        query = query.where(QuizAttempt.quiz_slug == quiz_slug)
    rows = db.session.execute(query)
    return {slug: QuizResult(float(best) if best is not None else None, bool(passed))
            for slug, best, passed in rows}



def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QuizRecord:
    """One person's record on one quiz, as the programme and module pages show it: the
    tries submitted (oldest first), their best score, whether a try is in progress, and
    an admin's allowance."""

    past: tuple[PastAttempt, ...] = ()
    best: float | None = None
    in_progress: bool = False
    allowance: Allowance | None = None

    @property
    def passed(self) -> bool:
        return any(p.passed for p in self.past)


NO_RECORD = QuizRecord()
ATTEMPT, ALLOWANCE = "attempt", "allowance"

# A person's tries (submitted or open) and allowances as rows of (kind, slug, at, number,
# passed), parts of one UNION ALL (`quiz_records`; training's progress statement adds its
# own): an allowance's cool-down lift shares the tries' time column, its extra tries their
# score's. The person is the bound parameter "user_id".
RECORD_PARTS: tuple[Select[*tuple[Any, ...]], ...] = (
    select(literal(ATTEMPT).label("kind"), QuizAttempt.quiz_slug.label("slug"),
           QuizAttempt.submitted_at.label("at"), QuizAttempt.score.label("number"),
           QuizAttempt.passed.label("passed"))
    .where(QuizAttempt.user_id == bindparam("user_id")),
    select(literal(ALLOWANCE), QuizAllowance.quiz_slug, QuizAllowance.cooldown_lifted_at,
           QuizAllowance.extra_attempts, null())
    .where(QuizAllowance.user_id == bindparam("user_id")),
)
_RECORDS: CompoundSelect = union_all(*RECORD_PARTS)


def quiz_records(user_id: int) -> dict[str, QuizRecord]:
    """Quiz slug -> this person's record, for every quiz they have tried or been granted
    an allowance on: one statement whatever the number of quizzes (the programme page
    shows every module's), read as plain rows."""
    return read_records(db.session.execute(_RECORDS, {"user_id": user_id}))


def read_records(rows: Iterable[Sequence[Any]]) -> dict[str, QuizRecord]:
    """The records in rows of RECORD_PARTS' shape (rows of other kinds are skipped)."""
    past: dict[str, list[PastAttempt]] = {}
    best: dict[str, float] = {}
    open_: set[str] = set()
    allowances: dict[str, Allowance] = {}
    for kind, slug, at, number, passed in rows:
        if kind == ALLOWANCE:
            allowances[slug] = Allowance(int(number or 0), _aware(at) if at else None)
        elif kind != ATTEMPT:
            continue
        elif at is None:
            open_.add(slug)
        else:
            past.setdefault(slug, []).append(PastAttempt(_aware(at), bool(passed)))
            if number is not None and (slug not in best or float(number) > best[slug]):
                best[slug] = float(number)
    return {slug: QuizRecord(tuple(sorted(past.get(slug, ()), key=lambda p: p.submitted_at)),
                             best.get(slug), slug in open_, allowances.get(slug))
            for slug in {*past, *open_, *allowances}}


def retake_from(quiz: Quiz, record: QuizRecord, now: datetime | None = None
                ) -> Retake | None:
    """What to say about a retake of `quiz`, from the person's record on it."""
    eligibility = may_start(quiz, record.past, now or datetime.now(UTC), record.allowance)
    return retake_status(eligibility, record.passed, record.in_progress)


def get_retake(user: User, quiz: Quiz) -> Retake | None:
    """For the programme and module pages: is a retake waiting, ready or in progress?"""
    return retake_from(quiz, quiz_records(user.id).get(quiz.id, NO_RECORD))


def submit_expired_attempts(now: datetime | None = None) -> int:
    """The worker's sweep: timed tries left open past their deadline and the grace are
    submitted with the answers saved (a person who comes back gets the same on their next
    request). Safe to run in several workers: each submit is one conditional UPDATE."""
    now = now or datetime.now(UTC)
    rows = list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.submitted_at.is_(None), QuizAttempt.deadline_at.is_not(None),
        QuizAttempt.deadline_at < now - GRACE,
    ).order_by(QuizAttempt.id)))
    done = 0
    for attempt in rows:
        user = db.session.get(User, attempt.user_id)
        if user is None:  # pragma: no cover - attempts go with their person
            continue
        if submit_attempt(user, attempt, attempt.answers).first:
            done += 1
        db.session.commit()
    return done
