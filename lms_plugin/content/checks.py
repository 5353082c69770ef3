"""Content notes: a lesson or question whose text mentions a sensitive topic says so first
(`content_note`); `content validate` fails where one is missing. Audience: content for
everyone never addresses the reader as a peer supporter (supervised hours, "your
supervisor"). Pure."""

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


# Wording that only fits the peer-supporter path: an employee who is not a peer supporter
# has no supervisor in this sense and logs no hours.
PEER_SUPPORTER_ONLY = re.compile(
    r"\b(your supervisor|supervised (practice )?hours|(log|logging|logged) your (\w+ )*hours|"
    r"as a peer supporter,? you|your debrief|your peer-support(er)? role)\b",
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
        for question in content.document.questions:
            if not question.content_note:
                errors += _missing_note(
                    f"quizzes/{content.slug}.yaml: question {question.id}",
                    _question_text(question),
                    "This question describes a colleague thinking about suicide.")
    return errors


def _peer_wording(where: str, text: str) -> list[ContentError]:
    found = sorted({m.group(0).lower() for m in PEER_SUPPORTER_ONLY.finditer(text)})
    if not found:
        return []
    return [ContentError(where, None, f"is for everyone but says "
                         f"{', '.join(repr(w) for w in found)}, which only fits peer "
                         "supporters: address any employee, or move it to a "
                         "peer_supporters module")]


def audience_errors(bundle: ContentBundle) -> list[ContentError]:
    """Lessons and quiz items of modules for everyone must address any employee."""
    errors = []
    for module in bundle.modules.values():
        if module.meta.audience != "everyone":
            continue
        for lesson in module.lessons:
            errors += _peer_wording(lesson.path, f"{lesson.meta.title}\n{lesson.body}")
        quiz = bundle.quizzes.get(module.meta.completion.quiz or "")
        if quiz is None:
            continue
        for question in quiz.document.questions:
            errors += _peer_wording(f"quizzes/{quiz.slug}.yaml: question {question.id}",
                                    _question_text(question))
    return errors


def roleplay_note_errors(bundle: ContentBundle) -> list[ContentError]:
    """A role-play script that depicts a sensitive topic carries a content note too."""
    errors = []
    for content in bundle.roleplays.values():
        play = content.document
        if not play.content_note:
            text = "\n".join([play.title, play.setting, play.colleague_brief,
                              *play.colleague_lines, play.supporter_task,
                              *(f"{c.criterion}\n{c.competent}" for c in play.rubric)])
            errors += _missing_note(f"roleplays/{content.slug}.yaml", text,
                                    "This role-play depicts a colleague thinking about suicide.")
    return errors


def audience_lines(bundle: ContentBundle) -> list[str]:
    """The two paths, as `content validate` prints them."""
    def names(audience: str, refresher: bool = False) -> str:
        slugs = [m.slug for m in sorted(bundle.modules.values(), key=lambda m: m.meta.order)
                 if m.meta.audience == audience and m.meta.refresher == refresher]
        return ", ".join(slugs) or "none"
    return [f"path for everyone: {names('everyone')}",
            f"peer-supporter path adds: {names('peer_supporters')}; "
            f"refreshers: {names('peer_supporters', True)}"]
