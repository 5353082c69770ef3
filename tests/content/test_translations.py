"""Translated content: `modules/<m>/lessons/<lang>/<the English file name>` and
`quizzes/<lang>/<quiz>.yaml`. `content validate` holds a translation to the English:
the same lesson files with the same ids, the same question, part and option ids. The
fixture translation is tests/content/translation, laid over the sample content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms_plugin.content.loader import load_content
from tests.conftest import SAMPLE_CONTENT, translated_sample

LESSONS = "modules/listening/lessons"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return translated_sample(tmp_path / "content")


def validate(runner, root: Path):
    return runner.invoke(args=["content", "validate", "--root", str(root)])


def test_the_translation_loads_beside_the_english(runner, root):
    result = validate(runner, root)
    assert result.exit_code == 0, result.output
    assert "Translated modules: listening (es)." in result.output
    bundle, errors = load_content(root)
    assert errors == []
    module = bundle.modules["listening"]
    assert [ls.meta.title for ls in module.lessons] == ["Open questions", "Reflections"]
    spanish = module.localized("es")
    assert [ls.meta.title for ls in spanish.lessons] == ["Preguntas abiertas", "Reflejos"]
    assert [ls.meta.id for ls in spanish.lessons] == [ls.meta.id for ls in module.lessons]
    assert module.localized("fr") is module  # no translation: English
    assert load_content(SAMPLE_CONTENT)[0].modules["listening"].translations == {}


def test_a_translation_missing_a_lesson_is_refused(runner, root):
    (root / LESSONS / "es" / "02-reflections.md").unlink()
    result = validate(runner, root)
    assert result.exit_code != 0
    assert (f"{LESSONS}/es: the 'es' translation has no 02-reflections.md: translate every "
            "lesson of the module") in result.output, result.output


def test_a_translated_lesson_without_an_english_one_is_refused(runner, root):
    shutil.copy(root / LESSONS / "es" / "02-reflections.md", root / LESSONS / "es" / "03-x.md")
    result = validate(runner, root)
    assert result.exit_code != 0
    assert (f"{LESSONS}/es/03-x.md: there is no English lesson {LESSONS}/03-x.md to "
            "translate") in result.output, result.output


def test_a_translated_lesson_keeps_the_english_id(runner, root):
    lesson = root / LESSONS / "es" / "01-open-questions.md"
    lesson.write_text(lesson.read_text().replace("id: listening-open-questions",
                                                 "id: preguntas-abiertas"))
    result = validate(runner, root)
    assert result.exit_code != 0
    assert ("lesson id 'preguntas-abiertas' must be the English lesson's, "
            "'listening-open-questions'") in result.output, result.output


def test_a_translation_folder_is_a_language_code(runner, root):
    shutil.copytree(root / LESSONS / "es", root / LESSONS / "spanish")
    result = validate(runner, root)
    assert result.exit_code != 0
    assert f"{LESSONS}/spanish: a translation's folder is a two-letter language code" in (
        result.output)


def test_a_quiz_translation_with_other_question_ids_is_refused(runner, root):
    quiz = root / "quizzes" / "es" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("id: q-signs", "id: q-senales"))
    result = validate(runner, root)
    assert result.exit_code != 0
    assert ("quizzes/es/listening.yaml: the questions must be the English quiz's, with the "
            "same ids in the same order: q-open, q-signs, q-tf, q-case") in result.output, (
        result.output)


def test_a_quiz_translation_with_other_option_ids_is_refused(runner, root):
    quiz = root / "quizzes" / "es" / "listening.yaml"
    text = quiz.read_text()
    start = text.index("id: q-case")
    quiz.write_text(text[:start] + text[start:].replace("{id: b,", "{id: x,", 1))
    result = validate(runner, root)
    assert result.exit_code != 0
    assert ("quizzes/es/listening.yaml: question 'q-case': the option and part ids must be "
            "the English quiz's, p1, p1.a, p1.b, p1.c, p2, p2.true, p2.false") in (
        result.output), result.output


def test_a_quiz_translation_of_no_quiz_is_refused(runner, root):
    shutil.copy(root / "quizzes" / "es" / "listening.yaml", root / "quizzes" / "es" / "x.yaml")
    result = validate(runner, root)
    assert result.exit_code != 0
    assert "quizzes/es/x.yaml" in result.output
