"""`lms-plugin content export` and `content import-gift` (and `import`) from the command
line: a round trip gives the same bank; a bad file changes nothing on disk."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[3]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    (root / "quizzes").mkdir(parents=True)
    for name in ("awareness", "skills"):
        shutil.copy(ROOT / "quizzes" / f"{name}.yaml", root / "quizzes")
    return root


def invoke(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["content", *[str(a) for a in args]])


def questions(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


@pytest.mark.parametrize(("fmt", "command"), [("gift", "import-gift"),
                                              ("moodle-xml", "import"), ("qti", "import")])
def test_export_then_import_gives_the_same_bank(runner: Any, content: Path, tmp_path: Path,
                                                fmt: str, command: str) -> None:
    out = tmp_path / f"out.{ {'gift': 'gift', 'moodle-xml': 'xml', 'qti': 'zip'}[fmt] }"
    result = invoke(runner, "export", "skills", "--format", fmt, "--root", content,
                    "--output", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 25 questions of 'Skills quiz'" in result.output
    result = invoke(runner, command, out, "--quiz", "skills-copy", "--root", content)
    assert result.exit_code == 0, result.output
    copy = content / "quizzes" / "skills-copy.yaml"
    assert questions(copy) == questions(content / "quizzes" / "skills.yaml")
    if fmt == "gift":  # the settings travel in GIFT too
        original = yaml.safe_load((content / "quizzes" / "skills.yaml").read_text())
        imported = yaml.safe_load(copy.read_text())
        assert {**original, "id": "skills-copy"} == imported


def test_gift_to_standard_output(runner: Any, content: Path) -> None:
    result = invoke(runner, "export", "awareness", "--format", "gift", "--root", content,
                    "--output", "-")
    assert result.exit_code == 0, result.output
    assert "// [id:aw-q01]" in result.stdout and "$CATEGORY: $course$/top/Awareness quiz" in (
        result.stdout)


def test_qti_needs_a_file(runner: Any, content: Path) -> None:
    result = invoke(runner, "export", "awareness", "--format", "qti", "--root", content,
                    "--output", "-")
    assert result.exit_code != 0 and "A QTI package is a zip file" in result.output


def test_export_of_a_missing_or_broken_quiz(runner: Any, content: Path, tmp_path: Path) -> None:
    result = invoke(runner, "export", "nowhere", "--format", "gift", "--root", content)
    assert result.exit_code != 0 and "There is no quiz 'nowhere'" in result.output
    broken = content / "quizzes" / "awareness.yaml"
    broken.write_text(broken.read_text().replace("pass_mark: 80", "pass_mark: 800"))
    out = tmp_path / "x.gift"
    result = invoke(runner, "export", "awareness", "--format", "gift", "--root", content,
                    "--output", out)
    assert result.exit_code != 0
    assert "quizzes/awareness.yaml:4: pass_mark: Input should be less than or equal to 100" in (
        result.output)
    assert not out.exists()


BAD_GIFT = """\
::ok::Pick one{=A#yes ~B#no}

::essay::Describe how you listen.{}

::num::What year?{#2024}
"""


def test_malformed_gift_names_the_lines_and_writes_nothing(runner: Any, content: Path,
                                                           tmp_path: Path) -> None:
    source = tmp_path / "bank.gift"
    source.write_text(BAD_GIFT)
    result = invoke(runner, "import-gift", source, "--quiz", "new-quiz", "--root", content)
    assert result.exit_code != 0
    assert f"{source}:3: an essay question (no answers) cannot be represented" in result.output
    assert f"{source}:5: a numerical question cannot be represented" in result.output
    assert "2 problem(s)" in result.output and "nothing was written" in result.output
    assert not (content / "quizzes" / "new-quiz.yaml").exists()
    existing = content / "quizzes" / "awareness.yaml"
    before = existing.read_bytes()
    result = invoke(runner, "import-gift", source, "--quiz", "awareness", "--replace",
                    "--root", content)
    assert result.exit_code != 0 and existing.read_bytes() == before
    assert sorted(p.name for p in (content / "quizzes").iterdir()) == [
        "awareness.yaml", "skills.yaml"]  # no temporary file left behind


def test_an_existing_quiz_is_replaced_only_when_asked(runner: Any, content: Path,
                                                      tmp_path: Path) -> None:
    source = tmp_path / "bank.gift"
    source.write_text("".join(f"::n{i}::Pick {i}{{=A#yes ~B#no}}\n\n" for i in range(12)))
    existing = content / "quizzes" / "awareness.yaml"
    before = existing.read_bytes()
    result = invoke(runner, "import-gift", source, "--quiz", "awareness", "--root", content)
    assert result.exit_code != 0 and "add --replace" in result.output
    assert existing.read_bytes() == before
    result = invoke(runner, "import-gift", source, "--quiz", "awareness", "--replace",
                    "--root", content)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(existing.read_text())
    assert (data["title"], data["attempts_allowed"], data["cooldown_minutes"]) == (
        "Awareness quiz", 3, 30)  # the quiz's own settings stay
    assert [q["id"] for q in data["questions"]] == [f"n{i}" for i in range(12)]


def test_a_bank_too_small_for_the_quiz_is_refused(runner: Any, content: Path,
                                                  tmp_path: Path) -> None:
    source = tmp_path / "bank.gift"
    source.write_text("::one::Pick{=A#yes ~B#no}\n")
    existing = content / "quizzes" / "awareness.yaml"
    before = existing.read_bytes()
    result = invoke(runner, "import-gift", source, "--quiz", "awareness", "--replace",
                    "--root", content)
    assert result.exit_code != 0
    assert "questions_per_attempt (10) is more than the 1 questions in the bank" in result.output
    assert existing.read_bytes() == before


def test_a_sensitive_question_without_a_note_is_written_with_a_warning(
        runner: Any, content: Path, tmp_path: Path) -> None:
    source = tmp_path / "bank.gift"
    source.write_text("::sensitive::A colleague mentions suicide. What do you do first?{"
                      "=Ask them directly and stay with them#Yes. ~Change the subject#No.}\n")
    result = invoke(runner, "import-gift", source, "--quiz", "crisis", "--root", content)
    assert result.exit_code == 0, result.output
    assert "warning: quizzes/crisis.yaml: question sensitive: mentions 'suicide'" in (
        result.output)
    data = yaml.safe_load((content / "quizzes" / "crisis.yaml").read_text())
    assert data["module"] == "crisis" and data["questions_per_attempt"] == 1


@pytest.mark.parametrize(("name", "body", "message"), [
    ("bank.xml", b"<quiz><question", "not well-formed XML"),
    ("bank.zip", b"PK not really", "not a QTI package"),
    ("bank.gift", b"\xff\xfe::q::", "is not UTF-8 text"),
])
def test_unreadable_files_write_nothing(runner: Any, content: Path, tmp_path: Path,
                                        name: str, body: bytes, message: str) -> None:
    source = tmp_path / name
    source.write_bytes(body)
    result = invoke(runner, "import", source, "--quiz", "new-quiz", "--root", content)
    assert result.exit_code != 0 and message in result.output
    assert not (content / "quizzes" / "new-quiz.yaml").exists()
