"""Shared set-up for the admin area's tests: people of two organisations and a client
signed in as any of them (tests/support/authorization.py's session helper)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.authorization import Person, client_for, csrf_token


def signed_in(app: Flask, person_id: int, roles: list[str]) -> Any:
    return client_for(app, Person(person_id, roles))


def post(app: Flask, client: Any, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(app), **data})


def certified(trainee: User, supervisor: User) -> Certificate:
    """Through the real services: module, hours approved, agreement signed."""
    factories.completed(trainee, "listening", 90)
    factories.enrolled(trainee, "listener")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
        entry = log_hours(trainee, "listener", category="practice", kind=kind,
                          hours=Decimal(hours), activity_date=yesterday,
                          supervisor=supervisor, reflection="My private reflection text.")
        decide_hours(entry, supervisor, True, "")
    certificate = sign_attestation(trainee, "listener", "code-of-conduct")
    assert certificate is not None
    return certificate


def failed_tries(person: User, count: int, last_minutes_ago: int = 600) -> None:
    """`count` failed tries at the listening quiz, the last `last_minutes_ago` minutes ago,
    each with an answer nobody but the person may see."""
    now = datetime.now(UTC)
    for i in range(count):
        when = now - timedelta(minutes=last_minutes_ago + (count - 1 - i) * 60)
        db.session.add(QuizAttempt(
            user_id=person.id, quiz_slug="listening", quiz_version="v1", layout_json="[]",
            answers_json='{"q-open": {"q-open": ["my-secret-answer"]}}', started_at=when,
            submitted_at=when, score=40 + i, passed=False))
    db.session.flush()


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found
