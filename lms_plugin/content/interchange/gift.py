"""Moodle's GIFT format: write a bank, and read one back (ours, or one written elsewhere).

Written the way Moodle's own GIFT filter (question/format/gift/format.php) reads it: one
question per block of lines (blocks are separated by blank lines), `//` comment lines,
`::name::`, a `[markdown]` text format, answers in `{...}` with `=` right, `~` wrong,
`~%50%` a weighted answer and `#` its feedback, `{TRUE#wrong#right}` for true/false,
`\\` escapes for `~ = # { } :` and newlines. Our id travels as Moodle's question
`// [id:...]`, and what GIFT has no place for as `// [tag:...]` (both Moodle 3.6+); the
quiz's settings as a JSON comment that Moodle ignores.

Reading refuses, naming the line, what our bank cannot hold: essay, short answer,
numerical, matching, missing word and description questions, general feedback, HTML text,
and answer weights that grade differently from ours (see items.scoring_for).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..schema import Option, Question, Quiz
from .items import (
    Item,
    category_path,
    check_exportable,
    fractions,
    option_ids,
    percent,
    regroup,
    scoring_for,
    split_stem,
    stem_text,
    tags_for,
)

QUIZ_COMMENT = "lms-plugin quiz:"
SETTINGS = ("id", "module", "title", "pass_mark", "questions_per_attempt", "attempts_allowed",
            "cooldown_minutes", "time_limit_minutes", "review")
_ESCAPED = {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}",
            ":": "\\:", "\n": "\\n"}
# While a question is taken apart, escaped characters stand in for themselves as
# private-use characters, as Moodle's own reader does with its "&&058;" placeholders.
_HOLD = {":": "\ue000", "#": "\ue001", "=": "\ue002", "{": "\ue003", "}": "\ue004",
         "~": "\ue005", "n": "\ue006", "\\": "\ue007"}
_RELEASE = {v: ("\n" if k == "n" else k) for k, v in _HOLD.items()}
_ID = re.compile(r"\[id:((?:\\]|[^\]\x00-\x1f])+)\]")
_TAG = re.compile(r"\[tag:((?:\\]|[^\]\x00-\x1f])+)\]")
_WEIGHT = re.compile(r"^%(-?[0-9]{1,3}(?:\.[0-9]*)?)%")
_SLUG = re.compile(r"^[a-z0-9-]+(/[a-z0-9-]+)?$")
_FORMAT = re.compile(r"^\[(moodle|plain|markdown|html)\]")


# ---------------------------------------------------------------------------- writing


def write_gift(quiz: Quiz) -> str:
    """The bank as a GIFT file Moodle imports; CannotExport names what it cannot carry."""
    items = check_exportable(quiz)
    settings = quiz.model_dump(mode="json", include=set(SETTINGS), exclude_none=True)
    blocks = [
        f"// {quiz.title}: {len(quiz.questions)} questions exported by lms-plugin.\n"
        "// In Moodle: Question bank > Import > GIFT format.\n"
        f"// {QUIZ_COMMENT} {json.dumps(settings, ensure_ascii=False)}",
        f"$CATEGORY: {category_path(quiz.title)}",
    ]
    blocks += [_write_item(quiz, item) for item in items]
    return "\n\n".join(blocks) + "\n"


def _escape(text: str) -> str:
    return "".join(_ESCAPED.get(c, c) for c in text.replace("\r", ""))


def _write_item(quiz: Quiz, item: Item) -> str:
    comment = f"// [id:{item.id}]" + "".join(f" [tag:{t}]" for t in tags_for(quiz, item))
    head = f"::{_escape(item.id)}::[markdown]{_escape(stem_text(item))}"
    if item.kind == "true_false":
        right = next(o for o in item.options if o.correct)
        wrong = next(o for o in item.options if not o.correct)
        answer = "TRUE" if right.id == "true" else "FALSE"
        return (f"{comment}\n{head}{{{answer}#{_escape(wrong.feedback)}"
                f"#{_escape(right.feedback)}}}")
    lines = []
    for option, fraction in zip(item.options, fractions(item), strict=True):
        if item.kind == "single":
            # A wrong answer starting with %...% would be read as a weight: give it one.
            mark = "=" if option.correct else "~%0%" if option.text.startswith("%") else "~"
        else:
            mark = f"~%{percent(fraction)}%"
        lines.append(f"\t{mark}{_escape(option.text)}#{_escape(option.feedback)}")
    return f"{comment}\n{head}{{\n" + "\n".join(lines) + "\n}"


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class GiftError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class GiftBank:
    """What a GIFT file held: our quiz settings if it was one of our exports, the Moodle
    category, and the questions, validated one by one (the quiz's own rules, such as
    questions_per_attempt, are checked when the quiz is built)."""

    settings: dict[str, Any] | None = None
    category: str | None = None
    questions: list[Question] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # where each question starts


class GiftFormatError(ValueError):
    def __init__(self, errors: list[GiftError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class _Block:
    line: int  # first line of the block
    lines: tuple[tuple[int, str], ...]  # (line number, text) of the non-comment lines
    comments: tuple[tuple[int, str], ...]


def read_gift(text: str, quiz_slug: str) -> GiftBank:
    """Parse `text`; GiftFormatError lists every problem with its line. Questions with no
    `[id:...]` get an id from their name when it is a valid id, else `<quiz>-qNN`."""
    bank = GiftBank()
    errors: list[GiftError] = []
    items: list[tuple[int, Item]] = []
    for block in _blocks(text.replace("\r\n", "\n").replace("\r", "\n")):
        try:
            _read_comments(block, bank)
            if not block.lines:
                continue
            item = _read_question(block, quiz_slug, len(items) + 1)
            if item is None:  # $CATEGORY
                path = block.lines[0][1].partition(":")[2].strip()
                bank.category = re.split(r"(?<!/)/(?!/)", path)[-1].replace("//", "/") or None
                continue
            items.append((block.lines[0][0], item))
        except _Refused as refused:
            errors.append(GiftError(refused.line, str(refused)))
    errors += _group(items, bank)
    if not errors and not bank.questions:
        errors.append(GiftError(1, "no questions found"))
    if errors:
        raise GiftFormatError(errors)
    return bank


class _Refused(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _blocks(text: str) -> Iterable[_Block]:
    lines: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    start = 0
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        line = raw.strip()
        if not line:
            if lines or comments:
                yield _Block(start, tuple(lines), tuple(comments))
            lines, comments = [], []
            continue
        if not lines and not comments:
            start = number
        if line.startswith("//"):
            comments.append((number, line[2:].strip()))
        else:
            lines.append((number, line))


def _read_comments(block: _Block, bank: GiftBank) -> None:
    for number, comment in block.comments:
        if comment.startswith(QUIZ_COMMENT):
            try:
                settings = json.loads(comment.removeprefix(QUIZ_COMMENT))
            except json.JSONDecodeError as exc:
                raise _Refused(number, f"the quiz settings comment is not valid JSON: {exc}"
                               ) from None
            if not isinstance(settings, dict) or set(settings) - set(SETTINGS):
                raise _Refused(number, "the quiz settings comment holds "
                                       f"{', '.join(sorted(set(settings) - set(SETTINGS)))}"
                                       if isinstance(settings, dict) else
                                       "the quiz settings comment is not a JSON object")
            bank.settings = settings


def _hold(text: str) -> str:
    """Escaped characters as placeholders (so `\\{` is no brace)."""
    return re.sub(r"\\(.)", lambda m: _HOLD.get(m.group(1), m.group(0)), text)


def _release(text: str) -> str:
    return "".join(_RELEASE.get(c, c) for c in text)


def _line_at(block: _Block, held: str, offset: int) -> int:
    """The file line of a character of the block's (held, newline-joined) text."""
    return block.lines[min(held.count("\n", 0, offset), len(block.lines) - 1)][0]


def _read_question(block: _Block, quiz_slug: str, number: int) -> Item | None:
    first = block.lines[0][0]
    held = _hold("\n".join(line for _, line in block.lines))
    if held.startswith("$CATEGORY:"):
        return None
    name = None
    body, body_at = held, 0
    if held.startswith("::"):
        end = held.find("::", 2)
        if end == -1:
            raise _Refused(first, "the question name has no closing ::")
        name = _release(held[2:end]).strip()
        body_at = end + 2
        body = held[body_at:]
    open_at, close_at = body.find("{"), body.find("}")
    if open_at == -1 and close_at == -1:
        raise _Refused(first, "text without answers in { } (a description) is not a question")
    if open_at == -1 or close_at == -1 or close_at < open_at:
        line = _line_at(block, held, body_at + max(open_at, close_at))
        raise _Refused(line, "unbalanced braces: the answers go between one { and one }")
    if body[close_at + 1:].strip():
        raise _Refused(_line_at(block, held, body_at + close_at),
                       "text after the answers (missing-word format) cannot be represented")
    answers_at = body_at + open_at + 1
    answers = body[open_at + 1:close_at]
    stem = body[:open_at].strip()
    fmt = _FORMAT.match(stem)
    if fmt and fmt.group(1) == "html":
        raise _Refused(first, "HTML question text cannot be represented: use [markdown] or "
                              "plain text")
    stem = _release(stem[fmt.end():] if fmt else stem).strip()
    if "####" in answers:
        raise _Refused(_line_at(block, held, answers_at + answers.find("####")),
                       "general feedback (####) has no place in our bank: give each answer "
                       "its own feedback after #")
    ids = _ids(block)
    item_id = _item_id(ids[0], name, quiz_slug, number, first)
    tags = ids[1]
    is_part = "/" in item_id
    note, scenario, lead, prompt = split_stem(stem, is_part)
    kind, options, scoring = _answers(block, held, answers, answers_at, tags)
    return Item(item_id, kind, scoring, note, scenario, lead, prompt, tuple(options), 1.0)


def _ids(block: _Block) -> tuple[str | None, list[str]]:
    comments = "\n".join(c for _, c in block.comments)
    found = _ID.search(comments)
    tags = [t.replace("\\]", "]").strip() for t in _TAG.findall(comments)]
    return (found.group(1).replace("\\]", "]").strip() if found else None), tags


def _item_id(given: str | None, name: str | None, quiz_slug: str, number: int,
             line: int) -> str:
    if given is not None:
        if not _SLUG.match(given):
            raise _Refused(line, f"the id {given!r} is not one of ours: lower-case letters, "
                                 "digits and hyphens (question/part for a scenario's part)")
        return given
    if name and _SLUG.match(name) and "/" not in name:
        return name
    return f"{quiz_slug}-q{number:02d}"


def _answers(block: _Block, held: str, answers: str, at: int,
             tags: list[str]) -> tuple[Any, list[Option], Any]:
    line = _line_at(block, held, at)
    text = answers.strip()
    if not text:
        raise _Refused(line, "an essay question (no answers) cannot be represented")
    if text.startswith("#"):
        raise _Refused(line, "a numerical question cannot be represented")
    if "~" not in text:
        if "=" in text and "->" in text:
            raise _Refused(line, "a matching question cannot be represented")
        verdict, _, feedback = text.partition("#")
        if verdict.strip() in ("T", "TRUE", "F", "FALSE"):
            return "true_false", _true_false(verdict.strip(), feedback, line), None
        raise _Refused(line, "a short-answer question cannot be represented (a choice "
                             "question needs ~ before each wrong answer)")
    single = "=" in text
    chunks = [(at + m.start(), m.group(0)) for m in re.finditer(r"[=~][^=~]*", answers)]
    if chunks and answers[: chunks[0][0] - at].strip():
        raise _Refused(line, "text before the first answer (each answer starts with = or ~)")
    parsed: list[tuple[float, str, str, int]] = []
    for offset, chunk in chunks:
        answer_line = _line_at(block, held, offset)
        weight, body = _weight(chunk, answer_line, single)
        answer, _, feedback = body.partition("#")
        parsed.append((weight, _release(answer).strip(), _release(feedback).strip(),
                       answer_line))
    if len(parsed) < 2:
        raise _Refused(line, "a choice question needs at least two answers")
    weights = [p[0] for p in parsed]
    kind = "single" if single else "multiple"
    try:
        ids = option_ids(kind, len(parsed), tags)
        scoring = None if single else scoring_for(weights, tags)
    except ValueError as exc:
        raise _Refused(line, str(exc)) from None
    options = []
    for option_id, (weight, answer, feedback, answer_line) in zip(ids, parsed, strict=True):
        if not feedback:
            raise _Refused(answer_line, f"the answer {answer!r} has no feedback (#...): every "
                                        "option says why it is or is not right")
        options.append(_option(option_id, answer, weight > 0, feedback, answer_line))
    return kind, options, scoring


def _weight(chunk: str, line: int, single: bool) -> tuple[float, str]:
    if chunk.startswith("="):
        return 1.0, chunk[1:]
    body = chunk[1:].lstrip()
    match = _WEIGHT.match(body)
    if not match:
        return 0.0, body
    weight = float(match.group(1)) / 100
    if single and weight != 0:
        raise _Refused(line, f"a partly right answer ({match.group(0)}) in a question with "
                             "one right answer (=) cannot be represented")
    return weight, body[match.end():]


def _option(option_id: str, text: str, correct: bool, feedback: str, line: int) -> Option:
    try:
        return Option(id=option_id, text=text, correct=correct, feedback=feedback)
    except ValidationError as exc:
        raise _Refused(line, _first_problem(exc)) from None


def _true_false(verdict: str, feedback: str, line: int) -> list[Option]:
    truth = verdict in ("T", "TRUE")
    wrong, _, right = (_release(p).strip() for p in feedback.partition("#"))
    if not wrong or not right:
        raise _Refused(line, "a true/false question needs feedback for both answers: "
                             "{TRUE#shown to those who chose False#shown to those who chose "
                             "True}")
    return [Option(id="true", text="True", correct=truth, feedback=right if truth else wrong),
            Option(id="false", text="False", correct=not truth,
                   feedback=wrong if truth else right)]


def _group(items: list[tuple[int, Item]], bank: GiftBank) -> list[GiftError]:
    """Parts back into scenarios, each question checked by our schema."""
    errors: list[GiftError] = []
    starts: list[int] = []  # the line of each question, as regroup groups the items
    previous: Item | None = None
    for line, item in items:
        group = item.id.split("/")[0]
        if not (item.is_part and previous is not None and previous.is_part
                and previous.id.split("/")[0] == group):
            starts.append(line)
        previous = item
    try:
        grouped = regroup(item for _, item in items)
    except ValueError as exc:
        return [GiftError(items[0][0] if items else 1, str(exc))]
    seen: set[str] = set()
    for data, line in zip(grouped, starts, strict=True):
        question_id = str(data["id"])
        if question_id in seen:
            errors.append(GiftError(line, f"question id {question_id!r} is used twice"))
            continue
        seen.add(question_id)
        try:
            bank.questions.append(Question.model_validate(data))
            bank.lines.append(line)
        except ValidationError as exc:
            errors.append(GiftError(line, f"question {question_id}: {_first_problem(exc)}"))
    return errors


def _first_problem(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def quiz_from_gift(bank: GiftBank, slug: str, settings: dict[str, Any] | None) -> Quiz:
    """The quiz: `settings` (an existing quiz's), else the file's own, else defaults
    (module = slug, the Moodle category as title, ten questions a try)."""
    chosen = dict(settings or bank.settings or {})
    chosen["id"] = slug
    chosen.setdefault("module", slug)
    chosen.setdefault("title", bank.category or f"{slug.replace('-', ' ').capitalize()} quiz")
    chosen.setdefault("questions_per_attempt", min(10, len(bank.questions)))
    return Quiz.model_validate({**chosen, "questions": bank.questions})
