"""The `lms-plugin` command: a Flask CLI group (so `flask --app wsgi` works the same)."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import create_app


def _app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False)
def main() -> None:
    """Peer support training: an LTI 1.3 tool."""


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Run the tool with the built-in demo LMS on SQLite (no LMS needed)."""
    os.environ["LMS_PLUGIN_DEMO"] = "1"
    app = create_app()
    from flask_migrate import upgrade

    from .content.services import sync_content
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
    start_thread(app)  # in demo mode the job worker is a thread of this process
    click.echo(f"\n  Demo LMS: http://localhost:{port}/demo\n")
    from werkzeug.serving import run_simple

    # Threaded: the tool fetches the demo LMS's key set from this same server.
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server binds
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=0, type=int, help="Default: 2 x CPUs + 1.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the production server (gunicorn)."""
    from .serve import run_gunicorn

    run_gunicorn(host, port, workers)


def init_app(app: Flask) -> None:
    """Commands that need the app are registered by each feature's init_app."""
