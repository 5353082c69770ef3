"""Progress and completion, as services: they change models and flush; views commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    bindparam,
    exists,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..content.loader import Lesson, Module
from ..content.services import get_catalog
from ..extensions import db
from ..lti.ags import enqueue_score
from ..quiz.models import QuizAttempt
from ..quiz.services import RECORD_PARTS, QuizRecord, read_records
from ..users.models import User
from .models import LearnerModule, LearnerProgress, LessonProgress, ModuleCompletion
from .rules import ModuleStatus, module_status, path_modules, training_complete
from .signals import module_completed


@dataclass(frozen=True)
class Completed:
    """A module's completion as the progress pages show it."""

    completed_at: datetime
    quiz_score: float | None


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    status: ModuleStatus
    completion: Completed | None
    best_score: float | None


@dataclass(frozen=True)
class PersonProgress:
    """What one person has done, read in one statement (`read_progress`): the lessons
    marked complete (by lesson id), the modules completed, and their quiz records."""

    done: set[str]
    completions: dict[str, Completed]
    records: dict[str, QuizRecord]
    facts: dict[str, bool] = field(default_factory=dict)  # register_progress_fact's


SUPPORTER_PATH = "lms_plugin.training.supporter_path"


def register_supporter_path(app: Flask, check: Callable[[User], bool]) -> None:
    """`check(person)` says whether the person is on the peer-supporter path (certification
    registers: enrolled in a programme), so training never imports certification."""
    app.extensions.setdefault(SUPPORTER_PATH, []).append(check)


def on_supporter_path(user: User | None) -> bool:
    return user is not None and any(
        check(user) for check in current_app.extensions.get(SUPPORTER_PATH, []))


def path_for(user: User | None) -> list[Module]:
    """The modules this person's training path holds, in order (None: everyone's path)."""
    return path_modules(get_catalog().ordered_modules(), on_supporter_path(user))


_LESSON_DONE = select(LessonProgress.id).where(
    LessonProgress.user_id == bindparam("user_id"),
    LessonProgress.lesson_id == bindparam("lesson_id")).limit(1)


def lesson_done_fact(person_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the person marked the lesson `:lesson_id` complete, as a page fact read with
    the person (users.sessions), so the lesson page makes one statement."""
    return exists().where(LessonProgress.user_id == person_id,
                          LessonProgress.lesson_id == bindparam("lesson_id"))


def lesson_done(user_id: int, lesson_id: str) -> bool:
    """Whether the person marked this lesson complete (the lesson page): one row looked up
    by its unique pair, read as a plain row (no ORM objects)."""
    return db.session.connection().execute(
        _LESSON_DONE, {"user_id": user_id, "lesson_id": lesson_id}).first() is not None


_LESSON, _COMPLETION, _FACT = "lesson", "completion", "fact"
PROGRESS_FACTS = "lms_plugin.training.progress_facts"
_PROGRESS_STATEMENT = "lms_plugin.training.progress_statement"
ProgressFact = Callable[[ColumnElement[Any]], ColumnElement[bool]]  # person id -> a condition
# The quiz records' rows (quiz.services.RECORD_PARTS: kind, slug, at, number, passed), then
# the completions (module, when, quiz score) and the lessons done, in one UNION ALL; then
# a row per registered progress fact (its name, and its value in the last column).
_PARTS = (
    *RECORD_PARTS,
    select(literal(_COMPLETION), ModuleCompletion.module_slug, ModuleCompletion.completed_at,
           ModuleCompletion.quiz_score, null())
    .where(ModuleCompletion.user_id == bindparam("user_id")),
    select(literal(_LESSON), LessonProgress.lesson_id, null(), null(), null())
    .where(LessonProgress.user_id == bindparam("user_id")),
)


def register_progress_fact(app: Flask, name: str, fact: ProgressFact) -> None:
    """`fact(person id)`, a condition a higher package asks about the person where their
    progress is shown (reporting: whether they answered the survey), read in the progress
    statement (`read_progress`), so it costs no query of its own."""
    app.extensions.setdefault(PROGRESS_FACTS, {})[name] = fact
    app.extensions.pop(_PROGRESS_STATEMENT, None)


def _progress_statement() -> CompoundSelect:
    """The progress statement with this app's facts: built once per app."""
    made: CompoundSelect | None = current_app.extensions.get(_PROGRESS_STATEMENT)
    if made is None:
        person = bindparam("user_id", type_=Integer)
        facts = current_app.extensions.get(PROGRESS_FACTS, {})
        made = union_all(*_PARTS, *(
            select(literal(_FACT), literal(name), null(), null(), fact(person))
            for name, fact in facts.items()))
        current_app.extensions[_PROGRESS_STATEMENT] = made
    return made


def read_progress(user_id: int) -> PersonProgress:
    """Everything the programme and module pages show of a person's progress, whatever
    the number of modules and quizzes, and the registered progress facts: one statement."""
    rows = db.session.execute(_progress_statement(), {"user_id": user_id}).all()
    return PersonProgress(
        done={slug for kind, slug, *_ in rows if kind == _LESSON},
        completions={slug: Completed(at, float(score) if score is not None else None)
                     for kind, slug, at, score, _ in rows if kind == _COMPLETION},
        records=read_records(rows),
        facts={name: bool(value) for kind, name, _, _, value in rows if kind == _FACT})


def get_module_progress(user: User, module: Module, known: PersonProgress | None = None
                        ) -> ModuleProgress:
    """One module's progress for this person (the module page; completion checks)."""
    return programme_progress(user, [module], known)[0]


def programme_progress(user: User, modules: list[Module] | None = None,
                       known: PersonProgress | None = None) -> list[ModuleProgress]:
    """Progress through these modules (default: the person's path, in order), from one
    statement whatever their number (`read_progress`; `known`: the page's own, which its
    retake notes read too)."""
    modules = path_for(user) if modules is None else modules
    known = read_progress(user.id) if known is None else known
    progress = []
    for module in modules:
        quiz = module.meta.completion.quiz
        record = known.records.get(quiz) if quiz else None
        status = module_status([lesson.meta.id for lesson in module.lessons], known.done,
                               bool(quiz), bool(record and record.passed))
        progress.append(ModuleProgress(module, status, known.completions.get(module.slug),
                                       record.best if record else None))
    return progress


def completed_modules(user_id: int) -> dict[str, ModuleCompletion]:
    return {c.module_slug: c for c in db.session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == user_id))}


def module_slugs(user: User | None = None) -> list[str]:
    """The slugs of a person's path (None: everyone's path, which the training
    certificate needs)."""
    return [m.slug for m in path_for(user)]


def has_completed_training(user: User) -> bool:
    """Every module of everyone's path complete: the training certificate's rule."""
    return training_complete(module_slugs(), completed_modules(user.id))


def note_module_started(user_id: int, module_slug: str) -> None:
    """Record the first activity in a module (idempotent, safe under concurrency)."""
    exists = db.session.scalar(select(LearnerModule.id).where(
        LearnerModule.user_id == user_id, LearnerModule.module_slug == module_slug))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(LearnerModule(user_id=user_id, module_slug=module_slug,
                                         started_at=datetime.now(UTC)))
    except IntegrityError:
        return  # recorded by a concurrent request
    _ensure_counters(user_id)
    db.session.execute(update(LearnerProgress).where(LearnerProgress.user_id == user_id)
                       .values(modules_started=LearnerProgress.modules_started + 1))


def note_module_completed(user_id: int, module_slug: str, when: datetime) -> None:
    note_module_started(user_id, module_slug)
    done = db.session.execute(update(LearnerModule).where(
        LearnerModule.user_id == user_id, LearnerModule.module_slug == module_slug,
        LearnerModule.completed_at.is_(None)).values(completed_at=when))
    if getattr(done, "rowcount", 0):
        db.session.execute(update(LearnerProgress).where(LearnerProgress.user_id == user_id)
                           .values(modules_completed=LearnerProgress.modules_completed + 1))


def _ensure_counters(user_id: int) -> None:
    if db.session.get(LearnerProgress, user_id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(LearnerProgress(user_id=user_id, modules_started=0,
                                               modules_completed=0))
        except IntegrityError:
            pass


def mark_lesson_complete(user: User, module: Module, lesson: Lesson) -> ModuleCompletion | None:
    """Idempotent. Returns the module's completion if this lesson completed the module."""
    exists = db.session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.meta.id
        )
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(LessonProgress(
                    user_id=user.id, module_slug=module.slug, lesson_id=lesson.meta.id,
                    module_version=module.version,
                ))
        except IntegrityError:
            pass  # marked in another tab a moment ago
        note_module_started(user.id, module.slug)
    return complete_module_if_due(user, module)


def complete_module_if_due(user: User, module: Module) -> ModuleCompletion | None:
    """Record the completion once, the first time the rule is met."""
    progress = get_module_progress(user, module)
    if progress.completion is not None or not progress.status.complete:
        return None
    quiz_slug = module.meta.completion.quiz
    quiz_version = None
    if quiz_slug:
        quiz_version = db.session.scalar(
            select(QuizAttempt.quiz_version).where(
                QuizAttempt.user_id == user.id, QuizAttempt.quiz_slug == quiz_slug,
                QuizAttempt.passed.is_(True),
            ).order_by(QuizAttempt.submitted_at).limit(1)
        )
    completion = ModuleCompletion(
        user_id=user.id, module_slug=module.slug, module_version=module.version,
        quiz_version=quiz_version, quiz_score=progress.best_score,
        completed_at=datetime.now(UTC),
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError:
        return None  # recorded by a concurrent request
    note_module_completed(user.id, module.slug, completion.completed_at)
    module_completed.send(user, module_slug=module.slug)
    if quiz_slug and progress.best_score is not None:
        enqueue_score(user, module.slug, f"{module.meta.title} quiz", progress.best_score,
                      completion.completed_at, comment="Module complete")
    return completion


# Receivers of quiz events (connected in training's init_app): quiz never imports training.

def on_attempt_started(user: User, module_slug: str) -> None:
    note_module_started(user.id, module_slug)


def on_attempt_submitted(user: User, module_slug: str) -> ModuleCompletion | None:
    """A graded try may complete its module: the completion, if this recorded it."""
    module = get_catalog().modules.get(module_slug)
    return complete_module_if_due(user, module) if module is not None else None
