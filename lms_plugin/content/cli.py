"""`lms-plugin content validate`, `sync`, `import-gift` (and `import`) and `export`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .checks import (
    audience_errors,
    audience_lines,
    content_note_errors,
    roleplay_note_errors,
)
from .interchange import EXPORTS, CannotExport, dump_quiz, export, warnings
from .interchange.gift import GiftFormatError, quiz_from_gift, read_gift
from .interchange.moodle_xml import read_moodle_xml
from .interchange.qti import read_qti_zip
from .lesson_checks import citation_problems, lesson_reports, readability_errors, time_errors
from .loader import SLUG, ContentBundle, ContentError, QuizContent, load_content
from .models import ContentVersion
from .schema import Quiz
from .services import content_root, sync_content

content_cli = AppGroup("content", help="Training content: modules/, quizzes/.")
CHECKS = "lms_plugin.content_checks"
Check = Callable[[ContentBundle], tuple[list[str], list[ContentError]]]


def register_check(app: Flask, check: Check) -> None:
    """A quality check `content validate` runs too: `check(bundle)` returns the lines to
    print and the errors found (quiz registers its bank-validity simulation)."""
    app.extensions.setdefault(CHECKS, []).append(check)


@content_cli.command("validate")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding modules/ and quizzes/ (default: LMS_PLUGIN_CONTENT_DIR, "
              "else the content shipped with the tool).")
def validate(root: Path | None) -> None:
    """Check every content file; name the file, line and problem of each error. Then the
    quality checks: content notes where the text mentions a sensitive topic; per lesson,
    reading grade, honest minutes and citations; and, per quiz, how often test-taking
    tricks pass simulated attempts (the figures are printed)."""
    bundle, errors = load_content(root or content_root())
    lessons = lesson_reports(bundle)
    for lesson in lessons:
        click.echo(lesson.line())
    for check in current_app.extensions.get(CHECKS, []):  # registered by features (quiz)
        lines, found = check(bundle)
        for line in lines:
            click.echo(line)
        errors += found
    for line in audience_lines(bundle):
        click.echo(line)
    cited, unused = citation_problems(bundle)
    for warning in unused:
        click.echo(str(warning), err=True)
    errors += (content_note_errors(bundle) + audience_errors(bundle)
               + roleplay_note_errors(bundle) + readability_errors(lessons)
               + time_errors(bundle, lessons) + cited)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found; nothing was changed.")
    questions = sum(len(q.document.questions) for q in bundle.quizzes.values())
    click.echo(f"OK: {len(bundle.modules)} modules, {len(lessons)} lessons, "
               f"{len(bundle.quizzes)} quizzes, {questions} questions, "
               f"{len(bundle.roleplays)} role-plays, {len(bundle.bibliography)} sources.")
    translated = sorted(f"{module.slug} ({language})" for module in bundle.modules.values()
                        for language in module.translations)
    if translated:
        click.echo(f"Translated modules: {', '.join(translated)}.")


@content_cli.command("sync")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path))
def sync(root: Path | None) -> None:
    """Load content into the database, recording a version per module and quiz."""
    report = sync_content(root)
    if not report.ok:
        db.session.rollback()
        for error in report.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(
            "Content has errors; the version already live keeps serving."
        )
    db.session.commit()
    for line in report.added:
        click.echo(f"now serving {line}")
    for line in report.retired:
        click.echo(f"retired {line}")
    click.echo(f"{len(report.unchanged)} unchanged.")


ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding quizzes/ (default: LMS_PLUGIN_CONTENT_DIR, else the content shipped "
    "with the tool).")
IMPORT_FORMATS = {".gift": "gift", ".txt": "gift", ".xml": "moodle-xml", ".zip": "qti"}


@content_cli.command("export")
@click.argument("quiz")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTS)), required=True,
              help="gift or moodle-xml: Moodle's question bank import; qti: Canvas's "
              "\"QTI .zip file\" course import (Classic Quizzes).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: QUIZ.gift, QUIZ.moodle.xml or QUIZ-qti.zip in "
              "the current folder; - for standard output, except qti).")
@ROOT_OPTION
def export_command(quiz: str, fmt: str, output: Path | None, root: Path | None) -> None:
    """Write quiz QUIZ's bank for Moodle or Canvas. Ids, content notes and scenario parts
    travel along (docs/content-format.md, "Quiz banks in Moodle and Canvas")."""
    folder = root or content_root()
    path = folder / "quizzes" / f"{quiz}.yaml"
    if not path.is_file():
        raise click.ClickException(f"There is no quiz {quiz!r} ({path} does not exist).")
    bundle, errors = load_content(folder)
    if quiz not in bundle.quizzes:  # it is there when its own schema passed
        for error in errors:
            if error.path == f"quizzes/{quiz}.yaml":
                click.echo(str(error), err=True)
        raise click.ClickException(f"quizzes/{quiz}.yaml has errors; nothing was exported.")
    bank = bundle.quizzes[quiz].document
    try:
        data = export(bank, fmt)
    except CannotExport as exc:
        raise click.ClickException(f"{exc}. Nothing was exported.") from None
    platform = EXPORTS[fmt][2]
    for warning in warnings(bank, platform):
        click.echo(f"warning: {warning}", err=True)
    if output is not None and str(output) == "-":
        if fmt == "qti":
            raise click.ClickException("A QTI package is a zip file: give --output FILE.")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = output or Path(f"{quiz}{EXPORTS[fmt][1]}")
    _write_atomically(target, data)
    click.echo(f"Wrote {target}: {len(bank.questions)} questions of {bank.title!r} for "
               f"{platform}.", err=True)


@content_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiz", "slug", required=True, help="The quiz to write: quizzes/SLUG.yaml.")
@click.option("--replace", is_flag=True,
              help="Replace the questions of an existing quiz (its settings are kept).")
@ROOT_OPTION
def import_gift(file: Path, slug: str, replace: bool, root: Path | None) -> None:
    """Read a Moodle GIFT file (single and multiple choice, true/false, with feedback) into
    quizzes/SLUG.yaml. Anything our banks cannot hold is refused with its line, and then
    nothing is written."""
    _import(file, "gift", slug, replace, root)


@content_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiz", "slug", required=True, help="The quiz to write: quizzes/SLUG.yaml.")
@click.option("--format", "fmt", type=click.Choice(["gift", "moodle-xml", "qti"]),
              help="Default: from the file name (.gift/.txt, .xml, .zip).")
@click.option("--replace", is_flag=True,
              help="Replace the questions of an existing quiz (its settings are kept).")
@ROOT_OPTION
def import_command(file: Path, slug: str, fmt: str | None, replace: bool,
                   root: Path | None) -> None:
    """Read a bank exported by `content export` (or written in the same way) into
    quizzes/SLUG.yaml; as import-gift, for the three formats."""
    fmt = fmt or IMPORT_FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise click.ClickException("Say which format with --format (gift, moodle-xml, qti).")
    _import(file, fmt, slug, replace, root)


def _import(file: Path, fmt: str, slug: str, replace: bool, root: Path | None) -> None:
    if not SLUG.match(slug):
        raise click.ClickException(f"--quiz {slug!r}: a quiz id is lower-case letters, digits "
                                   "and hyphens.")
    target = (root or content_root()) / "quizzes" / f"{slug}.yaml"
    settings = _existing_settings(target, replace)
    quiz = _read_bank(file, fmt, slug, settings)
    for error in content_note_errors(ContentBundle(quizzes={slug: QuizContent(slug, quiz, "")})):
        click.echo(f"warning: {error}", err=True)
    _write_atomically(target, dump_quiz(quiz).encode("utf-8"))
    click.echo(f"Wrote {target}: {len(quiz.questions)} questions. Run `lms-plugin content "
               "validate` to check it with the rest of the content.")


def _existing_settings(target: Path, replace: bool) -> dict[str, Any] | None:
    if not target.exists():
        return None
    if not replace:
        raise click.ClickException(f"{target} exists: add --replace to replace its questions "
                                   "(its settings are kept). Nothing was written.")
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{target} is not valid YAML ({exc}); nothing was "
                                   "written.") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{target} is not a quiz; nothing was written.")
    return {k: v for k, v in data.items() if k != "questions"}


def _read_bank(file: Path, fmt: str, slug: str, settings: dict[str, Any] | None) -> Quiz:
    try:
        if fmt == "gift":
            try:
                text = file.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise click.ClickException(f"{file} is not UTF-8 text ({exc.reason} at byte "
                                           f"{exc.start}); nothing was written.") from None
            try:
                bank = read_gift(text, slug)
            except GiftFormatError as exc:
                for error in exc.errors:
                    click.echo(f"{file}:{error.line}: {error.message}", err=True)
                raise click.ClickException(f"{len(exc.errors)} problem(s) in {file}; nothing "
                                           "was written.") from None
            return quiz_from_gift(bank, slug, settings)
        if fmt == "moodle-xml":
            questions = read_moodle_xml(file.read_bytes())
            title = None
        else:
            title, questions = read_qti_zip(file.read_bytes())
        chosen = {"module": slug, "title": title or f"{slug} quiz",
                  "questions_per_attempt": min(10, len(questions)), **(settings or {})}
        return Quiz.model_validate({**chosen, "id": slug, "questions": questions})
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            click.echo(f"{file}: {where}: {err['msg'].removeprefix('Value error, ')}", err=True)
        raise click.ClickException(f"The bank in {file} is not a valid quiz; nothing was "
                                   "written.") from None
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{file}: {exc}; nothing was written.") from None


def _write_atomically(target: Path, data: bytes) -> None:
    """All of the file or none of it: a temporary file beside it, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def content_ever_loaded() -> bool:
    """Has any content been synced into this database (even if since retired)?"""
    return db.session.scalar(select(ContentVersion.id).limit(1)) is not None


def sync_if_nothing_loaded(echo: Callable[[str], None]) -> bool:
    """On a database that has never had content, load it: the content shipped with the
    tool, or LMS_PLUGIN_CONTENT_DIR's. A database that has content is left as it is (the
    operator's `content sync` is the way to change it). False when nothing could be
    loaded: errors in the content, or no content in the folder."""
    if content_ever_loaded():
        echo("Training content is already loaded; left as it is "
             "(`lms-plugin content sync` loads changed content).")
        return True
    root = content_root()
    report = sync_content(root)
    if not report.ok:
        db.session.rollback()
        for error in report.errors:
            echo(str(error))
        echo(f"The training content in {root} has {len(report.errors)} problem(s); none of "
             "it was loaded. Fix them, then run `lms-plugin content sync`.")
        return False
    if not report.added:
        db.session.rollback()
        echo(f"No training content was found in {root} (modules/ and quizzes/ are read "
             "from there); none was loaded. Check LMS_PLUGIN_CONTENT_DIR, then run "
             "`lms-plugin content sync`.")
        return False
    try:
        db.session.commit()
    except IntegrityError:
        # Another process (a second host starting up) loaded the same content first.
        db.session.rollback()
        if content_ever_loaded():
            echo("Training content was loaded by another process at the same time.")
            return True
        raise
    echo(f"Loaded the training content from {root}: {_summary(report.added)}.")
    return True


def _summary(added: list[str]) -> str:
    """"module awareness 2dc8..." lines as "3 modules (awareness, ...), 3 quizzes (...)"."""
    names = {"module": "modules", "quiz": "quizzes", "programme": "certification programmes",
             "roleplay": "role-plays"}
    by_kind: dict[str, list[str]] = {}
    for line in added:
        kind, slug = line.split()[:2]
        by_kind.setdefault(kind, []).append(slug)
    return ", ".join(f"{len(slugs)} {names.get(kind, kind)} ({', '.join(slugs)})"
                     for kind, slugs in by_kind.items())


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
