"""`lms-plugin content validate` and `lms-plugin content sync`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from .loader import load_content
from .services import content_root, sync_content

content_cli = AppGroup("content", help="Training content: modules/, quizzes/.")


@content_cli.command("validate")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding modules/ and quizzes/ (default: the project's).")
def validate(root: Path | None) -> None:
    """Check every content file; name the file, line and problem of each error."""
    bundle, errors = load_content(root or content_root())
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found; nothing was changed.")
    lessons = sum(len(m.lessons) for m in bundle.modules.values())
    questions = sum(len(q.quiz.questions) for q in bundle.quizzes.values())
    click.echo(f"OK: {len(bundle.modules)} modules, {lessons} lessons, "
               f"{len(bundle.quizzes)} quizzes, {questions} questions.")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
