"""Lesson checks run by `lms-plugin content validate` on top of the schema. Pure.

- Reading level: the Flesch-Kincaid grade of each lesson's text (Markdown stripped,
  computed by textstat) is at most MAX_GRADE.
- Honest time: a lesson's `minutes` is within TIME_TOLERANCE of its words read at
  WORDS_PER_MINUTE plus its exercise time; a module's `estimated_minutes` is within the
  same tolerance of its lessons' minutes.
- Citations: every [@id] in a lesson names a source its module lists (each one an entry of
  the shared bibliography, modules/sources.yaml, which the loader checks); a module source
  no lesson cites or lists, and a bibliography entry no module lists, are warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import textstat
from markdown_it import MarkdownIt

from .loader import BIBLIOGRAPHY, ContentBundle, ContentError, Lesson, Module
from .render import CITATION, cited_ids

MAX_GRADE = 9.0
WORDS_PER_MINUTE = 200
DEFAULT_EXERCISE_MINUTES = 5  # per "## Try it" section, when exercise_minutes is not set
TIME_TOLERANCE = 0.25
SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)]*$")
WORD = re.compile(r"[A-Za-z0-9\u2019'-]+")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")


def plain_text(markdown: str) -> str:
    """The words a learner reads: each paragraph, heading, list item and table cell as one
    sentence (a full stop added where the text has none, so a list is not read as one long
    sentence), without Markdown, links' addresses or citations."""
    sentences = []
    for token in _parser().parse(re.sub(r"\s*" + CITATION.pattern, "", markdown)):
        if token.type != "inline":
            continue
        text = "".join(child.content if child.type in ("text", "code_inline") else " "
                       for child in token.children or []
                       if child.type in ("text", "code_inline", "softbreak", "hardbreak"))
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            sentences.append(text if SENTENCE_END.search(text) else text + ".")
    return "\n".join(sentences)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of plain text (textstat, pinned: see pyproject)."""
    return float(textstat.flesch_kincaid_grade(text))


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def exercise_minutes(lesson: Lesson) -> int:
    if lesson.meta.exercise_minutes is not None:
        return lesson.meta.exercise_minutes
    return DEFAULT_EXERCISE_MINUTES * lesson.body.count("## Try it")


@dataclass(frozen=True)
class LessonReport:
    path: str
    grade: float
    words: int
    exercise: int
    declared: int

    @property
    def estimate(self) -> float:
        return self.words / WORDS_PER_MINUTE + self.exercise

    def line(self) -> str:
        return (f"{self.path}: grade {self.grade:.1f}, {self.words} words, "
                f"{self.words / WORDS_PER_MINUTE:.1f} min reading + {self.exercise} min "
                f"exercises = {self.estimate:.1f} min (declared {self.declared})")


def lesson_report(lesson: Lesson) -> LessonReport:
    text = plain_text(lesson.body)
    return LessonReport(lesson.path, reading_grade(text), word_count(text),
                        exercise_minutes(lesson), lesson.meta.minutes)


def lesson_reports(bundle: ContentBundle) -> list[LessonReport]:
    return [lesson_report(lesson) for module in bundle.modules.values()
            for lesson in module.lessons]


def _off(declared: float, estimate: float) -> bool:
    return abs(declared - estimate) > TIME_TOLERANCE * estimate


def readability_errors(reports: list[LessonReport]) -> list[ContentError]:
    return [ContentError(r.path, None, f"reads at grade {r.grade:.1f}, above grade "
                         f"{MAX_GRADE:g}: use shorter sentences and plainer words")
            for r in reports if r.grade > MAX_GRADE]


def time_errors(bundle: ContentBundle, reports: list[LessonReport]) -> list[ContentError]:
    errors = [ContentError(r.path, None, f"minutes: {r.declared} is more than "
                           f"{TIME_TOLERANCE:.0%} away from the estimate of "
                           f"{r.estimate:.1f} ({r.words} words at {WORDS_PER_MINUTE} a "
                           f"minute + {r.exercise} min of exercises; set minutes, or "
                           "exercise_minutes if the exercises take longer)")
              for r in reports if _off(r.declared, r.estimate)]
    for module in bundle.modules.values():
        total = sum(lesson.meta.minutes for lesson in module.lessons)
        if module.lessons and _off(module.meta.estimated_minutes, total):
            errors.append(ContentError(
                f"modules/{module.slug}/module.yaml", None,
                f"estimated_minutes: {module.meta.estimated_minutes} is more than "
                f"{TIME_TOLERANCE:.0%} away from its lessons' {total} minutes"))
    return errors


def _module_citations(module: Module) -> tuple[list[ContentError], list[ContentError]]:
    known = {s.id for s in module.meta.sources}
    errors, used = [], set()
    for lesson in module.lessons:
        for sid in cited_ids(lesson.body):
            used.add(sid)
            if sid not in known:
                errors.append(ContentError(
                    lesson.path, None, f"cites [@{sid}], which modules/{module.slug}/"
                    "module.yaml does not list under sources"))
        used.update(lesson.meta.sources)
    warnings = [ContentError(f"modules/{module.slug}/module.yaml", None,
                             f"warning: source {sid!r} is not cited or listed by any lesson")
                for sid in sorted(known - used)]
    return errors, warnings


def citation_problems(bundle: ContentBundle) -> tuple[list[ContentError], list[ContentError]]:
    """(errors, warnings): citations of unknown sources; sources nothing uses."""
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    listed: set[str] = set()
    for module in bundle.modules.values():
        module_errors, module_warnings = _module_citations(module)
        errors += module_errors
        warnings += module_warnings
        listed.update(s.id for s in module.meta.sources)
    warnings += [ContentError(BIBLIOGRAPHY, None, f"warning: source {sid!r} is listed by no "
                              "module") for sid in sorted(set(bundle.bibliography) - listed)]
    return errors, warnings
