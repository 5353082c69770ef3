"""content validate's quality checks, on small banks built to be gameable in one way each:
the simulation through the app's own draw and grading catches each trick, and a fair bank
passes. Then the sensitive-topics word list behind content notes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from lms_plugin.content.checks import sensitive_words
from lms_plugin.content.schema import Option, Question, Quiz
from lms_plugin.quiz.validity import MAX_STRATEGY_PASS, STRATEGIES, bank_report, validity_errors

ATTEMPTS = 400  # plenty to tell 0% from 100%, and quick


def option(oid: str, text: str, correct: bool) -> Option:
    return Option(id=oid, text=text, correct=correct, feedback="Because.")


def single(n: int, key: str, lengths: dict[str, int]) -> Question:
    """A single-choice question whose options have the given lengths."""
    return Question(id=f"s{n}", type="single", prompt="Which?", options=[
        option(oid, "x" * length, oid == key) for oid, length in lengths.items()])


def true_false(n: int, key: str) -> Question:
    return Question(id=f"t{n}", type="true_false", prompt="Is it so?", options=[
        option("true", "True", key == "true"), option("false", "False", key == "false")])


def multiple(n: int, keys: set[str], lengths: dict[str, int]) -> Question:
    return Question(id=f"m{n}", type="multiple", scoring="partial", prompt="Which?", options=[
        option(oid, "x" * length, oid in keys) for oid, length in lengths.items()])


def bank(questions: list[Question], per_attempt: int = 10) -> Quiz:
    return Quiz(id="bank", module="bank", title="Bank", questions_per_attempt=per_attempt,
                questions=questions)


FOUR = ["a", "b", "c", "d"]


def fair_singles(count: int, start: int = 0) -> list[Question]:
    """Keys in every length position: longest, shortest and in between, in turn."""
    return [single(start + n, FOUR[n % 4], {"a": 20, "b": 40, "c": 60, "d": 80})
            for n in range(count)]


def fair_multiples(count: int) -> list[Question]:
    """Two keys of four: one long and one short, so neither half of the lengths is right."""
    return [multiple(n, {"a", "d"}, {"a": 20, "b": 40, "c": 60, "d": 80}) for n in range(count)]


def fair_bank() -> Quiz:
    return bank(fair_singles(12) + [true_false(n, ("true", "false")[n % 2]) for n in range(8)]
                + fair_multiples(4))


def keys_longest(count: int) -> list[Question]:
    return [single(n, "d", {"a": 20, "b": 30, "c": 40, "d": 90}) for n in range(count)]


def keys_shortest(count: int) -> list[Question]:
    return [single(n, "a", {"a": 20, "b": 60, "c": 70, "d": 90}) for n in range(count)]


def keys_longer(count: int) -> list[Question]:
    return [multiple(n, {"c", "d"}, {"a": 20, "b": 30, "c": 80, "d": 90}) for n in range(count)]


def keys_shorter(count: int) -> list[Question]:
    return [multiple(n, {"a", "b"}, {"a": 20, "b": 30, "c": 80, "d": 90}) for n in range(count)]


def in_authored_order(quiz: Quiz, rng: random.Random) -> list[dict[str, Any]]:
    """A draw that forgot to shuffle options: what first/last-option tricks feed on."""
    chosen = rng.sample(list(quiz.questions), quiz.questions_per_attempt)
    return [{"id": q.id, "options": [o.id for o in q.options or []]} for q in chosen]


BROKEN: dict[str, tuple[Quiz, str]] = {
    "keys are the longest option": (bank(keys_longest(15)), "longest option"),
    "keys are the shortest option": (bank(keys_shortest(15)), "shortest option"),
    "true/false keys all False": (bank([true_false(n, "false") for n in range(15)]),
                                  "always False"),
    "true/false keys all True": (bank([true_false(n, "true") for n in range(15)]),
                                 "always True"),
    "multiple-choice keys are the longer options": (bank(keys_longer(15)),
                                                    "longer options (multiple)"),
    "multiple-choice keys are the shorter options": (bank(keys_shorter(15)),
                                                     "shorter options (multiple)"),
    # Each trick alone scores only a third of a try here; together they pass every try.
    "a trick for each kind of question": (
        bank(keys_longest(5) + [true_false(10 + n, "false") for n in range(5)]
             + [multiple(20 + n, {"c", "d"}, {"a": 20, "b": 30, "c": 80, "d": 90})
                for n in range(5)], per_attempt=9),
        "longest + False + longer"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_trick_is_caught(case):
    quiz, trick = BROKEN[case]
    report = bank_report(quiz, ATTEMPTS)
    assert report.pass_rates[trick] > 0.9, report.pass_rates
    assert trick in report.failing
    [error] = validity_errors([report])
    assert error.path == "quizzes/bank.yaml" and f"{trick} passes" in error.message


def test_a_combination_catches_what_no_single_trick_does():
    quiz, trick = BROKEN["a trick for each kind of question"]
    report = bank_report(quiz, ATTEMPTS)
    assert set(report.failing) == {trick}, report.failing


@pytest.mark.parametrize("trick", ["first option", "last option"])
def test_first_and_last_option_are_caught_when_options_are_not_shuffled(trick):
    keys = "a" if trick == "first option" else "d"
    quiz = bank([single(n, keys, {"a": 50, "b": 50, "c": 50, "d": 50}) for n in range(15)])
    assert bank_report(quiz, ATTEMPTS, draw=in_authored_order).pass_rates[trick] == 1.0
    # The app's draw shuffles options, so position tells nothing there.
    assert bank_report(quiz, ATTEMPTS).pass_rates[trick] < MAX_STRATEGY_PASS


def test_a_fair_bank_passes_and_the_figures_describe_it():
    report = bank_report(fair_bank(), ATTEMPTS)
    assert not report.failing, report.pass_rates
    assert set(report.pass_rates) == set(STRATEGIES)
    assert validity_errors([report]) == []
    assert (report.single_items, report.key_longest, report.key_shortest) == (12, 3, 3)
    assert report.chance_longest == pytest.approx(3.0)
    assert (report.true_keys, report.false_keys) == (4, 4)
    assert (report.longer_options_right, report.shorter_options_right) == (0, 0)
    summary = "\n".join(report.lines())
    assert "longest + False + longer 0.0%" in summary and "4 True, 4 False" in summary


def test_true_false_options_are_shown_in_both_orders():
    """If the draw kept True first, "first option" would be "always True"."""
    quiz = bank([true_false(n, "true") for n in range(15)])
    rates = bank_report(quiz, ATTEMPTS).pass_rates
    assert rates["always True"] == 1.0
    assert rates["first option"] < 0.2  # a coin toss per question: 8 of 10 is rare


@pytest.mark.parametrize(("text", "words"), [
    ("Are you thinking about suicide?", ["suicide"]),
    ("She had suicidal thoughts and self-harmed.", ["suicidal", "self-harmed"]),
    ("thinking of ending my life tonight", ["ending my life"]),
    ("Her partner died; the death was sudden.", ["died", "death"]),
    ("An abusive, violent customer; a traumatic crash; PTSD.",
     ["abusive", "violent", "traumatic", "ptsd"]),
    ("eating disorders and an overdose", ["eating disorders", "overdose"]),
    ("Skills for a deadline: killer slides, a dead-end job?", []),
    ("He was found dead.", ["dead"]),
    ("Listening skills and open questions", []),
])
def test_sensitive_words(text, words):
    assert sensitive_words(text) == words
