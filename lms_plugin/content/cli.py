"""`lms-plugin content validate` and `lms-plugin content sync`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .checks import (
    audience_errors,
    audience_lines,
    content_note_errors,
    roleplay_note_errors,
)
from .lesson_checks import citation_problems, lesson_reports, readability_errors, time_errors
from .loader import ContentBundle, ContentError, load_content
from .models import ContentVersion
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
    questions = sum(len(q.quiz.questions) for q in bundle.quizzes.values())
    click.echo(f"OK: {len(bundle.modules)} modules, {len(lessons)} lessons, "
               f"{len(bundle.quizzes)} quizzes, {questions} questions, "
               f"{len(bundle.roleplays)} role-plays, {len(bundle.bibliography)} sources.")


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
