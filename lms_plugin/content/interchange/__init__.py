"""Quiz banks that travel: GIFT import (and Moodle XML, QTI back from our own exports),
export to Moodle XML, QTI 1.2 for Canvas Classic Quizzes, and GIFT. Pure: no Flask, no
database. The CLI is `lms-plugin content import-gift` and `content export`
(content/cli.py); docs/content-format.md says what travels and how."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ..schema import Quiz
from .gift import write_gift
from .items import CannotExport, warnings
from .moodle_xml import write_moodle_xml
from .qti import write_qti_zip

__all__ = ["EXPORTS", "CannotExport", "dump_quiz", "export", "warnings"]

# format name -> (writer, file suffix, platform named in warnings)
EXPORTS: dict[str, tuple[Callable[[Quiz], bytes], str, str]] = {
    "gift": (lambda quiz: write_gift(quiz).encode("utf-8"), ".gift", "Moodle"),
    "moodle-xml": (write_moodle_xml, ".moodle.xml", "Moodle"),
    "qti": (write_qti_zip, "-qti.zip", "Canvas"),
}


def export(quiz: Quiz, fmt: str) -> bytes:
    return EXPORTS[fmt][0](quiz)


def dump_quiz(quiz: Quiz) -> str:
    """The quiz as a quizzes/<slug>.yaml file: settings first, then the bank; fields
    that are not set are left out, as in the shipped files."""
    data: dict[str, Any] = quiz.model_dump(mode="json", exclude_none=True,
                                           exclude={"questions"})
    if quiz.review == Quiz.model_fields["review"].default:
        data.pop("review")
    data["questions"] = [q.model_dump(mode="json", exclude_none=True) for q in quiz.questions]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
