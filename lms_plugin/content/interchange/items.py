"""What the three formats have in common. Pure: no Flask, no database.

Moodle, Canvas and GIFT know questions that have a text and choices; they know neither a
scenario with parts, nor a content note, nor our option ids. So a bank is *flattened* into
`Item`s, one gradable question each: a scenario's part becomes an item of its own whose id
is `question/part` (the scenario, its note and its own prompt repeated in its text) and
whose weight is its share of the scenario, so the scenario is still worth one question.
Reading a file does the reverse (`regroup`).

An item's text (`stem_text`) is plain paragraphs, read the same way back (`split_stem`):
"Content note: ..." first when there is a note, then the scenario, then (parts only) the
scenario's prompt, then the prompt. Multiple choice becomes Moodle fractions: each right
option 1/k of the mark (k right options) and each wrong one -1/k, which is exactly our
`partial` scoring (Moodle adds the fractions of the ticked options and keeps the total
within 0..1; Canvas Classic Quizzes grade multiple answers the same way).
`all_or_nothing` (the default) has no equivalent in Moodle's or Canvas's core question
types: it goes out as right 1/k and wrong -100% (any wrong tick scores nothing; missing a
right option still earns part of the mark there) with the tag `scoring:all-or-nothing`;
`warnings` says so when exporting, and it comes back as the default (no `scoring`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast, get_args

from ..schema import Option, PartType, Quiz, Scoring

NOTE_PREFIX = "Content note: "
PARAGRAPH = "\n\n"
PART_SEPARATOR = "/"
ALL_OR_NOTHING_TAG = "scoring:all-or-nothing"
OPTIONS_TAG = "options:"
TOLERANCE = 1e-4  # fractions travel with 7 decimals (Moodle's column is DECIMAL(12,7))
# Characters XML 1.0 cannot hold (and so neither Moodle XML nor QTI): C0 controls but tab
# and newline, carriage return (normalised away by XML parsers), and the non-characters.
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


class CannotExport(ValueError):
    """The bank holds something a format cannot carry; the message names the question."""


@dataclass(frozen=True)
class Item:
    """One gradable question, as an LMS sees it."""

    id: str  # "aw-q01", or "aw-q04/p1" for part p1 of scenario aw-q04
    kind: PartType
    scoring: Scoring | None
    note: str | None
    scenario: str | None
    lead: str | None  # a part's scenario prompt ("Work through this situation.")
    prompt: str
    options: tuple[Option, ...]
    weight: float  # share of one question: 1, or 1/len(parts)

    @property
    def is_part(self) -> bool:
        return PART_SEPARATOR in self.id


def _kind(question_id: str, kind: str) -> PartType:
    """The formats carry single, multiple and true/false; a question type added to the
    quiz package since (quiz/types) cannot travel until its format mapping is written."""
    if kind not in get_args(PartType):
        raise CannotExport(f"{question_id}: a {kind!r} question has no form in Moodle or "
                           "Canvas quizzes")
    return cast(PartType, kind)


def flatten(quiz: Quiz) -> list[Item]:
    items: list[Item] = []
    for question in quiz.questions:
        if question.parts:
            weight = 1 / len(question.parts)
            for part in question.parts:
                part_id = f"{question.id}{PART_SEPARATOR}{part.id}"
                items.append(Item(part_id, _kind(part_id, part.type),
                                  part.scoring, question.content_note, question.scenario,
                                  question.prompt, part.prompt, tuple(part.options), weight))
        else:
            assert question.options is not None and question.type != "scenario"
            items.append(Item(question.id, _kind(question.id, question.type), question.scoring,
                              question.content_note, question.scenario, None, question.prompt,
                              tuple(question.options), 1.0))
    return items


def regroup(items: Iterable[Item]) -> list[dict[str, object]]:
    """Items back into question dicts (for `Quiz.model_validate`). Parts of one scenario
    must follow each other and agree on its note, scenario and prompt."""
    questions: list[dict[str, object]] = []
    for item in items:
        options = [o.model_dump(exclude_none=True) for o in item.options]
        if not item.is_part:
            questions.append(_without_none({
                "id": item.id, "type": item.kind, "content_note": item.note,
                "scenario": item.scenario, "prompt": item.prompt, "scoring": item.scoring,
                "options": options}))
            continue
        question_id, part_id = item.id.split(PART_SEPARATOR, 1)
        part = _without_none({"id": part_id, "type": item.kind, "prompt": item.prompt,
                              "scoring": item.scoring, "options": options})
        last = questions[-1] if questions else None
        if last is not None and last["id"] == question_id and "parts" in last:
            shared = {"content_note": item.note, "scenario": item.scenario, "prompt": item.lead}
            for key, value in shared.items():
                if last.get(key) != value:
                    raise ValueError(f"part {part_id} of {question_id} has another "
                                     f"{key.replace('_', ' ')} than the parts before it")
            parts = last["parts"]
            assert isinstance(parts, list)
            parts.append(part)
        else:
            if any(q["id"] == question_id for q in questions):
                raise ValueError(f"the parts of {question_id} are not next to each other")
            questions.append(_without_none({
                "id": question_id, "type": "scenario", "content_note": item.note,
                "scenario": item.scenario, "prompt": item.lead, "parts": [part]}))
    return questions


def _without_none(values: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


def stem_text(item: Item) -> str:
    """The item's text as paragraphs: note, scenario, lead, prompt."""
    for label, text in (("content note", item.note), ("scenario prompt", item.lead),
                        ("prompt", item.prompt)):
        if text is not None and PARAGRAPH in text:
            raise CannotExport(f"question {item.id}: its {label} has more than one paragraph; "
                               "other platforms would show it as part of the scenario")
    paragraphs = [NOTE_PREFIX + item.note] if item.note else []
    paragraphs += [t for t in (item.scenario, item.lead) if t]
    if not item.note and paragraphs and paragraphs[0].startswith(NOTE_PREFIX):
        raise CannotExport(f'question {item.id}: its text starts with "{NOTE_PREFIX.strip()}" '
                           "but it has no content_note")
    return PARAGRAPH.join([*paragraphs, item.prompt])


def split_stem(text: str, is_part: bool) -> tuple[str | None, str | None, str | None, str]:
    """(note, scenario, lead, prompt) from an item's text. The last paragraph is the
    prompt; a part's paragraph before it is its scenario's prompt."""
    rest, _, prompt = text.strip().rpartition(PARAGRAPH)
    lead: str | None = None
    if is_part:
        rest, _, lead = rest.rpartition(PARAGRAPH)
    note: str | None = None
    if rest.startswith(NOTE_PREFIX):
        note, _, rest = rest.partition(PARAGRAPH)
        note = note.removeprefix(NOTE_PREFIX)
    return _text(note), _text(rest), _text(lead), prompt.strip()


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def category_path(title: str) -> str:
    """The Moodle question category of a quiz. Moodle reads the path as it is (no GIFT
    escapes); a single / would start a subcategory, so the title's are doubled."""
    return "$course$/top/" + " ".join(title.split()).replace("/", "//")


def fractions(item: Item) -> list[float]:
    """Each option's fraction of the mark, Moodle's way (-1..1)."""
    if item.kind != "multiple":
        return [1.0 if o.correct else 0.0 for o in item.options]
    right = sum(o.correct for o in item.options)
    wrong = -1 / right if item.scoring == "partial" else -1.0
    return [1 / right if o.correct else wrong for o in item.options]


def scoring_for(weights: Sequence[float], tags: Iterable[str]) -> Scoring | None:
    """A multiple-choice item's scoring from its options' fractions (None: all or nothing,
    the default); ValueError, saying why, when neither of ours gives the same grades."""
    right = [w for w in weights if w > 0]
    wrong = [w for w in weights if w <= 0]
    if not right:
        raise ValueError("no option earns any mark: at least one must be right")
    share = 1 / len(right)
    if any(abs(w - share) > TOLERANCE for w in right):
        raise ValueError(
            f"the right options must each earn an equal share ({percent(share)}% for "
            f"{len(right)}); weights of {', '.join(percent(w) + '%' for w in right)} cannot "
            "be represented")
    if ALL_OR_NOTHING_TAG in tags:
        if any(abs(w + 1) > TOLERANCE for w in wrong):
            raise ValueError("an all-or-nothing question's wrong options are worth -100%")
        return None
    if any(abs(w + share) > TOLERANCE for w in wrong):
        raise ValueError(
            f"each wrong option must take away what a right one earns (-{percent(share)}%); "
            "our partial scoring deducts for a wrong tick, so "
            f"{', '.join(percent(w) + '%' for w in wrong)} cannot be represented")
    return "partial"


def percent(fraction: float) -> str:
    """A fraction as Moodle writes a percentage: at most 5 decimals, no trailing zeros."""
    text = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def default_option_ids(kind: str, count: int) -> list[str]:
    if kind == "true_false":
        return ["true", "false"]
    return [chr(ord("a") + i) for i in range(count)]


def option_tag(item: Item) -> str | None:
    """`options:x,y,z` when the option ids are not a, b, c... (GIFT and Moodle keep none)."""
    ids = [o.id for o in item.options]
    if item.kind == "true_false" or ids == default_option_ids(item.kind, len(ids)):
        return None
    return OPTIONS_TAG + ",".join(ids)


def option_ids(kind: str, count: int, tags: Iterable[str]) -> list[str]:
    for tag in tags:
        if tag.startswith(OPTIONS_TAG):
            ids = tag.removeprefix(OPTIONS_TAG).split(",")
            if len(ids) != count:
                raise ValueError(f"the tag {tag!r} names {len(ids)} options, not {count}")
            return ids
    return default_option_ids(kind, count)


def tags_for(quiz: Quiz, item: Item) -> list[str]:
    tags = [f"quiz:{quiz.id}", f"module:{quiz.module}"]
    if item.kind == "multiple" and item.scoring != "partial":
        tags.append(ALL_OR_NOTHING_TAG)
    option = option_tag(item)
    if option:
        tags.append(option)
    return tags


def check_exportable(quiz: Quiz) -> list[Item]:
    """The bank's items, or CannotExport naming what a format could not carry."""
    items = flatten(quiz)
    for item in items:
        if item.kind == "true_false":
            labels = {o.id: o.text for o in item.options}
            if labels != {"true": "True", "false": "False"}:
                raise CannotExport(
                    f"question {item.id}: Moodle and Canvas show true/false options as "
                    f"True and False, not {labels['true']!r} and {labels['false']!r}")
        texts = [item.note, item.scenario, item.lead, item.prompt]
        texts += [t for o in item.options for t in (o.text, o.feedback)]
        for text in texts:
            if text and _UNREPRESENTABLE.search(text):
                raise CannotExport(f"question {item.id}: a control character in {text!r}")
        stem_text(item)
    return items


def warnings(quiz: Quiz, platform: str) -> list[str]:
    """Where the platform will grade differently from us."""
    return [f"{item.id}: {platform} gives part marks on this multiple-choice question (right "
            "options earn a share, any wrong tick scores nothing); we mark it all or nothing"
            for item in flatten(quiz)
            if item.kind == "multiple" and item.scoring != "partial"]
