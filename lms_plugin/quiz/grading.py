"""Grading: pure functions over plain data (no Flask, no database).

Each question type grades the options chosen; QUESTION_TYPES is the registry. A question
scores between 0 and 1; an attempt's score is the mean over its questions, in percent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..content.schema import Option, Question, QuestionPart, Scoring

Answer = Mapping[str, Sequence[str]]  # for scenarios: part id -> option ids


def _correct(options: Sequence[Option]) -> set[str]:
    return {o.id for o in options if o.correct}


def grade_single(options: Sequence[Option], chosen: set[str], scoring: Scoring | None) -> float:
    return 1.0 if len(chosen) == 1 and chosen == _correct(options) else 0.0


def grade_multiple(options: Sequence[Option], chosen: set[str], scoring: Scoring | None) -> float:
    correct = _correct(options)
    valid = {o.id for o in options}
    chosen = chosen & valid
    if scoring == "partial":
        # Each right pick earns a share, each wrong pick takes one away; never below zero.
        earned = len(chosen & correct) - len(chosen - correct)
        return max(0.0, earned / len(correct))
    return 1.0 if chosen == correct else 0.0


GraderFn = Callable[[Sequence[Option], set[str], "Scoring | None"], float]

QUESTION_TYPES: dict[str, GraderFn] = {
    "single": grade_single,
    "true_false": grade_single,
    "multiple": grade_multiple,
}


@dataclass(frozen=True)
class PartResult:
    id: str
    score: float
    chosen: tuple[str, ...]


@dataclass(frozen=True)
class QuestionResult:
    id: str
    score: float  # 0..1
    parts: tuple[PartResult, ...]


@dataclass(frozen=True)
class AttemptResult:
    questions: tuple[QuestionResult, ...]
    score: float  # percent, 0..100, two decimals
    passed: bool


def _grade_choice(item: Question | QuestionPart, chosen: Sequence[str]) -> float:
    assert item.options is not None
    return QUESTION_TYPES[item.type](item.options, set(chosen), item.scoring)


def grade_question(question: Question, answer: Answer) -> QuestionResult:
    """`answer` maps the question id (or, for a scenario, each part id) to chosen ids."""
    if question.type == "scenario":
        assert question.parts is not None
        parts = tuple(
            PartResult(p.id, _grade_choice(p, answer.get(p.id, ())), tuple(answer.get(p.id, ())))
            for p in question.parts
        )
        return QuestionResult(question.id, sum(p.score for p in parts) / len(parts), parts)
    chosen = tuple(answer.get(question.id, ()))
    part = PartResult(question.id, _grade_choice(question, chosen), chosen)
    return QuestionResult(question.id, part.score, (part,))


def grade_attempt(
    questions: Sequence[Question], answers: Mapping[str, Answer], pass_mark: int
) -> AttemptResult:
    """`answers` maps question id to that question's answer; a missing one scores zero."""
    results = tuple(grade_question(q, answers.get(q.id, {})) for q in questions)
    score = round(100 * sum(r.score for r in results) / len(results), 2) if results else 0.0
    return AttemptResult(results, score, score >= pass_mark)
