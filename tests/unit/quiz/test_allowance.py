"""An admin's allowance in the pure eligibility rule: extra tries beyond the quiz's limit,
and a cool-down lifted for the tries submitted before it was lifted (never after)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms_plugin.quiz.rules import Allowance, PastAttempt, may_start, retake_status
from tests.support.quiz import bank

NOW = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)


def failed(minutes_ago: int) -> PastAttempt:
    return PastAttempt(NOW - timedelta(minutes=minutes_ago), passed=False)


def test_without_an_allowance_the_limit_and_the_wait_hold():
    quiz = bank(4, 2, attempts_allowed=2, cooldown_minutes=60)
    assert not may_start(quiz, [failed(600), failed(500)], NOW).allowed  # tries used up
    waiting = may_start(quiz, [failed(10)], NOW)
    assert not waiting.allowed and waiting.next_allowed_at == NOW + timedelta(minutes=50)


@pytest.mark.parametrize(("extra", "used", "allowed", "left"), [
    (1, 2, True, 1), (1, 3, False, 0), (2, 3, True, 1), (0, 2, False, 0)])
def test_extra_tries_add_to_the_quiz_s_limit(extra, used, allowed, left):
    quiz = bank(4, 2, attempts_allowed=2)
    past = [failed(600 + i) for i in range(used)]
    result = may_start(quiz, past, NOW, Allowance(extra_attempts=extra))
    assert (result.allowed, result.attempts_left) == (allowed, left)


def test_extra_tries_do_not_put_a_limit_on_an_unlimited_quiz():
    quiz = bank(4, 2, attempts_allowed=0)
    result = may_start(quiz, [failed(600)] * 5, NOW, Allowance(extra_attempts=1))
    assert result.allowed and result.attempts_left is None


def test_a_lifted_wait_lets_them_retake_now_but_only_for_the_tries_before_it():
    quiz = bank(4, 2, attempts_allowed=3, cooldown_minutes=60)
    lifted = Allowance(cooldown_lifted_at=NOW - timedelta(minutes=5))
    assert may_start(quiz, [failed(10)], NOW, lifted).allowed  # the try before the lift
    again = may_start(quiz, [failed(10), failed(2)], NOW, lifted)  # a try after it waits
    assert not again.allowed and again.next_allowed_at == NOW + timedelta(minutes=58)


def test_a_lifted_wait_gives_no_try_beyond_the_limit():
    quiz = bank(4, 2, attempts_allowed=1, cooldown_minutes=60)
    lifted = Allowance(cooldown_lifted_at=NOW)
    result = may_start(quiz, [failed(10)], NOW, lifted)
    assert not result.allowed and result.attempts_left == 0
    assert retake_status(result, passed=False, in_progress=False).state == "no_tries"
    both = may_start(quiz, [failed(10)], NOW, Allowance(1, NOW))
    assert both.allowed and both.attempts_left == 1
