"""Quality checks run by `lms-plugin content validate` on top of the schema. Pure.

- Quiz validity: a bank must not be passable by test-taking tricks. Each surface strategy
  (always the longest option, always "False", ticking the longer options, ...) answers
  simulated attempts drawn and graded by the same code the app uses (quiz.rules.draw_layout
  and quiz.grading.grade_attempt); a bank fails when any strategy passes more than
  MAX_STRATEGY_PASS of them. Items a strategy has nothing to say about are guessed.
- Content notes: a lesson or question whose text mentions a sensitive topic (suicide,
  self-harm, death, violence, abuse, trauma ...) needs a `content_note`.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from ..content.loader import ContentBundle, ContentError
from ..content.schema import Option, Question, QuestionPart, Quiz
from .grading import grade_attempt
from .rules import draw_layout, offers_without_notes, without_notes
from .types import slots

ATTEMPTS = 2000
SEED = 13
MAX_STRATEGY_PASS = 0.05  # a share of simulated attempts

Item = Question | QuestionPart
# (the item, its options in the order shown, an rng for guessing) -> option ids chosen
Pick = Callable[[Item, list[Option], random.Random], list[str] | None]


def _length(option: Option) -> int:
    return len(option.text.strip())


def _guess(item: Item, shown: list[Option], rng: random.Random) -> list[str]:
    """What someone with no idea does: one option at random, or for a multiple-choice
    question each option ticked or not on a coin toss (at least one)."""
    if item.type == "multiple":
        picked = [o.id for o in shown if rng.random() < 0.5]
        return picked or [rng.choice(shown).id]
    return [rng.choice(shown).id]


def _single(choose: Callable[[list[Option]], Option]) -> Pick:
    def pick(item: Item, shown: list[Option], rng: random.Random) -> list[str] | None:
        return [choose(shown).id] if item.type == "single" else None
    return pick


def _true_false(answer: str) -> Pick:
    def pick(item: Item, shown: list[Option], rng: random.Random) -> list[str] | None:
        return [answer] if item.type == "true_false" else None
    return pick


def _by_median(longer: bool) -> Pick:
    """Multiple choice: tick every option at least as long as the median option (or, for
    the opposite trick, at most as long)."""
    def pick(item: Item, shown: list[Option], rng: random.Random) -> list[str] | None:
        if item.type != "multiple":
            return None
        middle = statistics.median(_length(o) for o in shown)
        return [o.id for o in shown if (_length(o) >= middle if longer else _length(o) <= middle)]
    return pick


_longer_options = _by_median(longer=True)
_shorter_options = _by_median(longer=False)


def _position(index: int) -> Pick:
    """The option shown first (0) or last (-1), whatever the type; a multiple-choice
    question gets that one option ticked."""
    def pick(item: Item, shown: list[Option], rng: random.Random) -> list[str] | None:
        return [shown[index].id]
    return pick


def _combined(*picks: Pick) -> Pick:
    def pick(item: Item, shown: list[Option], rng: random.Random) -> list[str] | None:
        for one in picks:
            chosen = one(item, shown, rng)
            if chosen is not None:
                return chosen
        return None
    return pick


def _by_length(shown: list[Option], longest: bool) -> Option:
    # Ties go to the option shown first, as a hurried reader would.
    return (max if longest else min)(shown, key=_length)


LONGEST = _single(lambda shown: _by_length(shown, True))
SHORTEST = _single(lambda shown: _by_length(shown, False))
ALWAYS_TRUE = _true_false("true")
ALWAYS_FALSE = _true_false("false")
# The tricks the issue names, and their mirror images, so that a rewrite that only swaps
# which options are long does not pass either.
STRATEGIES: dict[str, Pick] = {
    "longest option": LONGEST,
    "shortest option": SHORTEST,
    "always True": ALWAYS_TRUE,
    "always False": ALWAYS_FALSE,
    "longer options (multiple)": _longer_options,
    "shorter options (multiple)": _shorter_options,
    "first option": _position(0),
    "last option": _position(-1),
    "longest + False + longer": _combined(LONGEST, ALWAYS_FALSE, _longer_options),
    "shortest + True + shorter": _combined(SHORTEST, ALWAYS_TRUE, _shorter_options),
}


# One simulated try as shown: per question, (answer key, item, options in the order shown).
Shown = list[tuple[Question, list[tuple[str, Item, list[Option]]]]]


Draw = Callable[[Quiz, random.Random], list[dict[str, Any]]]


def draw_tries(quiz: Quiz, attempts: int = ATTEMPTS, seed: int = SEED,
               draw: Draw = draw_layout) -> list[Shown]:
    """`attempts` tries drawn by the app's own draw_layout (tests may pass another draw),
    options in the order shown."""
    rng = random.Random(seed)
    by_id = {q.id: q for q in quiz.questions}
    tries = []
    for _ in range(attempts):
        shown: Shown = []
        for entry in draw(quiz, rng):
            question = by_id[entry["id"]]
            shown.append((question, [
                (slot.key, slot.item, [next(o for o in slot.item.options or [] if o.id == oid)
                                       for oid in slot.shown(entry)])
                for slot in slots(question)]))
        tries.append(shown)
    return tries


def simulate(quiz: Quiz, pick: Pick, tries: Sequence[Shown], seed: int = SEED) -> float:
    """The share of simulated tries that `pick` passes. Each question is graded by
    grade_attempt; the score for an answer already graded is reused (grading is pure),
    which keeps thousands of tries per strategy quick."""
    rng = random.Random(seed)
    graded: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], float] = {}
    passed = 0
    for shown in tries:
        total = 0.0
        for question, groups in shown:
            answer = {}
            for key, item, options in groups:
                chosen = pick(item, options, rng)
                answer[key] = tuple(sorted(chosen if chosen is not None
                                           else _guess(item, options, rng)))
            memo = (question.id, tuple(answer.items()))
            if memo not in graded:
                graded[memo] = grade_attempt([question], {question.id: answer}, 0).score
            total += graded[memo]
        # grade_attempt's score over the whole try: the mean, in percent, two decimals.
        passed += round(total / len(shown), 2) >= quiz.pass_mark
    return passed / len(tries)


def _parts(question: Question) -> list[Item]:
    """What gets an answer: a scenario's parts, or the question itself."""
    return list(question.parts) if question.parts else [question]


def _items(quiz: Quiz) -> Iterator[Item]:
    for question in quiz.questions:
        yield from _parts(question)


@dataclass(frozen=True)
class BankReport:
    quiz: str
    pass_rates: dict[str, float]  # strategy -> share of simulated attempts passed
    guessing: float
    single_items: int
    key_longest: int  # single-choice items whose key is (one of) the longest options
    chance_longest: float  # how many that would be by chance
    key_shortest: int
    true_keys: int
    false_keys: int
    multiple_items: int
    longer_options_right: int  # multiple-choice items the longer-options trick gets exactly
    shorter_options_right: int
    version: str = ""  # "": the whole bank; else which version of it, in words

    @property
    def name(self) -> str:
        return f"{self.quiz} ({self.version})" if self.version else self.quiz

    @property
    def failing(self) -> dict[str, float]:
        return {name: rate for name, rate in self.pass_rates.items() if rate > MAX_STRATEGY_PASS}

    def lines(self) -> list[str]:
        rates = ", ".join(f"{name} {rate:.1%}" for name, rate in self.pass_rates.items())
        return [
            f"quiz {self.name}: simulated passes ({ATTEMPTS} tries each, limit "
            f"{MAX_STRATEGY_PASS:.0%}): {rates}; guessing {self.guessing:.1%}",
            f"quiz {self.name}: single-choice keys that are the longest option "
            f"{self.key_longest}/{self.single_items} (chance {self.chance_longest:.1f}), "
            f"the shortest {self.key_shortest}/{self.single_items}; true/false keys "
            f"{self.true_keys} True, {self.false_keys} False; multiple-choice answered "
            f"exactly by ticking the longer options {self.longer_options_right}/"
            f"{self.multiple_items}, the shorter {self.shorter_options_right}/"
            f"{self.multiple_items}",
        ]


def _is_extreme(options: Sequence[Option], longest: bool) -> bool:
    lengths = [_length(o) for o in options]
    target = max(lengths) if longest else min(lengths)
    return any(o.correct and _length(o) == target for o in options)


def _exactly(pick: Pick, item: Item) -> bool:
    options = list(item.options or [])
    return set(pick(item, options, random.Random(SEED)) or []) == {
        o.id for o in options if o.correct}


def bank_report(quiz: Quiz, attempts: int = ATTEMPTS, draw: Draw = draw_layout) -> BankReport:
    singles = [i for i in _items(quiz) if i.type == "single"]
    multiples = [i for i in _items(quiz) if i.type == "multiple"]
    tf_keys = [next(o.id for o in i.options or [] if o.correct)
               for i in _items(quiz) if i.type == "true_false"]
    tries = draw_tries(quiz, attempts, draw=draw)
    return BankReport(
        quiz=quiz.id,
        pass_rates={name: simulate(quiz, pick, tries) for name, pick in STRATEGIES.items()},
        guessing=simulate(quiz, lambda item, shown, r: None, tries),
        single_items=len(singles),
        key_longest=sum(_is_extreme(i.options or [], True) for i in singles),
        chance_longest=sum(1 / len(i.options or [1]) for i in singles),
        key_shortest=sum(_is_extreme(i.options or [], False) for i in singles),
        true_keys=tf_keys.count("true"),
        false_keys=tf_keys.count("false"),
        multiple_items=len(multiples),
        longer_options_right=sum(_exactly(_longer_options, i) for i in multiples),
        shorter_options_right=sum(_exactly(_shorter_options, i) for i in multiples),
    )


def alternate_report(quiz: Quiz, attempts: int = ATTEMPTS) -> BankReport | None:
    """The same simulation on the version without sensitive items (the questions without a
    content note, drawn as many per attempt as ever), when the quiz offers it."""
    if not offers_without_notes(quiz):
        return None
    clear = quiz.model_copy(update={"questions": without_notes(quiz)})
    return replace(bank_report(clear, attempts), version="without content notes")


def alternate_warnings(quiz: Quiz) -> list[str]:
    """A bank with content notes but too few questions without one to fill an attempt: no
    version without sensitive items can be offered to its learners."""
    noted = sum(1 for q in quiz.questions if q.content_note)
    clear = len(quiz.questions) - noted
    if not noted or clear >= quiz.questions_per_attempt:
        return []
    return [f"quizzes/{quiz.id}.yaml: warning: {clear} questions have no content note and an "
            f"attempt needs {quiz.questions_per_attempt}, so learners cannot choose a version "
            "without sensitive items; add questions without a content note."]


def validity_errors(reports: Sequence[BankReport]) -> list[ContentError]:
    return [
        ContentError(f"quizzes/{report.quiz}.yaml", None,
                     (f"{report.version}: " if report.version else "")
                     + "test-taking tricks pass too often: " + ", ".join(
                         f"{name} passes {rate:.1%} of simulated tries"
                         for name, rate in report.failing.items())
                     + f" (limit {MAX_STRATEGY_PASS:.0%}). Vary which option is longest, "
                     "balance true/false keys, and make distractors as long and plausible "
                     "as the answers.")
        for report in reports if report.failing
    ]


@lru_cache(maxsize=64)
def _reports(quiz_json: str) -> tuple[BankReport, BankReport | None]:
    """A bank's report and its version without content notes. They depend on the bank
    alone (the draws are seeded), so each distinct bank is simulated once per process:
    a watch or a test that validates the same banks again reuses the figures."""
    quiz = Quiz.model_validate_json(quiz_json)
    return bank_report(quiz), alternate_report(quiz)


def bank_check(bundle: ContentBundle) -> tuple[list[str], list[ContentError]]:
    """`content validate`'s check of every quiz bank (registered by quiz's init_app): the
    figures to print, and the banks that fail."""
    quizzes = [content.document for content in bundle.quizzes.values()]
    both = [_reports(quiz.model_dump_json()) for quiz in quizzes]
    reports = [report for report, _alternate in both]
    reports += [alternate for _report, alternate in both if alternate is not None]
    lines = [line for report in reports for line in report.lines()]
    lines += [line for quiz in quizzes for line in alternate_warnings(quiz)]
    return lines, validity_errors(reports)
