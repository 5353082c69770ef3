"""`lms-plugin platform add|list` and `lms-plugin keys rotate|retire|list`."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..users.models import Organisation
from .keys import ToolKeyError, get_signing_key, query_published_keys, retire_key, rotate_keys
from .models import Platform, ToolKey
from .registration import add_deployment, save_platform

platform_cli = AppGroup("platform", help="Register LMS platforms with the tool.")
keys_cli = AppGroup("keys", help="The tool's signing keys.")


@platform_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True)
@click.option("--deployment-id", required=True, multiple=True, help="May be repeated.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC auth endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--keyset-url", help="The platform's JWKS URL.")
@click.option(
    "--public-key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The platform's public key (PEM), if it has no key set URL.",
)
@click.option("--auth-audience", help="Audience for token requests, if not the token URL.")
@click.option("--name", default="", help="A name to show admins.")
@click.option("--organisation", "organisation_id", type=int,
              help="Add it to this existing organisation (its number in `platform list`), "
                   "e.g. a second client id of the same LMS. Default: a new organisation.")
def platform_add(
    issuer: str,
    client_id: str,
    deployment_id: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str | None,
    public_key_file: Path | None,
    auth_audience: str | None,
    name: str,
    organisation_id: int | None,
) -> None:
    """Register a platform by hand (or update it)."""
    if bool(keyset_url) == bool(public_key_file):
        raise click.UsageError("Give exactly one of --keyset-url and --public-key-file.")
    if organisation_id is not None and db.session.get(Organisation, organisation_id) is None:
        raise click.UsageError(f"There is no organisation {organisation_id}; "
                               "`lms-plugin platform list` shows them.")
    pem = _read_public_key(public_key_file) if public_key_file else None
    platform = save_platform(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        keyset_url=keyset_url,
        public_key_pem=pem,
        auth_audience=auth_audience,
        name=name,
        organisation_id=organisation_id,
    )
    platform.approved = True  # an operator typed it in

    for dep in deployment_id:
        add_deployment(platform, dep)
    db.session.commit()
    click.echo(f"Registered {issuer} (client id {client_id}), deployments: "
               + ", ".join(deployment_id))


def _read_public_key(path: Path) -> str:
    """An RSA public key file as SPKI PEM. Anything else (a private key, a certificate, an
    EC key, a damaged or binary file) is refused here rather than failing every launch."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError:
        raise click.UsageError(f"{path} does not hold a PEM public key.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise click.UsageError(
            f"{path} does not hold an RSA public key; LTI 1.3 platforms sign with RS256."
        )
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@platform_cli.command("list")
def platform_list() -> None:
    """List registered platforms, their deployments and how each became known."""
    platforms = db.session.scalars(select(Platform).order_by(Platform.issuer, Platform.client_id))
    found = False
    for p in platforms:
        found = True
        how = "dynamic registration" if p.registered_dynamically else "operator"
        organisation = db.session.get(Organisation, p.organisation_id)
        click.echo(f"[{p.id}] {p.name or p.issuer}"
                   + ("" if p.approved else "  WAITING FOR APPROVAL: lms-plugin platform "
                      f"approve {p.id}") + "\n"
                   f"    organisation [{p.organisation_id}] "
                   f"{organisation.name if organisation else ''}\n"
                   f"    issuer={p.issuer}  client_id={p.client_id}  registered by {how}\n"
                   f"    keys={p.keyset_url or 'fixed public key'}\n"
                   f"    token audience={p.auth_audience or p.auth_token_url}")
        click.echo("    new deployments: " + (
            "accepted on their first signed launch" if p.accept_new_deployments
            else "refused until an operator adds them"))
        for d in sorted(p.deployments, key=lambda d: d.created_at):
            click.echo(f"    deployment {d.deployment_id}  (added by {d.added_by}, "
                       f"{d.created_at:%Y-%m-%d %H:%M})")
        if not p.deployments:
            click.echo("    no deployments yet")
        if p.frame_origins:
            click.echo("    framed from: " + ", ".join(p.frame_origins.split()))
    if not found:
        click.echo("No platforms registered. Use `lms-plugin platform add` or /lti/register.")


@platform_cli.command("approve")
@click.argument("platform_id", type=int)
@click.option("--organisation", "organisation_id", type=int,
              help="Move it into this existing organisation first (e.g. the school already "
                   "registered under another client id). Default: the new one it came with.")
def platform_approve(platform_id: int, organisation_id: int | None) -> None:
    """Let a platform that registered itself without the registration key launch."""
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise click.ClickException(
            f"No platform {platform_id}; `lms-plugin platform list` shows the ids.")
    if organisation_id is not None:
        if db.session.get(Organisation, organisation_id) is None:
            raise click.ClickException(f"There is no organisation {organisation_id}.")
        platform.organisation_id = organisation_id
    platform.approved = True
    db.session.commit()
    click.echo(f"Approved {platform.issuer} (client id {platform.client_id}) in organisation "
               f"{platform.organisation_id}: its launches are accepted now.")


@platform_cli.command("deployments")
@click.argument("platform_id", type=int)
@click.option("--accept-new/--refuse-new", required=True,
              help="Accept a deployment id on its first signed launch, or refuse it until "
                   "an operator adds it with `platform add`.")
def platform_deployments(platform_id: int, accept_new: bool) -> None:
    """Accept or refuse deployments a platform's launches name for the first time."""
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise click.ClickException(
            f"No platform {platform_id}; `lms-plugin platform list` shows the ids.")
    platform.accept_new_deployments = accept_new
    db.session.commit()
    click.echo(f"{platform.issuer} (client id {platform.client_id}): new deployments are now "
               + ("accepted on their first signed launch." if accept_new
                  else "refused until an operator adds them."))


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; earlier keys stay published until retired."""
    key = rotate_keys()
    db.session.commit()
    click.echo(f"New signing key {key.kid}. Earlier keys stay in /lti/jwks until retired.")


# A kid is a base64url thumbprint and may begin with "-": take it as the argument, not as
# an unknown option.
@keys_cli.command("retire", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
def keys_retire(kid: str) -> None:
    """Withdraw a superseded key from /lti/jwks."""
    try:
        retire_key(kid)
    except ToolKeyError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Retired {kid}.")


@keys_cli.command("list")
def keys_list() -> None:
    """List published keys."""
    get_signing_key()
    db.session.commit()
    for key in query_published_keys():
        state = "signing" if key.is_signing else "published"
        click.echo(f"{key.kid}\t{state}\tcreated {key.created_at:%Y-%m-%d %H:%M}")
    retired = db.session.scalars(select(ToolKey).where(ToolKey.retired_at.is_not(None)))
    for key in retired:
        click.echo(f"{key.kid}\tretired")


def init_app(app: Flask) -> None:
    app.cli.add_command(platform_cli)
    app.cli.add_command(keys_cli)
