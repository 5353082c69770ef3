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
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from ..extensions import db
from .outbox import claim_next, mark_failed, mark_sent

if TYPE_CHECKING:  # jobs/__init__ imports this module (through cli) before defining it
    from . import Periodic

log = logging.getLogger(__name__)


def _jobs() -> dict[str, Any]:
    return current_app.extensions.get("lms_plugin.jobs") or {"handlers": {}, "periodic": []}


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_once(worker_id: str, limit: int = 100) -> int:
    """Deliver up to `limit` due messages; return how many were attempted."""
    handlers: dict[str, Callable[[dict[str, Any]], None]] = _jobs()["handlers"]
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


def run_periodic(due: Callable[[Periodic], bool] = lambda _task: True) -> int:
    """Scheduled work that any worker may do, as features registered it (renewal
    reminders; timed quiz tries left open past their deadline; warming the reports):
    every task, or those `due(task)` says are due."""
    return sum(task.work() for task in _jobs()["periodic"] if due(task))


class Schedule:
    """When each periodic task of this worker runs next: at once, then every
    `task.every(config)` seconds (each task its own interval)."""

    def __init__(self, config: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.config, self.clock = config, clock
        self.next: dict[Periodic, float] = {}

    def due(self, task: Periodic) -> bool:
        now = self.clock()
        if now < self.next.get(task, 0.0):
            return False
        self.next[task] = now + task.every(self.config)
        return True


def run_forever(app: Flask, stop: threading.Event, idle_seconds: float = 2.0) -> None:
    worker_id = new_worker_id()
    schedule = Schedule(app.config)
    while not stop.is_set():
        with app.app_context():
            try:
                run_periodic(schedule.due)
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
