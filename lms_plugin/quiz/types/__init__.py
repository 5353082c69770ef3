"""Question types as classes (`base.QuestionType`), by `type:` in `registry.TYPES`; the
built-in ones are in `choice.py`. A new type is one file here (a `QuestionType`,
registered; every module of this package is loaded) and its template partials in
templates/quiz/types/.

Below: what every question is made of, whatever its types. A question has one or more
*slots*, each an item that gets an answer: the question itself, or each part of a
scenario. The slot's key names its answer (`answers[question id][key]`), its option order
in the layout (`entry["options"]`, or `entry["parts"][key]`) and its form field.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from ...content.schema import Question
from .base import Item, QuestionType
from .registry import TYPES, register, type_of, unregister

__all__ = ["TYPES", "Answer", "Item", "Layout", "QuestionType", "Slot", "draw_entry",
           "parse_question", "register", "review_parts", "slots", "take_parts", "type_of",
           "unregister"]


def _load_types() -> None:
    """Each other module of this package defines and registers question types: a new type
    is a new file, found here (the built-in ones are choice.py)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("base", "registry"):
            importlib.import_module(f"{__name__}.{module.name}")


_load_types()

Layout = Mapping[str, Any]  # one entry of an attempt's layout
Answer = Mapping[str, Sequence[str]]  # slot key -> the answer


@dataclass(frozen=True)
class Slot:
    key: str  # the question's id, or the part's
    field: str  # the form field: q-<question> or q-<question>-<part>
    item: Item
    prompt: str | None  # a part's own prompt; None: the question's
    in_parts: bool

    @property
    def kind(self) -> QuestionType:
        return type_of(self.item)

    def shown(self, entry: Layout) -> list[str]:
        """This slot's option order in one attempt's layout."""
        return list(entry["parts"][self.key] if self.in_parts else entry["options"])


def slots(question: Question) -> list[Slot]:
    if question.parts:
        return [Slot(p.id, f"q-{question.id}-{p.id}", p, p.prompt, True)
                for p in question.parts]
    return [Slot(question.id, f"q-{question.id}", question, None, False)]


def draw_entry(question: Question, rng: random.Random) -> dict[str, Any]:
    """The layout entry of one question drawn for an attempt: its options' order."""
    entry: dict[str, Any] = {"id": question.id}
    if question.parts:
        entry["parts"] = {s.key: s.kind.draw(s.item, rng) for s in slots(question)}
    else:
        [slot] = slots(question)
        entry["options"] = slot.kind.draw(slot.item, rng)
    return entry


def parse_question(question: Question, form: MultiDict[str, str]) -> dict[str, list[str]]:
    """The answer posted for a question, slot by slot (a slot without a field: none)."""
    return {s.key: s.kind.parse(s.item, form.getlist(s.field)) for s in slots(question)}


def take_parts(question: Question, entry: Layout, answer: Answer) -> list[dict[str, Any]]:
    """What the attempt page shows of a question, slot by slot."""
    return [{"name": s.field, "prompt": s.prompt, "template": s.kind.take_template,
             **s.kind.take(s.item, s.shown(entry), answer.get(s.key, ()))}
            for s in slots(question)]


def review_parts(question: Question, entry: Layout, answer: Answer,
                 full: bool) -> list[dict[str, Any]]:
    """What the review shows of a question, slot by slot (`full`: the key too)."""
    return [{"prompt": s.prompt, "template": s.kind.review_template,
             **s.kind.review(s.item, s.shown(entry), answer.get(s.key, ()), full)}
            for s in slots(question)]
