"""Grading: pure functions over plain data (no Flask, no database).

Each question type grades its own items (`QuestionType.grade`, quiz/types). A question
scores between 0 and 1 (a scenario: the mean of its parts); an attempt's score is the
mean over its questions, in percent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..content.schema import Question
from .types import slots

Answer = Mapping[str, Sequence[str]]  # for scenarios: part id -> option ids


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


def grade_question(question: Question, answer: Answer) -> QuestionResult:
    """`answer` maps the question id (or, for a scenario, each part id) to chosen ids."""
    parts = []
    for slot in slots(question):
        chosen = tuple(answer.get(slot.key, ()))
        parts.append(PartResult(slot.key, slot.kind.grade(slot.item, chosen), chosen))
    return QuestionResult(question.id, sum(p.score for p in parts) / len(parts), tuple(parts))


def grade_attempt(
    questions: Sequence[Question], answers: Mapping[str, Answer], pass_mark: int
) -> AttemptResult:
    """`answers` maps question id to that question's answer; a missing one scores zero."""
    results = tuple(grade_question(q, answers.get(q.id, {})) for q in questions)
    score = round(100 * sum(r.score for r in results) / len(results), 2) if results else 0.0
    return AttemptResult(results, score, score >= pass_mark)
