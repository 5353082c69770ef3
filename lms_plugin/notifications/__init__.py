"""E-mail notifications (issue 16): certificate issued, revoked, expired and lapsed; hours
decided; renewal reminders; a supervisor's daily digest; erasure requested and done.
Listens to certification's signals, is called by privacy, and sends only from the worker
(outbox kind `notifications.email`). See services.py."""

from __future__ import annotations

from flask import Flask

from ..certification.signals import (
    certificate_issued,
    certificate_revoked,
    hours_decided,
    reminder_recorded,
)
from ..jobs import register_handler, register_periodic
from . import models  # noqa: F401 - registers the tables
from .services import (
    EMAIL_KIND,
    deliver,
    on_certificate_issued,
    on_certificate_revoked,
    on_hours_decided,
    on_reminder_recorded,
    send_expiry_notices,
    send_supervisor_digests,
)
from .views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_handler(app, EMAIL_KIND, deliver)
    register_periodic(app, send_expiry_notices)
    register_periodic(app, send_supervisor_digests)
    # Module-level receivers: connecting them again (another app) is a no-op.
    certificate_issued.connect(on_certificate_issued)
    certificate_revoked.connect(on_certificate_revoked)
    hours_decided.connect(on_hours_decided)
    reminder_recorded.connect(on_reminder_recorded)
