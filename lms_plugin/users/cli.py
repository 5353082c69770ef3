"""`lms-plugin admin create`: a local L&D admin account, bound to one organisation, or an
operator of the tool (who may choose the organisation to act in)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

admin_cli = AppGroup("admin", help="Local admin accounts (for admins not in the LMS).")


@admin_cli.command("create")
@click.option("--organisation", "organisation_id", type=int,
              help="The organisation whose programme the admin runs: its number in "
                   "`lms-plugin platform list`.")
@click.option("--issuer", help="Instead of --organisation: the LMS issuer, when one "
              "organisation alone uses it (not for Canvas cloud, shared by every school).")
@click.option("--operator", is_flag=True, help="An operator of the tool: may act in any "
              "organisation. Give this to the people who run the tool, not to L&D admins.")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.password_option(help="At least 12 characters.")
def create_command(organisation_id: int | None, issuer: str | None, operator: bool,
                   email: str, name: str, password: str) -> None:
    from ..extensions import db
    from .local import LocalLoginError, create_local_admin, organisation_for

    if sum([organisation_id is not None, bool(issuer), operator]) != 1:
        raise click.UsageError("Give exactly one of --organisation, --issuer and --operator.")
    try:
        organisation = organisation_for(organisation_id, issuer, operator)
        create_local_admin(organisation, email, name, password, operator=operator)
    except LocalLoginError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    where = "an operator of the tool" if operator else f"admin of {organisation.name}"
    click.echo(f"local admin {email} created ({where}); sign in at /admin/login")
