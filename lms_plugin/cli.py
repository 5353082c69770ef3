"""The `lms-plugin` command: a Flask CLI group (so `flask --app wsgi` works the same)."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import FlaskGroup

from . import create_app


def _app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False)
def main() -> None:
    """Peer support training: an LTI 1.3 tool."""


@main.group("demo", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def demo_command(ctx: click.Context, host: str, port: int) -> None:
    """Run the tool with the built-in demo LMS on SQLite (no LMS needed)."""
    if ctx.invoked_subcommand is not None:
        return
    os.environ["LMS_PLUGIN_DEMO"] = "1"
    app = create_app()
    from flask_migrate import upgrade

    from .content.services import sync_content
    from .demo.mailbox import start_mailbox
    from .demo.setup import prepare_demo
    from .extensions import db
    from .jobs.worker import start_thread

    with app.app_context():
        upgrade()
        report = sync_content()
        if report.ok:
            db.session.commit()
        else:
            db.session.rollback()
            for error in report.errors:
                click.echo(f"content: {error}", err=True)
            click.echo("Content has errors; serving the last good version.", err=True)
        prepare_demo(f"http://localhost:{port}")
    start_mailbox(app)  # every e-mail goes to /demo/mailbox, unless SMTP_URL is set
    start_thread(app)  # in demo mode the job worker is a thread of this process
    click.echo(f"\n  Demo LMS: http://localhost:{port}/demo\n")
    from werkzeug.serving import run_simple

    # Threaded: the tool fetches the demo LMS's key set from this same server.
    run_simple(host, port, app, threaded=True, use_reloader=False)


@demo_command.command("seed")
@click.option("--port", default=5000, show_default=True, type=int,
              help="Where the demo will be served (to register the demo LMS if need be).")
def demo_seed_command(port: int) -> None:
    """Seed the demo organisation with about 200 synthetic employees and a year of
    activity (once: nothing happens when it is seeded already)."""
    from .demo.seed import demo_organisation_id, seed_demo
    from .demo.setup import prepare_demo
    from .extensions import db

    if not current_app.config.get("LMS_PLUGIN_DEMO"):
        raise click.ClickException("The demo seed runs only in demo mode (LMS_PLUGIN_DEMO=1).")
    if demo_organisation_id() is None:
        prepare_demo(f"http://localhost:{port}")
    report = seed_demo()
    if report is None:
        click.echo("The demo organisation is seeded already.")
        return
    db.session.commit()
    click.echo(f"Seeded the demo organisation {report.organisation_id}: " + ", ".join(
        f"{name} {count}" for name, count in sorted(report.counts.items())))


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server binds
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=0, type=int, help="Default: 2 x CPUs + 1.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the production server (gunicorn). On a database that has never had training
    content, the shipped content is loaded first."""
    from .serve import run_gunicorn

    _load_content_on_start(current_app)
    run_gunicorn(host, port, workers)


def _load_content_on_start(app: Flask) -> None:
    """One cheap query when content is loaded (the usual case). Never stops the server:
    with the database down or not migrated yet it says so and serves on (/readyz and the
    not-loaded page tell the rest)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    from .content.cli import sync_if_nothing_loaded
    from .extensions import db

    def echo(line: str) -> None:
        click.echo(f"content: {line}", err=True)

    try:
        if not sa.inspect(db.engine).has_table("content_version"):
            echo("the database has no tables yet: run `lms-plugin db upgrade` (it also "
                 "loads the training content).")
            return
        sync_if_nothing_loaded(echo)
    except SQLAlchemyError as exc:
        db.session.rollback()
        echo(f"could not check the training content ({exc.__class__.__name__}); "
             "serving on.")
    finally:
        db.session.remove()
        db.engine.dispose()  # no pooled connection is carried into gunicorn's workers


def _at_head(directory: str | None) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from .extensions import db

    config = current_app.extensions["migrate"].migrate.get_config(directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def _upgrade_then_load_content(upgrade: click.Command) -> click.Command:
    """Flask-Migrate's `db upgrade`, unchanged, then: a database that reached the head
    revision and has never had content gets the shipped content (or
    LMS_PLUGIN_CONTENT_DIR's), so a fresh install serves training with no further step.
    Content already loaded is left alone; `--sql` (nothing run) loads nothing."""

    @click.pass_context
    def callback(ctx: click.Context, **params: Any) -> None:
        ctx.invoke(upgrade, **params)  # exits non-zero itself when a migration fails
        if params.get("sql"):
            return
        from .content.cli import sync_if_nothing_loaded

        if not _at_head(params.get("directory") or g.get("directory")):
            click.echo("Training content: not loaded, as the database is not at the latest "
                       "revision; `lms-plugin db upgrade` to the head loads it.")
            return
        if not sync_if_nothing_loaded(click.echo):
            raise click.ClickException(
                "The database is upgraded, but no training content was loaded (see above)."
            )

    return click.Command(
        name=upgrade.name, callback=callback, params=list(upgrade.params),
        help=(upgrade.help or "Upgrade to a later version").rstrip(".") + ". On a database "
        "that has never had training content, then load the content shipped with the tool "
        "(or LMS_PLUGIN_CONTENT_DIR's).",
        short_help="Upgrade to a later version (and load content on a fresh install).",
    )


def _db_group_with_content(group: click.Group) -> click.Group:
    """A copy of Flask-Migrate's `db` group with `upgrade` extended; its module-level
    group (shared by every app in the process) is not changed."""
    ours = click.Group(
        name=group.name, callback=group.callback, params=list(group.params),
        help=group.help, commands=dict(group.commands),
    )
    ours.add_command(_upgrade_then_load_content(group.commands["upgrade"]))
    return ours


def init_app(app: Flask) -> None:
    """Commands that need the app are registered by each feature's init_app; here
    Flask-Migrate's `db` group gets the content-loading `upgrade`."""
    migrate_name = app.extensions["migrate"].migrate.command
    group = app.cli.commands.get(migrate_name)
    if isinstance(group, click.Group) and "upgrade" in group.commands:
        app.cli.add_command(_db_group_with_content(group), name=migrate_name)
