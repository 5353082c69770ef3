"""The draw of the version without sensitive items (issue 13), without Flask or a
database: only questions without a content note, as many as any try, and what
`content validate` reports about it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms_plugin.content.loader import ContentBundle, QuizContent, load_content
from lms_plugin.content.schema import Option, Question, Quiz
from lms_plugin.quiz.rules import draw_layout, offers_without_notes, without_notes
from lms_plugin.quiz.validity import alternate_report, alternate_warnings, bank_check

ROOT = Path(__file__).parents[3]


def question(i: int, note: bool) -> Question:
    return Question(
        id=f"q{i}", type="single", prompt="?",
        content_note="This question is about someone thinking about suicide." if note else None,
        options=[Option(id="a", text="The key, always the longest", correct=True,
                        feedback="yes"),
                 Option(id="b", text="No", correct=False, feedback="no")])


def noted_bank(clear: int, noted: int, per_attempt: int) -> Quiz:
    questions = [question(i, note=i >= clear) for i in range(clear + noted)]
    random.Random(clear * 31 + noted).shuffle(questions)  # notes anywhere in the bank
    return Quiz(id="quiz", module="quiz", title="Quiz", questions_per_attempt=per_attempt,
                questions=questions)


def noted_ids(quiz: Quiz) -> set[str]:
    return {q.id for q in quiz.questions if q.content_note}


@settings(max_examples=200, deadline=None)
@given(clear=st.integers(1, 12), noted=st.integers(1, 8), data=st.data())
def test_the_draw_without_notes_takes_a_whole_try_of_clear_questions(clear, noted, data):
    per_attempt = data.draw(st.integers(1, clear))
    quiz = noted_bank(clear, noted, per_attempt)
    avoid = set(data.draw(st.lists(st.sampled_from([q.id for q in quiz.questions]))))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    layout = draw_layout(quiz, rng, avoid=avoid, leave_out_notes=True)
    ids = [entry["id"] for entry in layout]
    assert len(ids) == per_attempt == len(set(ids))
    assert not set(ids) & noted_ids(quiz)
    # The last try's questions still come up only when the others run out.
    fresh = {q.id for q in without_notes(quiz)} - avoid
    assert len(set(ids) & fresh) == min(len(fresh), per_attempt)


def test_over_many_draws_every_clear_question_comes_up_and_no_noted_one():
    quiz = noted_bank(clear=15, noted=10, per_attempt=10)
    rng = random.Random()
    seen: set[str] = set()
    for _ in range(300):
        seen |= {entry["id"] for entry in draw_layout(quiz, rng, leave_out_notes=True)}
    assert seen == {q.id for q in without_notes(quiz)}
    whole: set[str] = set()
    for _ in range(300):
        whole |= {entry["id"] for entry in draw_layout(quiz, rng)}
    assert noted_ids(quiz) <= whole  # the usual draw still includes them


def test_a_bank_too_small_for_the_version_does_not_offer_it_and_will_not_draw_it():
    short = noted_bank(clear=3, noted=2, per_attempt=4)
    assert not offers_without_notes(short)
    with pytest.raises(ValueError, match="3 questions without a content note"):
        draw_layout(short, random.Random(), leave_out_notes=True)
    # Nothing to leave out: nothing to offer.
    assert not offers_without_notes(noted_bank(clear=5, noted=0, per_attempt=4))
    assert offers_without_notes(noted_bank(clear=4, noted=1, per_attempt=4))


def test_content_validate_warns_about_a_bank_that_cannot_offer_it():
    [warning] = alternate_warnings(noted_bank(clear=3, noted=2, per_attempt=4))
    assert warning.startswith("quizzes/quiz.yaml: warning: 3 questions have no content note")
    assert "an attempt needs 4" in warning
    assert alternate_warnings(noted_bank(clear=4, noted=2, per_attempt=4)) == []
    assert alternate_report(noted_bank(clear=3, noted=2, per_attempt=4)) is None


def test_content_validate_simulates_tricks_on_the_version_too():
    quiz = noted_bank(clear=6, noted=3, per_attempt=4)  # every key is the longest option
    bundle = ContentBundle(quizzes={"quiz": QuizContent("quiz", quiz, "v1")})
    lines, errors = bank_check(bundle)
    assert any(line.startswith("quiz quiz (without content notes): simulated passes")
               for line in lines)
    assert any("without content notes: test-taking tricks pass too often: longest option "
               "passes 100.0%" in e.message for e in errors)
    report = alternate_report(quiz, attempts=50)
    assert report is not None and report.single_items == 6  # only the clear questions


def test_every_shipped_bank_offers_the_version_and_it_resists_tricks():
    bundle, errors = load_content(ROOT)
    assert not errors
    for slug, content in bundle.quizzes.items():
        quiz = content.document
        assert offers_without_notes(quiz), slug
        report = alternate_report(quiz, attempts=500)
        assert report is not None
        assert max(report.pass_rates.values()) <= 0.02, (slug, report.pass_rates)
