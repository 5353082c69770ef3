"""Pure quiz rules: what a review shows, and which questions the next try draws."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from lms_plugin.content.schema import Option, Question, Quiz
from lms_plugin.quiz.rules import draw_layout, review_level


def bank(size: int, per_attempt: int, **settings) -> Quiz:
    questions = [
        Question(id=f"q{i}", type="single", prompt="?", options=[
            Option(id="a", text="A", correct=True, feedback="yes"),
            Option(id="b", text="B", correct=False, feedback="no"),
        ]) for i in range(size)
    ]
    return Quiz(id="quiz", module="quiz", title="Quiz", questions_per_attempt=per_attempt,
                questions=questions, **settings)


@pytest.mark.parametrize(("after_fail", "passed", "left", "expected"), [
    ("which_wrong", False, 2, "which_wrong"),
    ("which_wrong", False, None, "which_wrong"),
    ("which_wrong", False, 0, "full"),       # the last try: nothing left to give away
    ("which_wrong", True, 2, "full"),
    ("none", False, 1, "none"),
    ("none", True, 1, "full"),
    ("full", False, 1, "full"),
])
def test_review_level(after_fail, passed, left, expected):
    quiz = bank(3, 2, review={"after_fail": after_fail})
    assert review_level(quiz, passed, left) == expected


def test_review_defaults_to_which_wrong_and_rejects_unknown_values():
    assert bank(3, 2).review.after_fail == "which_wrong"
    with pytest.raises(ValidationError):
        bank(3, 2, review={"after_fail": "answers"})
    with pytest.raises(ValidationError):
        bank(3, 2, review={"after_pass": "none"})


@pytest.mark.parametrize("seed", range(20))
def test_next_draw_avoids_the_last_one_when_the_bank_allows(seed):
    quiz = bank(18, 9)
    rng = random.Random(seed)
    first = {e["id"] for e in draw_layout(quiz, rng)}
    second = {e["id"] for e in draw_layout(quiz, rng, avoid=first)}
    assert not first & second and len(second) == 9


@pytest.mark.parametrize("seed", range(20))
def test_a_small_bank_repeats_only_what_it_must(seed):
    quiz = bank(18, 10)  # 8 fresh questions, so 2 of the last try come back
    rng = random.Random(seed)
    first = {e["id"] for e in draw_layout(quiz, rng)}
    second = [e["id"] for e in draw_layout(quiz, rng, avoid=first)]
    assert len(set(second)) == 10 and len(set(second) & first) == 2


def test_repeated_questions_are_not_always_at_the_end():
    quiz = bank(5, 4)
    positions = set()
    for seed in range(30):
        layout = draw_layout(quiz, random.Random(seed), avoid={"q0", "q1", "q2", "q3"})
        positions |= {i for i, e in enumerate(layout) if e["id"] != "q4"}
    assert positions == {0, 1, 2, 3}
