"""`lms-plugin programme simulate`: rehearse a draft programme before publishing it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .drafts import DraftError, read_draft, rehearse_draft
from .rules import STATUS_LABELS

programme_cli = AppGroup("programme", help="Certification programmes: rehearse a rule change.")


@programme_cli.command("simulate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", type=int, default=None,
              help="Only this organisation's people (default: every organisation).")
def simulate(path: Path, organisation: int | None) -> None:
    """Run the rules of the draft programme at PATH (certifications/<slug>.yaml) over
    everyone's current evidence, and print how many people would change status, by
    move. Prints counts only (names are for an organisation's admins, at
    /admin/programmes/rehearse). Nothing is stored."""
    try:
        draft = read_draft(path.read_bytes(), path.name)
        result = rehearse_draft(draft, organisation)
    except DraftError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException("The draft cannot be rehearsed; nothing was changed.") \
            from None
    click.echo(f"{draft.slug} (draft version {draft.version[:12]}): {result.considered} "
               f"enrolled, {result.moved} would change status.")
    for move in result.moves:
        click.echo(f"  {STATUS_LABELS[move.before]} -> {STATUS_LABELS[move.after]}: "
                   f"{len(move.people)}")
