"""When a learner may take a quiz, and which questions an attempt shows. Pure."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..content.schema import Question, Quiz
from ..i18n import N_
from .types import draw_entry


@dataclass(frozen=True)
class PastAttempt:
    submitted_at: datetime
    passed: bool


@dataclass(frozen=True)
class Allowance:
    """What an admin granted one person on one quiz: tries beyond the quiz's limit, and
    the cool-down lifted (it then does not apply to tries submitted before that moment)."""

    extra_attempts: int = 0
    cooldown_lifted_at: datetime | None = None


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    attempts_used: int = 0
    attempts_left: int | None = None  # None: unlimited
    next_allowed_at: datetime | None = None


def may_start(quiz: Quiz, past: Sequence[PastAttempt], now: datetime,
              allowance: Allowance | None = None) -> Eligibility:
    allowance = allowance or Allowance()
    used = len(past)
    limit = quiz.attempts_allowed + allowance.extra_attempts if quiz.attempts_allowed else 0
    left = None if limit == 0 else max(0, limit - used)
    if any(p.passed for p in past):
        return Eligibility(True, "", used, left)  # passed already: may practise freely
    if left == 0:
        return Eligibility(
            False, N_("You have used all your attempts at this quiz. Your course "
                      "administrator can give you another."), used, left,
        )
    if past and quiz.cooldown_minutes:
        last = max(p.submitted_at for p in past)
        ready = last + timedelta(minutes=quiz.cooldown_minutes)
        lifted = allowance.cooldown_lifted_at is not None \
            and allowance.cooldown_lifted_at >= last
        if now < ready and not lifted:
            return Eligibility(
                False,
                N_("Take a short break and look back over the lessons before trying again."),
                used, left, ready,
            )
    return Eligibility(True, "", used, left)


def review_level(quiz: Quiz, passed: bool, tries_left: int | None) -> str:
    """What the review of a submitted try shows: "full" (the answer key and all feedback),
    "which_wrong" (right or not per question, and feedback for the options chosen, never
    the key) or "none" (the score only). A pass, or no tries left, gets the full review:
    there is no next try for the key to give away."""
    if passed or tries_left == 0:
        return quiz.review.after_pass
    return quiz.review.after_fail


# Which version of a quiz a learner chose on its start page: every question, or none of
# those with a content note.
ALL_QUESTIONS, WITHOUT_NOTES = "all", "without_notes"


def without_notes(quiz: Quiz) -> list[Question]:
    """The questions of the version without sensitive items: those without a content
    note."""
    return [q for q in quiz.questions if not q.content_note]


def offers_without_notes(quiz: Quiz) -> bool:
    """A learner may choose the version without sensitive items: the bank has questions
    with a content note, and enough without one to fill a whole attempt."""
    clear = len(without_notes(quiz))
    return clear < len(quiz.questions) and clear >= quiz.questions_per_attempt


def draw_layout(quiz: Quiz, rng: random.Random, avoid: Collection[str] = (),
                leave_out_notes: bool = False) -> list[dict[str, Any]]:
    """Questions drawn at random from the bank, and options shuffled (true/false too), for
    one attempt.
    Questions in `avoid` (those of the last try) are drawn only when the rest of the bank
    is too small to fill the attempt. `leave_out_notes`: the version without sensitive
    items, drawn from the questions without a content note only (as many as ever)."""
    bank = without_notes(quiz) if leave_out_notes else quiz.questions
    if len(bank) < quiz.questions_per_attempt:
        raise ValueError(f"quiz {quiz.id} has {len(bank)} questions without a content note; "
                         f"an attempt needs {quiz.questions_per_attempt}")
    fresh = [q for q in bank if q.id not in avoid]
    seen = [q for q in bank if q.id in avoid]
    take = min(len(fresh), quiz.questions_per_attempt)
    chosen = rng.sample(fresh, take) + rng.sample(seen, quiz.questions_per_attempt - take)
    rng.shuffle(chosen)
    # Each type orders its options (true/false too: a fixed True-then-False order is a
    # pattern to game).
    return [draw_entry(question, rng) for question in chosen]


# Paging: one question (a scenario with its parts is one) per page.

GRACE = timedelta(seconds=30)  # answers posted this long after the deadline still count


@dataclass(frozen=True)
class PageState:
    number: int  # 1-based, in the attempt's order
    question_id: str
    answered: bool  # every part has a choice
    flagged: bool


def page_states(layout: Sequence[dict[str, Any]], answers: dict[str, dict[str, list[str]]],
                flagged: Collection[str]) -> list[PageState]:
    states = []
    for number, entry in enumerate(layout, start=1):
        qid = entry["id"]
        keys = list(entry["parts"]) if entry.get("parts") else [qid]
        given = answers.get(qid, {})
        states.append(PageState(number, qid, all(given.get(k) for k in keys), qid in flagged))
    return states


def unanswered(states: Sequence[PageState]) -> list[int]:
    return [s.number for s in states if not s.answered]


def clamp_page(value: str | int | None, total: int) -> int:
    """A page number from a request, kept inside 1..total (1 for anything unreadable)."""
    try:
        number = int(value) if value is not None else 1
    except ValueError:
        return 1
    return min(max(number, 1), max(total, 1))


def next_page(action: str, current: int, total: int, goto: str | None = None) -> int | None:
    """Where a page's button leads: a page number, or None for the summary."""
    if action == "prev":
        return max(current - 1, 1)
    if action == "next":
        return None if current >= total else current + 1
    if action == "goto":
        return clamp_page(goto, total)
    if action in ("summary", "submit"):
        return None
    return current  # "save" and anything unknown: stay


def deadline_for(quiz: Quiz, started: datetime) -> datetime | None:
    return started + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None


def seconds_left(deadline: datetime | None, now: datetime) -> int | None:
    if deadline is None:
        return None
    return max(0, int((deadline - now).total_seconds()))


def accepts_answers(deadline: datetime | None, now: datetime) -> bool:
    """Answers count until the deadline and a short grace (a page posted as time ran out)."""
    return deadline is None or now <= deadline + GRACE


def is_over(deadline: datetime | None, now: datetime) -> bool:
    """Time is up: the try is submitted with what was saved."""
    return deadline is not None and now > deadline


@dataclass(frozen=True)
class Retake:
    """What the programme and module pages say about a quiz not yet passed."""

    state: str  # "in_progress" | "waiting" | "ready" | "no_tries"
    tries_left: int | None = None
    after: datetime | None = None  # "waiting": when the next try may start


def retake_status(eligibility: Eligibility, passed: bool, in_progress: bool) -> Retake | None:
    """None when there is nothing to say: passed, or never tried."""
    if passed:
        return None
    if in_progress:
        return Retake("in_progress", eligibility.attempts_left)
    if not eligibility.attempts_used:
        return None
    if eligibility.allowed:
        return Retake("ready", eligibility.attempts_left)
    if eligibility.next_allowed_at is not None:
        return Retake("waiting", eligibility.attempts_left, eligibility.next_allowed_at)
    return Retake("no_tries", 0)
