"""Content notes: a lesson or question whose text mentions a sensitive topic says so first
(`content_note`); `content validate` fails where one is missing. Pure."""

from __future__ import annotations

import re

from .loader import ContentBundle, ContentError
from .schema import Question, QuestionPart

SENSITIVE = re.compile(
    r"\b(suicid\w*|self[- ]harm\w*|kill(s|ed|ing)?|died|dies|dying|death|dead(?!-)|"
    r"(end|ending|ended|take|taking|took) (my|his|her|their|your) (own )?life|"
    r"overdos\w*|abus\w*|assault\w*|violen\w*|traum\w*|ptsd|eating disorders?|rape\w*|"
    r"murder\w*|bereave\w*)\b",
    re.IGNORECASE,
)


def sensitive_words(text: str) -> list[str]:
    """The sensitive-topic words in `text`, lower case, each once, in order of appearance."""
    found: list[str] = []
    for match in SENSITIVE.finditer(text):
        word = match.group(0).lower()
        if word not in found:
            found.append(word)
    return found


def _question_text(question: Question) -> str:
    texts = [question.scenario or "", question.prompt]
    items: list[Question | QuestionPart] = list(question.parts) if question.parts else [question]
    for item in items:
        texts.append(item.prompt)
        for option in item.options or []:
            texts += [option.text, option.feedback]
    return "\n".join(texts)


def _missing_note(where: str, text: str, example: str) -> list[ContentError]:
    words = sensitive_words(text)
    if not words:
        return []
    return [ContentError(where, None, f"mentions {', '.join(repr(w) for w in words)} but has "
                         f"no content_note saying what it describes (for example \"{example}\")")]


def content_note_errors(bundle: ContentBundle) -> list[ContentError]:
    errors = []
    for module in bundle.modules.values():
        for lesson in module.lessons:
            if not lesson.meta.content_note:
                errors += _missing_note(lesson.path, f"{lesson.meta.title}\n{lesson.body}",
                                        "This lesson talks about suicide.")
    for content in bundle.quizzes.values():
        for question in content.quiz.questions:
            if not question.content_note:
                errors += _missing_note(
                    f"quizzes/{content.slug}.yaml: question {question.id}",
                    _question_text(question),
                    "This question describes a colleague thinking about suicide.")
    return errors
