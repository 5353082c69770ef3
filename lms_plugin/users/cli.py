"""`lms-plugin admin create`: a local L&D admin account."""

from __future__ import annotations

import click
from flask.cli import AppGroup

admin_cli = AppGroup("admin", help="Local admin accounts (for admins not in the LMS).")


@admin_cli.command("create")
@click.option("--issuer", required=True, help="The organisation's LMS issuer (whose "
              "reports the admin sees), as in `lms-plugin platform list`.")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.password_option(help="At least 12 characters.")
def create_command(issuer: str, email: str, name: str, password: str) -> None:
    from ..extensions import db
    from .local import LocalLoginError, create_local_admin

    try:
        create_local_admin(issuer, email, name, password)
    except LocalLoginError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"local admin {email} created; sign in at /admin/login")
