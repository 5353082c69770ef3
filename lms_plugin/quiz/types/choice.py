"""The built-in types: pick one option (single, true_false) or several (multiple). Their
YAML rules are content/schema.py's `check_options`, with the format they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...content.schema import Option, Scoring, check_options
from .base import Item, QuestionType, _options
from .registry import register


class Choice(QuestionType):
    take_template = "quiz/types/choice.html"
    review_template = "quiz/types/choice_review.html"
    multiple = False

    def check(self, options: list[Option], scoring: Scoring | None) -> None:
        check_options(self.name, options, scoring)

    def grade(self, item: Item, chosen: Sequence[str]) -> float:
        picked = set(chosen)
        return 1.0 if len(picked) == 1 and picked == _correct(item) else 0.0

    def take(self, item: Item, shown: Sequence[str], chosen: Sequence[str]) -> dict[str, Any]:
        by_id = {o.id: o for o in _options(item)}
        return {"multiple": self.multiple,
                "options": [(oid, by_id[oid].text, oid in chosen) for oid in shown]}

    def review_order(self, shown: Sequence[str]) -> Sequence[str]:
        return shown

    def review(self, item: Item, shown: Sequence[str], chosen: Sequence[str],
               full: bool) -> dict[str, Any]:
        by_id = {o.id: o for o in _options(item)}
        picked = set(chosen)
        return {
            "right": _correct(item) == picked,
            # Before the last try, `which_wrong` keeps the key off the page: whether an
            # option is right, and the feedback of options not chosen.
            "options": [
                {"text": by_id[oid].text, "correct": full and by_id[oid].correct,
                 "chosen": oid in picked,
                 "feedback": by_id[oid].feedback if full or oid in picked else ""}
                for oid in self.review_order(shown)
            ],
        }


class Single(Choice):
    name = "single"


class TrueFalse(Choice):
    name = "true_false"

    def review_order(self, shown: Sequence[str]) -> Sequence[str]:
        return ["true", "false"]  # shown shuffled (a fixed order is a pattern to game)


class Multiple(Choice):
    name = "multiple"
    multiple = True

    def grade(self, item: Item, chosen: Sequence[str]) -> float:
        correct = _correct(item)
        picked = set(chosen) & {o.id for o in _options(item)}
        if item.scoring == "partial":
            # Each right pick earns a share, each wrong pick takes one away; never below zero.
            earned = len(picked & correct) - len(picked - correct)
            return max(0.0, earned / len(correct))
        return 1.0 if picked == correct else 0.0


def _correct(item: Item) -> set[str]:
    return {o.id for o in _options(item) if o.correct}


for _type in (Single(), Multiple(), TrueFalse()):
    register(_type)
