"""`QuestionType`: everything one kind of question does, in one class. Pure.

An *item* is what gets an answer: a question, or one part of a scenario (a scenario is the
container of its parts, not a type of its own). A type says:

- `check`: its YAML rules (content/schema.py runs them when a quiz file is loaded);
- `draw`: the order its options are shown in, for one attempt;
- `parse`: the answer from the values posted for its form field;
- `grade`: a score between 0 and 1 for an answer;
- `take` and `review`: what its template partials show (`take_template` while the
  attempt is open, `review_template` after it is submitted).

The answer to an item is a list of strings (option ids, for the built-in types); the
attempt stores it as it is, so a type is free to give the strings its own meaning.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from ...content.schema import Option, Question, QuestionPart, Scoring

Item = Question | QuestionPart


class QuestionType:
    name: ClassVar[str]  # the `type:` of the YAML item
    in_parts: ClassVar[bool] = True  # may be a part of a scenario
    take_template: ClassVar[str]  # a partial of templates/, given `item`, `part`
    review_template: ClassVar[str]

    def check(self, options: list[Option], scoring: Scoring | None) -> None:
        """The YAML rules: raise ValueError with a message for the author."""
        raise NotImplementedError

    def draw(self, item: Item, rng: random.Random) -> list[str]:
        """The options in the order this attempt shows them (shuffled)."""
        ids = [o.id for o in _options(item)]
        return rng.sample(ids, len(ids))

    def parse(self, item: Item, values: Sequence[str]) -> list[str]:
        """The answer posted: option ids of this item, each once. Anything else is dropped."""
        allowed = {o.id for o in _options(item)}
        return [v for v in dict.fromkeys(values) if v in allowed]

    def grade(self, item: Item, chosen: Sequence[str]) -> float:
        raise NotImplementedError

    def take(self, item: Item, shown: Sequence[str], chosen: Sequence[str]) -> dict[str, Any]:
        """What `take_template` shows, besides the part's `name` (its form field) and
        `prompt`. Only ids and texts: no key, no feedback, before the attempt is
        submitted."""
        raise NotImplementedError

    def review(self, item: Item, shown: Sequence[str], chosen: Sequence[str],
               full: bool) -> dict[str, Any]:
        """What `review_template` shows, besides `prompt`; `right` (bool) is required.
        Unless `full`, the key stays off the page: only the feedback of what was chosen."""
        raise NotImplementedError


def _options(item: Item) -> list[Option]:
    return list(item.options or [])
