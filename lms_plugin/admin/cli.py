"""`lms-plugin admin create`: a local L&D admin account, bound to one organisation, or an
operator of the tool (who may choose the organisation to act in)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..lti.models import Platform
from ..users.local import LocalLoginError, create_local_admin
from ..users.models import Organisation

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


OPERATORS = "Tool operators"


def organisation_for(organisation_id: int | None, issuer: str | None,
                     operator: bool) -> Organisation:
    """The organisation a new local admin belongs to: the one named; the one platform
    registrations of this issuer belong to; or, for operators, their own."""
    if operator:
        found = db.session.scalars(select(Organisation).where(
            Organisation.name == OPERATORS)).first()
        if found is None:
            found = Organisation(name=OPERATORS)
            db.session.add(found)
            db.session.flush()
        return found
    if organisation_id is not None:
        chosen = db.session.get(Organisation, organisation_id)
        if chosen is None:
            raise LocalLoginError(f"There is no organisation {organisation_id}; "
                                  "`lms-plugin platform list` shows them.")
        return chosen
    ids = set(db.session.scalars(select(Platform.organisation_id).where(
        Platform.issuer == issuer)))
    if len(ids) != 1:
        raise LocalLoginError(
            f"{len(ids) or 'No'} organisations use the issuer {issuer}; name one with "
            "--organisation (`lms-plugin platform list` shows them).")
    found_org = db.session.get(Organisation, ids.pop())
    assert found_org is not None
    return found_org
