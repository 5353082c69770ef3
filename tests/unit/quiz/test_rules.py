"""Pure quiz rules: what a review shows, and which questions the next try draws."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from lms_plugin.content.schema import Option, Question, Quiz
from lms_plugin.quiz.rules import (
    GRACE,
    accepts_answers,
    clamp_page,
    deadline_for,
    draw_layout,
    is_over,
    next_page,
    page_states,
    review_level,
    seconds_left,
    unanswered,
)
from tests.support.quiz import bank


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


def test_true_false_options_are_shuffled_like_the_rest():
    quiz = Quiz(id="quiz", module="quiz", title="Quiz", questions_per_attempt=1, questions=[
        Question(id="tf", type="true_false", prompt="?", options=[
            Option(id="true", text="True", correct=False, feedback="no"),
            Option(id="false", text="False", correct=True, feedback="yes"),
        ])])
    orders = {tuple(draw_layout(quiz, random.Random(seed))[0]["options"]) for seed in range(20)}
    assert orders == {("true", "false"), ("false", "true")}


# Paging and the time limit.

LAYOUT = [{"id": "a", "options": ["x", "y"]},
          {"id": "s", "parts": {"p1": ["x", "y"], "p2": ["true", "false"]}},
          {"id": "c", "options": ["x", "y"]}]


def test_page_states_count_a_scenario_answered_only_with_every_part():
    answers = {"a": {"a": ["x"]}, "s": {"p1": ["y"], "p2": []}, "c": {"c": []}}
    states = page_states(LAYOUT, answers, ["s"])
    assert [(s.number, s.answered, s.flagged) for s in states] == [
        (1, True, False), (2, False, True), (3, False, False)]
    assert unanswered(states) == [2, 3]
    answers["s"]["p2"] = ["true"]
    answers["c"]["c"] = ["y"]
    assert unanswered(page_states(LAYOUT, answers, [])) == []


@pytest.mark.parametrize(("value", "expected"), [
    (None, 1), ("2", 2), ("0", 1), ("-4", 1), ("9", 3), ("x", 1), (3, 3)])
def test_clamp_page(value, expected):
    assert clamp_page(value, 3) == expected


@pytest.mark.parametrize(("action", "current", "goto", "expected"), [
    ("next", 1, None, 2), ("next", 3, None, None), ("prev", 1, None, 1), ("prev", 3, None, 2),
    ("goto", 1, "3", 3), ("goto", 1, "77", 3), ("summary", 2, None, None),
    ("submit", 2, None, None), ("save", 2, None, 2), ("weird", 2, None, 2)])
def test_next_page(action, current, goto, expected):
    assert next_page(action, current, 3, goto) == expected


def test_deadline_time_left_and_grace():
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert deadline_for(bank(3, 2), start) is None
    deadline = deadline_for(bank(3, 2, time_limit_minutes=20), start)
    assert deadline == start + timedelta(minutes=20)
    assert seconds_left(deadline, start + timedelta(minutes=5)) == 15 * 60
    assert seconds_left(deadline, start + timedelta(hours=1)) == 0
    assert seconds_left(None, start) is None
    assert accepts_answers(deadline, deadline) and not is_over(deadline, deadline)
    assert accepts_answers(deadline, deadline + GRACE) and is_over(deadline, deadline + GRACE)
    assert not accepts_answers(deadline, deadline + GRACE + timedelta(seconds=1))
    assert accepts_answers(None, start + timedelta(days=9)) and not is_over(None, start)


def test_time_limit_is_validated():
    for bad in (0, -1, 601):
        with pytest.raises(ValidationError):
            bank(3, 2, time_limit_minutes=bad)


def test_retake_status():
    from lms_plugin.quiz.rules import Eligibility, retake_status

    later = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    fresh = Eligibility(True, "", 0, 3)
    assert retake_status(fresh, passed=False, in_progress=False) is None
    assert retake_status(fresh, passed=False, in_progress=True).state == "in_progress"
    waiting = Eligibility(False, "break", 1, 2, later)
    status = retake_status(waiting, passed=False, in_progress=False)
    assert (status.state, status.after, status.tries_left) == ("waiting", later, 2)
    assert retake_status(Eligibility(True, "", 1, 2), False, False).state == "ready"
    assert retake_status(Eligibility(False, "used", 3, 0), False, False).state == "no_tries"
    assert retake_status(waiting, passed=True, in_progress=False) is None
