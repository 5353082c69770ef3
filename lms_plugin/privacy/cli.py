"""`lms-plugin retention purge`: apply the retention periods (run it daily from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .services import purge, retention_policy

retention = AppGroup("retention", help="Retention periods for personal data.")


@retention.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Remove attempt answers, reflections and audit events past their retention period."""
    policy = retention_policy()
    counts = purge(dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"retention: attempt answers after {policy.attempt_details_days} days, "
               f"reflections after {policy.reflections_days} days, audit events after "
               f"{policy.audit_days} days")
    for name, n in counts.items():
        click.echo(f"  {verb} {n} {name}")
