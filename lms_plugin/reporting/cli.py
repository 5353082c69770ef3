"""`lms-plugin reports rebuild`: count the maintained report counts again from scratch
(`maintained.rebuild`), for an operator who suspects they drifted (a restore of some
tables, a trigger dropped by hand). `reports check` compares them with the one pass."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..users.models import Organisation
from .maintained import rebuild
from .services import counts_agree

reports = AppGroup("reports", help="The dashboard's maintained counts.")


@reports.command("rebuild")
def rebuild_command() -> None:
    """Recount every learner's share of the dashboard's counts."""
    start = time.perf_counter()
    people = rebuild()
    db.session.commit()
    click.echo(f"reports: recounted {people} people in {time.perf_counter() - start:.1f}s")


@reports.command("check")
def check_command() -> None:
    """Compare the maintained counts with a count from scratch (exit status 1 if not)."""
    wrong = [organisation for organisation in db.session.scalars(select(Organisation.id))
             if not counts_agree(organisation)]
    db.session.commit()
    if wrong:
        raise click.ClickException(f"maintained counts differ for organisations {wrong}: "
                                   "run `lms-plugin reports rebuild`")
    click.echo("reports: the maintained counts agree with a count from scratch")
