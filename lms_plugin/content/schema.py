"""Strict schemas for content files. Pure: no Flask, no database.

Unknown keys are errors, ids follow ^[a-z0-9-]+$, and each rule that a reviewer would
otherwise have to check by eye (one correct answer for a single-choice question, and so on)
is a validator here. See docs/content-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    id: Slug
    authors: Text | None = None  # "Dazzi T, Gribble R, Wessely S, Fear NT"
    title: Text
    edition: Text | None = None  # "4th edition"
    publisher: Text  # or the journal, with volume and pages
    year: int = Field(ge=1900, le=2100)
    url: HttpUrl


class Bibliography(Strict):
    """modules/sources.yaml: the shared bibliography. Modules list the ids they use."""

    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_sources(self) -> Bibliography:
        _unique([s.id for s in self.sources], "source id")
        return self


# Who a module is for: every employee takes the "everyone" modules; the peer-supporter path
# adds the "peer_supporters" ones (training/rules.py: path_modules).
Audience = Literal["everyone", "peer_supporters"]


class CompletionRule(Strict):
    lessons: Literal["all"] = "all"
    quiz: Slug | None = None


class _ModuleFields(Strict):
    title: Text
    order: int = Field(ge=0)
    summary: Text
    audience: Audience = "everyone"
    # A refresher is not on the path: certified peer supporters take it for renewal and
    # log its time as continuing education.
    refresher: bool = False
    estimated_minutes: int = Field(default=60, ge=1, le=1000)
    completion: CompletionRule = CompletionRule()


class ModuleFile(_ModuleFields):
    """module.yaml as written: each source is an id from sources.yaml, or (for content
    without a shared bibliography) a full entry."""

    sources: list[Slug | Source] = Field(default_factory=list)


class ModuleMeta(_ModuleFields):
    """A module's metadata with its sources resolved (content/loader.py)."""

    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_sources(self) -> ModuleMeta:
        _unique([s.id for s in self.sources], "source id")
        return self

    @model_validator(mode="after")
    def _refresher_audience(self) -> ModuleMeta:
        if self.refresher and self.audience != "peer_supporters":
            raise ValueError("a refresher module is for peer_supporters (renewal)")
        return self


class LessonFront(Strict):
    id: Slug
    title: Text
    # Optional; when set it must be the module's (content validate checks), so each
    # lesson's wording can be reviewed for the people it addresses.
    audience: Audience | None = None
    minutes: int = Field(ge=1, le=240)
    # Time the exercises take, on top of reading at 200 words a minute; without it, each
    # "## Try it" section counts DEFAULT_EXERCISE_MINUTES (content/lesson_checks.py).
    exercise_minutes: int | None = Field(default=None, ge=0, le=120)
    objectives: list[Text] = Field(min_length=1, max_length=6)
    content_note: Text | None = None
    sources: list[Slug] = Field(default_factory=list)


class Option(Strict):
    id: Slug
    text: Text
    correct: bool
    feedback: Text


# The built-in types. `Question.type` and `QuestionPart.type` take any type registered in
# ITEM_SHAPES: quiz/types registers each of its question types there (a new type is one
# file in quiz/types and its templates), and the shape rules of the built-in types are
# kept here, with the YAML format they belong to.
QuestionType = Literal["single", "multiple", "true_false", "scenario"]
PartType = Literal["single", "multiple", "true_false"]
Scoring = Literal["all_or_nothing", "partial"]
SCENARIO = "scenario"  # a case with parts: each part is an item of a registered type

ShapeCheck = Callable[[list[Option], "Scoring | None"], None]


@dataclass(frozen=True)
class ItemShape:
    """The YAML rules of one question type: `check(options, scoring)` raises ValueError
    with a message for the author; `in_parts`: a scenario's part may have this type."""

    check: ShapeCheck
    in_parts: bool = True


def check_options(kind: str, options: list[Option], scoring: Scoring | None) -> None:
    """The shape rules of the built-in option types (single, multiple, true_false)."""
    _unique([o.id for o in options], "option id")
    correct = sum(o.correct for o in options)
    if kind == "single":
        if not 2 <= len(options) <= 6:
            raise ValueError("a single-choice question needs 2 to 6 options")
        if correct != 1:
            raise ValueError(
                f"a single-choice question needs exactly one correct option, not {correct}"
            )
    elif kind == "multiple":
        if not 2 <= len(options) <= 8:
            raise ValueError("a multiple-choice question needs 2 to 8 options")
        if correct < 1:
            raise ValueError("a multiple-choice question needs at least one correct option")
    elif kind == "true_false":
        if sorted(o.id for o in options) != ["false", "true"]:
            raise ValueError(
                'a true/false question has exactly two options, ids "true" and "false"'
            )
        if correct != 1:
            raise ValueError("a true/false question has exactly one correct option")
    if scoring is not None and kind != "multiple":
        raise ValueError("scoring applies to multiple-choice questions only")


def _builtin(kind: str) -> ShapeCheck:
    return lambda options, scoring: check_options(kind, options, scoring)


ITEM_SHAPES: dict[str, ItemShape] = {
    kind: ItemShape(_builtin(kind)) for kind in ("single", "multiple", "true_false")
}


def register_item_shape(name: str, shape: ItemShape) -> None:
    """Let quiz files use question type `name` (quiz/types registers every type it has)."""
    if name == SCENARIO:
        raise ValueError("scenario is the container of parts, not an item type")
    ITEM_SHAPES[name] = shape


def unregister_item_shape(name: str) -> None:
    ITEM_SHAPES.pop(name, None)


def _item_shape(kind: str, part: bool) -> ItemShape:
    shape = ITEM_SHAPES.get(kind)
    if shape is None or (part and not shape.in_parts):
        known = sorted(k for k, s in ITEM_SHAPES.items() if s.in_parts or not part)
        where = "a scenario part" if part else "a question"
        raise ValueError(f"unknown type {kind!r} for {where}; use one of: "
                         + ", ".join(known + ([] if part else [SCENARIO])))
    return shape


class QuestionPart(Strict):
    id: Slug
    type: str
    prompt: Text
    scoring: Scoring | None = None
    options: list[Option]

    @model_validator(mode="after")
    def _options(self) -> QuestionPart:
        _item_shape(self.type, part=True).check(self.options, self.scoring)
        return self


class Question(Strict):
    id: Slug
    type: str
    # Shown above the question, e.g. "This question describes a colleague thinking about
    # suicide."; required when the text mentions a sensitive topic (content/checks.py).
    # A learner may choose a version of the quiz without the questions that have one.
    content_note: Text | None = None
    scenario: Text | None = None
    prompt: Text
    scoring: Scoring | None = None
    options: list[Option] | None = None
    parts: list[QuestionPart] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type == SCENARIO:
            if self.options is not None:
                raise ValueError("a scenario question has parts, not options")
            if not self.parts or not 2 <= len(self.parts) <= 5:
                raise ValueError("a scenario question needs 2 to 5 parts")
            if not self.scenario:
                raise ValueError("a scenario question needs its scenario text")
            if self.scoring is not None:
                raise ValueError("set scoring on a scenario's parts, not on the scenario")
            _unique([p.id for p in self.parts], "part id")
        else:
            shape = _item_shape(self.type, part=False)
            if self.parts is not None:
                raise ValueError(f"a {self.type} question has options, not parts")
            if self.options is None:
                raise ValueError(f"a {self.type} question needs options")
            shape.check(self.options, self.scoring)
        return self


RubricMark = Literal["competent", "not_yet"]


class RubricCriterion(Strict):
    id: Slug
    criterion: Text  # what the observer looks for
    competent: Text  # what "competent" looks like in this role-play


class RolePlay(Strict):
    """roleplays/<slug>.yaml: a scripted role-play a supervisor observes and marks against
    its rubric, competent or not yet on each criterion."""

    id: Slug
    title: Text
    audience: Audience = "peer_supporters"
    minutes: int = Field(ge=5, le=120)
    content_note: Text | None = None
    setting: Text  # the situation, read by both people
    colleague_brief: Text  # for the person playing the colleague: who they are, what to say
    colleague_lines: list[Text] = Field(min_length=2, max_length=12)  # the script's cues
    supporter_task: Text  # what the trainee is asked to do
    rubric: list[RubricCriterion] = Field(min_length=3, max_length=10)

    @model_validator(mode="after")
    def _criteria(self) -> RolePlay:
        _unique([c.id for c in self.rubric], "criterion id")
        return self


def observation_competent(rubric: list[RubricCriterion], marks: dict[str, RubricMark]) -> bool:
    """A role-play is passed when every criterion of its rubric is marked competent."""
    return all(marks.get(c.id) == "competent" for c in rubric)


ReviewAfterFail = Literal["which_wrong", "none", "full"]


class ReviewOptions(Strict):
    """What the review of a submitted try shows. After a try that did not pass:
    `which_wrong` (default) marks each question right or not and shows the feedback for the
    options the person chose, never the answer key; `none` shows only the score; `full`
    shows everything. After a pass, or once no tries are left, the review is full."""

    after_fail: ReviewAfterFail = "which_wrong"
    after_pass: Literal["full"] = "full"  # noqa: S105 - not a secret


class Quiz(Strict):
    id: Slug
    module: Slug
    title: Text
    pass_mark: int = Field(default=80, ge=1, le=100)
    questions_per_attempt: int = Field(ge=1)
    attempts_allowed: int = Field(default=0, ge=0)  # 0: unlimited
    cooldown_minutes: int = Field(default=0, ge=0)
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600)  # None: untimed
    review: ReviewOptions = ReviewOptions()
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _bank(self) -> Quiz:
        _unique([q.id for q in self.questions], "question id")
        if self.questions_per_attempt > len(self.questions):
            raise ValueError(
                f"questions_per_attempt ({self.questions_per_attempt}) is more than the "
                f"{len(self.questions)} questions in the bank"
            )
        return self


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"{what} {value!r} is used twice")
        seen.add(value)
