"""Declaring personal data beside the model: one kind per key, so the export's keys and
erasure's counts cannot silently merge two kinds."""

from __future__ import annotations

import dataclasses

import pytest

import lms_plugin  # noqa: F401 - imports the models, which declare their kinds
from lms_plugin.personal_data import KEEP, REMOVED, declare, declared, kept, yours
from lms_plugin.quiz.models import QuizAllowance
from lms_plugin.training.models import LessonProgress
from lms_plugin.users.models import User


def test_a_second_kind_under_a_taken_key_is_refused():
    before = declared()
    lessons = next(item for item in before if item.key == "lessons_completed")
    with pytest.raises(ValueError, match="lessons_completed"):
        declare(dataclasses.replace(lessons, title="Something else"))
    declare(lessons)  # the very same declaration again changes nothing
    assert declared() == before


def test_the_common_kinds_find_rows_by_their_column():
    person = User(id=7, sub="s", issuer="https://lms.example")
    yours_ = yours("k", LessonProgress, title="t", description="d")
    assert (yours_.links, yours_.on_erasure) == (("user_id",), REMOVED)
    assert str(yours_.where(person).compile(compile_kwargs={"literal_binds": True})) == (
        "lesson_progress.user_id = 7")
    kept_ = kept("k", QuizAllowance, title="t", description="d", column="granted_by_id")
    assert (kept_.links, kept_.erasure) == (("granted_by_id",), KEEP)
    assert str(kept_.where(person).compile(compile_kwargs={"literal_binds": True})) == (
        "quiz_allowance.granted_by_id = 7")
