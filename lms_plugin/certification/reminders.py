"""Renewal reminders: at each of the programme's `reminder_days` before a certificate
expires, a reminder is recorded once (any number of workers may run this at once). The
holder sees it in the tool; admins see the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..content.services import get_catalog
from ..extensions import db
from ..users.models import User
from .clock import now
from .models import Certificate, Reminder
from .rules import due_reminders
from .signals import reminder_recorded


def current_certificates() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(
        Certificate.in_force())))


def send_due_reminders(at: datetime | None = None) -> int:
    """Record every reminder that has come due by `at`; return how many were new. A
    certificate past its grace period gets no more reminders."""
    at = at or now()
    catalog = get_catalog()
    created = 0
    for certificate in current_certificates():
        content = catalog.programmes.get(certificate.programme_slug)
        if content is None:
            continue
        programme = content.document
        expires = certificate.expires_at if certificate.expires_at.tzinfo else \
            certificate.expires_at.replace(tzinfo=at.tzinfo)
        if at > expires + timedelta(days=programme.renewal.grace_days):
            continue
        sent = set(db.session.scalars(select(Reminder.days_before).where(
            Reminder.certificate_id == certificate.id)))
        for days in due_reminders(programme, expires, at):
            if days in sent:
                continue
            reminder = Reminder(certificate_id=certificate.id, days_before=days,
                                due_at=expires - timedelta(days=days))
            try:
                with db.session.begin_nested():
                    db.session.add(reminder)
                    db.session.flush()
            except IntegrityError:
                continue  # another worker recorded it a moment ago
            audit("certificate.reminder", None, certificate.user, certificate,
                  days_before=days)
            reminder_recorded.send(reminder)
            created += 1
    db.session.commit()
    return created


def reminder_for(user: User, slug: str) -> Reminder | None:
    """The latest reminder on the person's current certificate, if any came due."""
    return db.session.scalars(
        select(Reminder).join(Certificate, Certificate.id == Reminder.certificate_id)
        .where(Certificate.user_id == user.id, Certificate.programme_slug == slug,
               Certificate.in_force())
        .order_by(Reminder.days_before.asc())).first()


@dataclass(frozen=True)
class ReminderRow:
    holder: str
    programme: str
    expires_at: datetime
    days_before: int
    recorded_at: datetime


def reminders_for_admins(slug: str, limit: int = 500) -> list[ReminderRow]:
    rows = db.session.execute(
        select(Certificate.holder_name, Certificate.programme_slug, Certificate.expires_at,
               Reminder.days_before, Reminder.created_at)
        .join(Reminder, Reminder.certificate_id == Certificate.id)
        .where(Certificate.programme_slug == slug, Certificate.current_key.is_not(None))
        .order_by(Certificate.expires_at, Reminder.days_before).limit(limit))
    return [ReminderRow(*row) for row in rows]
