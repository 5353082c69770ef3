"""The job worker: delivers outbox messages with retries. A thread in demo mode,
`lms-plugin worker` processes in production; any number may run at once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask

from ..extensions import db
from .outbox import claim_next, mark_failed, mark_sent

log = logging.getLogger(__name__)


def _handlers() -> dict[str, Callable[[dict[str, Any]], None]]:
    from ..lti.ags import SCORE_KIND, deliver_score
    from ..lti.nrps import ROSTER_KIND, sync_roster

    return {SCORE_KIND: deliver_score, ROSTER_KIND: sync_roster}


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_once(worker_id: str, limit: int = 100) -> int:
    """Deliver up to `limit` due messages; return how many were attempted."""
    handlers = _handlers()
    done = 0
    while done < limit:
        message = claim_next(worker_id)
        if message is None:
            break
        done += 1
        handler = handlers.get(message.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for {message.kind!r}")
            handler(message.payload)
        except Exception as exc:  # noqa: BLE001 - every failure is retried later
            db.session.rollback()
            log.warning("outbox %s (%s) failed: %s", message.id, message.kind, exc)
            mark_failed(message, worker_id, str(exc))
        else:
            mark_sent(message, worker_id)
    return done


def run_periodic() -> int:
    """Scheduled work that any worker may do (each piece is safe to run concurrently):
    renewal reminders; timed quiz tries left open past their deadline."""
    from ..certification.reminders import send_due_reminders
    from ..quiz.services import submit_expired_attempts

    return send_due_reminders() + submit_expired_attempts()


def run_forever(app: Flask, stop: threading.Event, idle_seconds: float = 2.0) -> None:
    worker_id = new_worker_id()
    interval = float(app.config.get("LMS_PLUGIN_PERIODIC_SECONDS", 3600))
    next_periodic = 0.0
    while not stop.is_set():
        with app.app_context():
            try:
                if time.monotonic() >= next_periodic:
                    next_periodic = time.monotonic() + interval
                    run_periodic()
                busy = run_once(worker_id)
            except Exception:
                log.exception("worker loop error")
                busy = 0
            finally:
                db.session.remove()
        if not busy:
            stop.wait(idle_seconds)


def start_thread(app: Flask) -> threading.Event:
    """Demo mode: a worker thread in the web process."""
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, stop), daemon=True,
                              name="lms-plugin-worker")
    thread.start()
    return stop
