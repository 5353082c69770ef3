"""Moodle XML: write a bank as Moodle's question import reads it, and read one back.

Element by element as Moodle's XML filter (question/format/xml/format.php) reads them:
a `category` question for the quiz, then per item a `multichoice` (`<single>`, answers
with `fraction` in percent) or `truefalse` question (answers "true" and "false"), texts
in Moodle's Markdown format, `<defaultgrade>` (a scenario part's share of one question),
our id as `<idnumber>` and what Moodle has no field for in `<tags>`. Moodle keeps
idnumber and tags when it exports the questions again, so a bank that went through
Moodle comes back with its ids.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..schema import Option, Quiz
from . import items as shared  # what every format shares
from .items import Item

TEXT_FORMAT = "markdown"
PENALTY = "0.3333333"  # Moodle's default penalty for a wrong try in interactive mode


def write_moodle_xml(quiz: Quiz) -> bytes:
    items = shared.check_exportable(quiz)
    root = ET.Element("quiz")
    category = ET.SubElement(root, "question", type="category")
    _text(category, "category", shared.category_path(quiz.title))
    _text(category, "info", f"Questions of the quiz {quiz.title!r} (lms-plugin quiz "
                            f"{quiz.id}, module {quiz.module}).", "moodle_auto_format")
    for item in items:
        root.append(_question(quiz, item))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    return element


def _value(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _question(quiz: Quiz, item: Item) -> ET.Element:
    qtype = "truefalse" if item.kind == "true_false" else "multichoice"
    question = ET.Element("question", type=qtype)
    _text(question, "name", item.id)
    _text(question, "questiontext", shared.stem_text(item), TEXT_FORMAT)
    _text(question, "generalfeedback", "", TEXT_FORMAT)
    _value(question, "defaultgrade", f"{item.weight:.7f}".rstrip("0").rstrip("."))
    _value(question, "penalty", "1" if qtype == "truefalse" else PENALTY)
    _value(question, "hidden", "0")
    _value(question, "idnumber", item.id)
    if qtype == "multichoice":
        _value(question, "single", "true" if item.kind == "single" else "false")
        _value(question, "shuffleanswers", "true")  # we show options in random order too
        _value(question, "answernumbering", "none")
        _value(question, "showstandardinstruction", "1")
        for field in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
            _text(question, field, "", TEXT_FORMAT)
        if item.kind == "multiple":
            ET.SubElement(question, "shownumcorrect")
    for option, fraction in zip(item.options, shared.fractions(item), strict=True):
        if qtype == "truefalse":
            answer = _text(question, "answer", option.id, "moodle_auto_format")
        else:
            answer = _text(question, "answer", option.text, TEXT_FORMAT)
        answer.set("fraction", shared.percent(fraction))
        _text(answer, "feedback", option.feedback, TEXT_FORMAT)
    tags = ET.SubElement(question, "tags")
    for tag in shared.tags_for(quiz, item):
        _text(tags, "tag", tag)
    return question


def read_moodle_xml(data: bytes) -> list[dict[str, Any]]:
    """The questions (as dicts for our schema) of a Moodle XML file of multichoice and
    truefalse questions; ValueError naming the question for anything else. Python's
    expat parser neither fetches external entities nor expands entities without bound."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - see the docstring
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.tag != "quiz":
        raise ValueError("not a Moodle XML question file: the root element is not <quiz>")
    items = []
    for number, question in enumerate(root.findall("question"), start=1):
        qtype = question.get("type")
        if qtype == "category":
            continue
        name = question.findtext("name/text") or f"question {number}"
        if qtype not in ("multichoice", "truefalse"):
            raise ValueError(f"{name}: its type, {qtype}, cannot be represented")
        item_id = (question.findtext("idnumber") or "").strip()
        if not item_id:
            raise ValueError(f"{name}: no idnumber")
        tags = [t.findtext("text") or "" for t in question.findall("tags/tag")]
        answers = question.findall("answer")
        weights = [float(a.get("fraction", "0")) / 100 for a in answers]
        feedback = [a.findtext("feedback/text") or "" for a in answers]
        if qtype == "truefalse":
            kind: Any = "true_false"
            scoring = None
            texts = [a.findtext("text") or "" for a in answers]
            ids = texts
            labels = [t.capitalize() for t in texts]
        else:
            kind = "single" if question.findtext("single", "true") == "true" else "multiple"
            try:
                scoring = shared.scoring_for(weights, tags) if kind == "multiple" else None
            except ValueError as exc:
                raise ValueError(f"{item_id}: {exc}") from None
            ids = shared.option_ids(kind, len(answers), tags)
            labels = [a.findtext("text") or "" for a in answers]
        stem = question.findtext("questiontext/text") or ""
        note, scenario, lead, prompt = shared.split_stem(stem, "/" in item_id)
        options = tuple(Option(id=i, text=t, correct=w > 0, feedback=f)
                        for i, t, w, f in zip(ids, labels, weights, feedback, strict=True))
        items.append(Item(item_id, kind, scoring, note, scenario, lead, prompt, options, 1.0))
    return shared.regroup(items)
