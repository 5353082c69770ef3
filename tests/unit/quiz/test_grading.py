"""Grading rules, exhaustively, without Flask or a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms_plugin.content.schema import Option, Question
from lms_plugin.quiz.grading import grade_attempt, grade_question


def opts(correct: str, ids: str = "abcd") -> list[Option]:
    return [Option(id=i, text=i, correct=i in correct, feedback="why") for i in ids]


def q(id: str, type: str, correct: str, scoring=None, ids="abcd") -> Question:
    if type == "true_false":
        options = [Option(id="true", text="True", correct=correct == "true", feedback="f"),
                   Option(id="false", text="False", correct=correct == "false", feedback="f")]
    else:
        options = opts(correct, ids)
    return Question(id=id, type=type, prompt="?", scoring=scoring, options=options)


def scenario(id: str = "s1") -> Question:
    return Question.model_validate({
        "id": id, "type": "scenario", "scenario": "A case.", "prompt": "Work through it.",
        "parts": [
            {"id": "p1", "type": "single", "prompt": "?", "options": [
                {"id": "a", "text": "a", "correct": True, "feedback": "f"},
                {"id": "b", "text": "b", "correct": False, "feedback": "f"}]},
            {"id": "p2", "type": "multiple", "scoring": "partial", "prompt": "?", "options": [
                {"id": "a", "text": "a", "correct": True, "feedback": "f"},
                {"id": "b", "text": "b", "correct": True, "feedback": "f"},
                {"id": "c", "text": "c", "correct": False, "feedback": "f"}]},
        ],
    })


@pytest.mark.parametrize(("chosen", "score"), [(["b"], 1.0), (["a"], 0.0), ([], 0.0),
                                               (["a", "b"], 0.0), (["zz"], 0.0)])
def test_single(chosen, score):
    assert grade_question(q("q", "single", "b"), {"q": chosen}).score == score


def test_true_false():
    question = q("q", "true_false", "false")
    assert grade_question(question, {"q": ["false"]}).score == 1.0
    assert grade_question(question, {"q": ["true"]}).score == 0.0
    assert grade_question(question, {"q": ["true", "false"]}).score == 0.0


@pytest.mark.parametrize(("chosen", "all_or_nothing", "partial"), [
    (["a", "c"], 1.0, 1.0),
    (["a"], 0.0, 0.5),
    (["a", "b"], 0.0, 0.0),       # one right, one wrong
    (["a", "c", "b"], 0.0, 0.5),
    (["b", "d"], 0.0, 0.0),       # never below zero
    ([], 0.0, 0.0),
    (["a", "c", "x"], 1.0, 1.0),  # ids that are not options are ignored
])
def test_multiple(chosen, all_or_nothing, partial):
    assert grade_question(q("q", "multiple", "ac"), {"q": chosen}).score == all_or_nothing
    assert grade_question(q("q", "multiple", "ac", "partial"), {"q": chosen}).score == partial


def test_scenario_averages_its_parts():
    result = grade_question(scenario(), {"p1": ["a"], "p2": ["a"]})
    assert [p.score for p in result.parts] == [1.0, 0.5]
    assert result.score == 0.75
    assert grade_question(scenario(), {}).score == 0.0


def test_attempt_score_and_pass_mark():
    questions = [q(f"q{i}", "single", "a") for i in range(5)]
    answers = {f"q{i}": {f"q{i}": ["a"]} for i in range(4)}  # four of five right
    result = grade_attempt(questions, answers, pass_mark=80)
    assert (result.score, result.passed) == (80.0, True)
    assert grade_attempt(questions, answers, pass_mark=81).passed is False
    assert grade_attempt(questions, {}, pass_mark=80).score == 0.0


@given(st.sets(st.sampled_from("abcdef"), min_size=1), st.sets(st.sampled_from("abcdefxy")))
def test_partial_is_between_zero_and_one_and_never_below_all_or_nothing(correct, chosen):
    correct_s = "".join(sorted(correct))
    partial = grade_question(q("q", "multiple", correct_s, "partial", "abcdef"),
                             {"q": sorted(chosen)}).score
    strict = grade_question(q("q", "multiple", correct_s, None, "abcdef"),
                            {"q": sorted(chosen)}).score
    assert 0.0 <= partial <= 1.0
    assert partial >= strict
    assert (strict == 1.0) == (chosen & set("abcdef") == correct)


def _attempt(rights: list[bool], pass_mark: int):
    questions = [q(f"q{i}", "single", "a") for i in range(len(rights))]
    answers = {f"q{i}": {f"q{i}": ["a" if ok else "b"]} for i, ok in enumerate(rights)}
    return grade_attempt(questions, answers, pass_mark)


def test_attempt_score_and_pass_on_known_tries():
    three_of_four = [True, True, True, False]
    assert _attempt(three_of_four, 75).score == 75.0
    assert _attempt(three_of_four, 75).passed  # the pass mark itself passes
    assert not _attempt(three_of_four, 76).passed
    assert _attempt([True, False, False], 30).score == 33.33  # two decimals
    assert _attempt([False] * 5, 1).score == 0.0 and not _attempt([False] * 5, 1).passed
    assert _attempt([True] * 7, 100).score == 100.0 and _attempt([True] * 7, 100).passed


@given(st.lists(st.booleans(), min_size=1, max_size=30), st.integers(1, 100),
       st.integers(0, 29))
def test_one_more_right_answer_never_lowers_the_score_or_unpasses(rights, pass_mark, i):
    i %= len(rights)
    before = _attempt(rights, pass_mark)
    after = _attempt([*rights[:i], True, *rights[i + 1:]], pass_mark)
    assert after.score >= before.score and (after.passed or not before.passed)
    assert (before.score == 100.0) == all(rights) and (before.score == 0.0) == (not any(rights))
