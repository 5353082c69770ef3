"""Write to the outbox (inside the caller's transaction) and claim rows to deliver.

A row is claimed by setting a lease (locked_by, locked_until) in one conditional UPDATE,
so of several workers exactly one holds it at a time. A worker that dies leaves a lease
that expires, and the row is claimed and sent again: delivery is at least once. What is
sent must therefore be idempotent at the receiver: a score carries the timestamp fixed
when it was enqueued, so a second copy is refused (Moodle: 409) or changes nothing
(Canvas: an equal timestamp), and the LMS gradebook holds it once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select, update

from ..extensions import db
from .models import OutboxMessage

LEASE_SECONDS = 60  # default of LMS_PLUGIN_OUTBOX_LEASE_SECONDS
MAX_BACKOFF_SECONDS = 3600


def now() -> datetime:
    return datetime.now(UTC)


def enqueue(kind: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(kind=kind, payload_json=json.dumps(payload), available_at=now())
    db.session.add(message)
    db.session.flush()
    return message


def lease_seconds() -> int:
    """How long a claim lasts: longer than any one delivery takes (each HTTP call of it
    times out after 10 s), or a live worker's row is sent a second time."""
    if has_app_context():
        return int(current_app.config.get("LMS_PLUGIN_OUTBOX_LEASE_SECONDS", LEASE_SECONDS))
    return LEASE_SECONDS


def claim_next(worker_id: str) -> OutboxMessage | None:
    """Take the oldest due message, or None. Commits the claim at once."""
    lease = timedelta(seconds=lease_seconds())
    for _ in range(5):
        moment = now()
        candidate = db.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.available_at <= moment,
                (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < moment),
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        if candidate is None:
            db.session.rollback()
            return None
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == candidate,
                OutboxMessage.sent_at.is_(None),
                (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < moment),
            )
            .values(locked_by=worker_id, locked_until=moment + lease)
        ).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        if claimed:
            return db.session.get(OutboxMessage, candidate)
        # Another worker won this one; look again.
    return None


def mark_sent(message: OutboxMessage, worker_id: str) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.locked_by == worker_id)
        .values(sent_at=now(), locked_until=None, last_error=None,
                attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()


def mark_failed(message: OutboxMessage, worker_id: str, error: str) -> None:
    """Back off exponentially (10 s, 20 s, 40 s, ... up to an hour); never give up."""
    attempts = (message.attempts or 0) + 1
    delay = min(MAX_BACKOFF_SECONDS, 10 * 2 ** (attempts - 1))
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.locked_by == worker_id)
        .values(attempts=attempts, last_error=error[:2000], locked_until=None,
                available_at=now() + timedelta(seconds=delay))
    )
    db.session.commit()


def outbox_depth() -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.sent_at.is_(None))
    ).one()
    return int(count), oldest
