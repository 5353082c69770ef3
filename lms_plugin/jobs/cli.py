"""`lms-plugin worker`: deliver the outbox (grades to the LMS), with retries."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .outbox import outbox_depth
from .worker import new_worker_id, run_forever, run_once, run_periodic


@click.command("worker", short_help="Send grades, sync rosters, record reminders.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--idle", default=2.0, show_default=True, help="Seconds to wait when idle.")
@with_appcontext
def worker_command(once: bool, idle: float) -> None:
    """Run a job worker. Any number may run, on any hosts: each message is claimed by one
    worker at a time, for LMS_PLUGIN_OUTBOX_LEASE_SECONDS. Delivery is at least once: if a
    worker dies mid-send, the message is sent again when its claim expires, unchanged
    (a score keeps the timestamp it was given when recorded), so the LMS keeps it once.
    """
    if once:
        done = run_once(new_worker_id(), limit=10_000)
        reminders = run_periodic()
        depth, _oldest = outbox_depth()
        db.session.remove()
        click.echo(f"attempted {done}; {depth} still waiting; {reminders} reminders recorded")
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("worker running; Ctrl+C to stop")
    run_forever(app, stop, idle)
