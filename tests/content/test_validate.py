"""`lms-plugin content validate` on the shipped content and on broken files: each message
names the file, the line where it can, and what is wrong. A broken sync changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from lms_plugin.content.loader import load_content
from lms_plugin.content.models import ContentVersion
from lms_plugin.extensions import db
from tests.conftest import SAMPLE_CONTENT

ROOT = Path(__file__).parents[2]
QUIZ = "quizzes/listening.yaml"
MODULE = "modules/listening/module.yaml"
LESSON = "modules/listening/lessons/01-open-questions.md"


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        file = root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))
    return apply


def write(path: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / path).write_text(text)


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "unknown key": (edit(MODULE, "order: 1", "order: 1\ncolour: blue"),
                    f"{MODULE}:3: colour: Extra inputs are not permitted"),
    "two correct answers to a single-choice question": (
        edit(QUIZ, 'text: "Are you OK?", correct: false', 'text: "Are you OK?", correct: true'),
        f"{QUIZ}:9: questions[0]: a single-choice question needs exactly one correct option, "
        "not 2"),
    "true/false with other ids": (
        edit(QUIZ, '{id: "true", text: "True", correct: false, feedback: "Research',
             '{id: "yes", text: "True", correct: false, feedback: "Research'),
        'questions[2]: a true/false question has exactly two options, ids "true" and "false"'),
    "option without feedback": (
        edit(QUIZ, ', feedback: "This leads them to one answer."', ""),
        f"{QUIZ}:16: questions[0].options[2].feedback: Field required"),
    "bad id": (edit(QUIZ, "id: q-signs", "id: Q Signs"),
               f"{QUIZ}:17: questions[1].id: String should match pattern"),
    "more questions per attempt than the bank holds": (
        edit(QUIZ, "questions_per_attempt: 4", "questions_per_attempt: 9"),
        "questions_per_attempt (9) is more than the 4 questions in the bank"),
    "quiz for a module that does not exist": (
        edit(QUIZ, "module: listening", "module: nowhere"), "module 'nowhere' does not exist"),
    "YAML that does not parse": (
        edit(QUIZ, "pass_mark: 80", "pass_mark: [80"), f"{QUIZ}:"),
    "lesson without front matter": (
        write(LESSON, "Just text.\n\n## Try it\n\nSomething."),
        f"{LESSON}:1: a lesson starts with YAML front matter"),
    "lesson front matter error, with its line": (
        edit(LESSON, "minutes: 5", "minutes: none"),
        f"{LESSON}:4: minutes: Input should be a valid integer"),
    "lesson without a try-it exercise": (edit(LESSON, "## Try it", "## Practise"),
                                         '"## Try it" exercise'),
    "lesson citing an unknown source": (edit(LESSON, "sources: [who-pfa-2011]", "sources: [nope]"),
                                        "source 'nope' is not listed in module.yaml"),
    "two lessons with one number": (
        lambda root: shutil.copy(root / LESSON,
                                 root / "modules/listening/lessons/01-copy.md"),
        "two lessons are numbered 01"),
    "duplicate lesson id": (
        lambda root: shutil.copy(root / LESSON,
                                 root / "modules/listening/lessons/03-copy.md"),
        "lesson id 'listening-open-questions' is also used by"),
    "badly named lesson file": (
        lambda root: shutil.copy(root / LESSON, root / "modules/listening/lessons/three.md"),
        "lesson files are named NN-<slug>.md"),
    "completion quiz missing": (
        lambda root: (root / QUIZ).unlink(),
        "completion.quiz 'listening' has no quizzes/listening.yaml"),
}


@pytest.fixture
def broken_root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    return root


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_broken_file_is_named_with_what_is_wrong(broken_root, runner, case):
    breaker, expected = BROKEN[case]
    breaker(broken_root)
    result = runner.invoke(args=["content", "validate", "--root", str(broken_root)])
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert "nothing was changed" in result.output


def test_sample_content_is_valid(runner):
    result = runner.invoke(args=["content", "validate", "--root", str(SAMPLE_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "1 modules, 2 lessons, 1 quizzes, 4 questions" in result.output


def test_shipped_content_is_valid(runner):
    result = runner.invoke(args=["content", "validate", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output


def test_shipped_content_meets_the_programme_brief():
    bundle, errors = load_content(ROOT)
    assert not errors
    assert {"awareness", "skills", "boundaries"} <= set(bundle.modules)
    for slug in ("awareness", "skills", "boundaries"):
        module = bundle.modules[slug]
        words = sum(len(lesson.body.split()) for lesson in module.lessons)
        assert len(module.lessons) >= 5, slug
        assert words >= 2200, (slug, words)
        assert module.meta.sources, slug
        quiz = bundle.quizzes[slug].quiz
        assert len(quiz.questions) >= 15, slug
        kinds = {q.type for q in quiz.questions}
        assert kinds == {"single", "multiple", "true_false", "scenario"}, (slug, kinds)
        scenario_based = sum(1 for q in quiz.questions if q.scenario)
        assert scenario_based > len(quiz.questions) / 2, (slug, scenario_based)
        for lesson in module.lessons:
            mentions = "suicid" in lesson.body.lower()
            assert not mentions or lesson.meta.content_note, (lesson.path, "needs a content note")
            assert "committed suicide" not in lesson.body.lower(), lesson.path


def test_broken_sync_keeps_the_last_good_version_serving(app, runner, broken_root):
    ok = runner.invoke(args=["content", "sync", "--root", str(SAMPLE_CONTENT)])
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        before = {(v.kind, v.slug, v.version) for v in db.session.scalars(
            select(ContentVersion).where(ContentVersion.is_current))}
    BROKEN["two correct answers to a single-choice question"][0](broken_root)
    result = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert result.exit_code != 0
    assert "the version already live keeps serving" in result.output
    with app.app_context():
        after = {(v.kind, v.slug, v.version) for v in db.session.scalars(
            select(ContentVersion).where(ContentVersion.is_current))}
    assert after == before and len(before) == 3


def test_sync_records_a_new_version_only_when_content_changes(app, runner, broken_root):
    assert runner.invoke(args=["content", "sync", "--root", str(broken_root)]).exit_code == 0
    again = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert "3 unchanged" in again.output
    edit(QUIZ, "title: \"Listening quiz\"", "title: \"Listening check\"")(broken_root)
    changed = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert "now serving quiz listening" in changed.output
    with app.app_context():
        versions = db.session.scalars(
            select(ContentVersion).where(ContentVersion.slug == "listening",
                                         ContentVersion.kind == "quiz")).all()
        assert len(versions) == 2 and sum(v.is_current for v in versions) == 1
