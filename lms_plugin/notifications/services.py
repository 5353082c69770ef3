"""Deciding, rendering and sending e-mail notifications.

An event (a signal from certification, privacy's erasure steps, or the periodic scans
here) calls `notify` inside the transaction that records it: a `Notification` row, unique
by its dedupe key, and an outbox message pointing at it. Nothing is sent in a request.
The worker's handler (`deliver`) renders the templates and sends over SMTP; a failure
raises, and the outbox retries with backoff. A row already sent, skipped or gone is never
sent again, so a retried message or a repeated event sends one e-mail. Addresses come only
from the LMS's launch claims (`User.email`). With no LMS_PLUGIN_SMTP_URL, nothing is
recorded or sent."""

from __future__ import annotations

import hashlib
import json
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from flask_babel import force_locale, gettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..certification.clock import now
from ..certification.models import PENDING, Certificate, LoggedHours, Reminder
from ..certification.training_certificate import TRAINING_SLUG, TRAINING_TITLE
from ..content.services import get_catalog
from ..dates import day, utcnow
from ..extensions import db
from ..i18n import DEFAULT_LOCALE, N_, supported
from ..jobs.outbox import enqueue
from ..users.models import User
from . import mail
from .models import Notification, NotificationOptOut
from .topics import TOPICS, declare_topic, may_opt_out, optional

EMAIL_KIND = "notifications.email"
# An expiry or lapse is told only while recent: turning e-mail on never mails everyone
# whose certificate ran out years ago.
RECENT = timedelta(days=14)


def enabled() -> bool:
    return bool(current_app.config.get("LMS_PLUGIN_SMTP_URL"))


def _base() -> str:
    """Where links point: LMS_PLUGIN_BASE_URL, else the host of the request that caused
    the event. Scheduled e-mails (reminders, expiry, digests) have links only with
    LMS_PLUGIN_BASE_URL set."""
    configured = current_app.config.get("LMS_PLUGIN_BASE_URL") or ""
    if configured:
        return str(configured).rstrip("/")
    return request.host_url.rstrip("/") if has_request_context() else ""


def language_of(person: User) -> str:
    """The language a person's e-mails are written in: their latest launch's (User.locale),
    else English. What goes into an e-mail's context (dates) is formatted in it too."""
    return supported(person.locale) or DEFAULT_LOCALE


def opted_out(user_id: int, topic: str) -> bool:
    return may_opt_out(topic) and db.session.scalar(select(NotificationOptOut.id).where(
        NotificationOptOut.user_id == user_id, NotificationOptOut.topic == topic)) is not None


def notify(person: User, topic: str, dedupe_key: str, context: dict[str, Any] | None = None,
           *, address: str | None = None) -> Notification | None:
    """Record one e-mail about one event and queue it, in the caller's transaction. Returns
    None when mail is off, the person has no address or turned this kind off, or this
    event was recorded already. Flushes; the caller commits."""
    assert topic in TOPICS, topic
    if not enabled() or not mail.valid_address(address or person.email) or opted_out(
            person.id, topic):
        return None
    if db.session.scalar(select(Notification.id).where(
            Notification.dedupe_key == dedupe_key)) is not None:
        return None
    notification = Notification(
        user_id=person.id, topic=topic, dedupe_key=dedupe_key[:200],
        context_json=json.dumps({"base": _base(), "language": language_of(person),
                                 **(context or {})}, default=str),
        to_address=address)
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
    except IntegrityError:
        return None  # recorded by another request or worker a moment ago
    enqueue(EMAIL_KIND, {"notification_id": notification.id})
    return notification


# --- sending (the worker) ------------------------------------------------------------------


def sender() -> str:
    configured = current_app.config.get("LMS_PLUGIN_MAIL_FROM") or ""
    if configured:
        return str(configured)
    host = urlsplit(current_app.config.get("LMS_PLUGIN_BASE_URL") or "").hostname
    return formataddr((current_app.config["LMS_PLUGIN_TOOL_NAME"],
                       f"no-reply@{host or 'localhost'}"))


def _message_id(notification: Notification) -> str:
    digest = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:32]
    domain = sender().rsplit("@", 1)[-1].rstrip(">") or "localhost"
    return f"<{digest}@{domain}>"


def _path(endpoint: str, **values: Any) -> str:
    """A URL path of the tool without a request (the worker has none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def render(notification: Notification, to: str) -> mail.Email:
    topic = TOPICS[notification.topic]
    context = notification.context
    base = context.get("base") or ""
    context.update(
        tool_name=current_app.config["LMS_PLUGIN_TOOL_NAME"],
        link=lambda endpoint, **values: base + _path(endpoint, **values) if base else "",
        preferences=base + _path("notifications.preferences") if base else "",
        essential=topic.essential)
    env = current_app.jinja_env
    with force_locale(context.get("language") or DEFAULT_LOCALE):
        text = env.get_template(f"notifications/{topic.key}.txt").render(**context)
        html = env.get_template(f"notifications/{topic.key}.html").render(**context)
        subject = gettext(topic.subject)
    return mail.Email(sender=sender(), to=to, subject=subject, text=text, html=html,
                      message_id=_message_id(notification))


def deliver(payload: dict[str, Any]) -> None:
    """The outbox handler: send one notification, once. Raises on any SMTP failure (the
    outbox retries later); the worker commits what this changes with the message."""
    notification = db.session.get(Notification, int(payload["notification_id"]))
    if notification is None or notification.sent_at is not None or notification.skipped:
        return  # erased, or already sent by an earlier try
    person = db.session.get(User, notification.user_id)
    address = notification.to_address or (person.email if person else None)
    if not mail.valid_address(address):
        notification.skipped = "no address"
    elif opted_out(notification.user_id, notification.topic):
        notification.skipped = "opted out"
    else:
        server = mail.parse_smtp_url(current_app.config["LMS_PLUGIN_SMTP_URL"])
        try:
            mail.send(server, render(notification, str(address)))
        except smtplib.SMTPRecipientsRefused:
            notification.skipped = "address refused"  # permanent: retrying cannot help
        else:
            notification.sent_at = utcnow()
    notification.to_address = None  # kept only until sent
    db.session.flush()


# --- preferences ---------------------------------------------------------------------------


def turned_off(person: User) -> set[str]:
    return set(db.session.scalars(select(NotificationOptOut.topic).where(
        NotificationOptOut.user_id == person.id)))


def set_preferences(person: User, wanted: set[str]) -> None:
    """Keep the optional kinds in `wanted` on and turn the others off. Flushes."""
    unknown = wanted - set(optional())
    if unknown:
        raise ValueError(f"No such kind of e-mail: {', '.join(sorted(unknown))}")
    off = set(optional()) - wanted
    db.session.execute(delete(NotificationOptOut).where(
        NotificationOptOut.user_id == person.id, NotificationOptOut.topic.not_in(off)))
    for topic in sorted(off - turned_off(person)):
        db.session.add(NotificationOptOut(user_id=person.id, topic=topic))
    db.session.flush()


# --- events: each kind of e-mail, declared where it is sent -----------------------------------


def _title(slug: str) -> str:
    if slug == TRAINING_SLUG:
        return TRAINING_TITLE
    content = get_catalog().programmes.get(slug)
    return str(content.document.title) if content is not None else slug


def _day_for(person: User, value: Any) -> str:
    """A date as the person's e-mail says it: in their language."""
    with force_locale(language_of(person)):
        return day(value)


CERTIFICATE_ISSUED = declare_topic(
    "certificate_issued", essential=True, subject=N_("Your certificate has been issued"),
    label=N_("A certificate issued to you, with its verification link"))


def on_certificate_issued(certificate: Certificate, renewal: bool = False, **_: Any) -> None:
    notify(certificate.user, CERTIFICATE_ISSUED, f"{CERTIFICATE_ISSUED}:{certificate.id}", {
        "programme": _title(certificate.programme_slug), "code": certificate.code,
        "renewal": renewal, "expires": None if certificate.programme_slug == TRAINING_SLUG
        else _day_for(certificate.user, certificate.expires_at)})


CERTIFICATE_REVOKED = declare_topic(
    "certificate_revoked", essential=True, subject=N_("Your certificate has been revoked"),
    label=N_("A certificate of yours revoked"))


def on_certificate_revoked(certificate: Certificate, **_: Any) -> None:
    notify(certificate.user, CERTIFICATE_REVOKED, f"{CERTIFICATE_REVOKED}:{certificate.id}",
           {"programme": _title(certificate.programme_slug)})


HOURS_DECIDED = declare_topic(
    "hours_decided", essential=False,
    subject=N_("Your supervisor decided on your logged hours"),
    label=N_("Logged hours approved or rejected by your supervisor"))


def on_hours_decided(entry: LoggedHours, **_: Any) -> None:
    """The decision and the supervisor's reason; never the reflection."""
    trainee = db.session.get(User, entry.user_id)
    if trainee is None:
        return
    notify(trainee, HOURS_DECIDED, f"{HOURS_DECIDED}:{entry.id}:{entry.submissions}", {
        "approved": entry.status == "approved", "hours": f"{entry.hours.normalize():f}",
        "activity_day": _day_for(trainee, entry.activity_date),
        "reason": entry.decision_reason or "",
        "programme": _title(entry.programme_slug), "slug": entry.programme_slug})


RENEWAL_REMINDER = declare_topic(
    "renewal_reminder", essential=False, subject=N_("Your certificate is due for renewal"),
    label=N_("Reminders before a certificate expires"))


def on_reminder_recorded(reminder: Reminder, **_: Any) -> None:
    certificate = reminder.certificate
    notify(certificate.user, RENEWAL_REMINDER, f"{RENEWAL_REMINDER}:{reminder.id}", {
        "programme": _title(certificate.programme_slug), "slug": certificate.programme_slug,
        "expires": _day_for(certificate.user, certificate.expires_at),
        "days_before": reminder.days_before})


ERASURE_REQUESTED = declare_topic(
    "erasure_requested", essential=True,
    subject=N_("We have your request to erase your records"),
    label=N_("Your request to erase your records received"))


def erasure_requested(person: User) -> Notification | None:
    """Privacy calls this when a person asks to be erased (in the request's transaction)."""
    return notify(person, ERASURE_REQUESTED,
                  f"{ERASURE_REQUESTED}:{person.id}:{now().date().isoformat()}")


ERASURE_DONE = declare_topic(
    "erasure_done", essential=True, subject=N_("Your records have been erased"),
    label=N_("Your records erased"))


def erasure_done(person: User, address: str | None) -> Notification | None:
    """Privacy calls this after erasing the person, with the address they had: it is kept
    on the notification only until the e-mail is sent."""
    if not address:
        return None
    return notify(person, ERASURE_DONE, f"{ERASURE_DONE}:{person.id}", address=address)


# --- periodic work -------------------------------------------------------------------------


def _aware(value: datetime, like: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=like.tzinfo)


CERTIFICATE_EXPIRED = declare_topic(
    "certificate_expired", essential=True, subject=N_("Your certificate has expired"),
    label=N_("A certificate of yours expired (renewal still open)"))
CERTIFICATE_LAPSED = declare_topic(
    "certificate_lapsed", essential=True, subject=N_("Your certificate has lapsed"),
    label=N_("A certificate of yours lapsed (the renewal period ended)"))


def send_expiry_notices(at: datetime | None = None) -> int:
    """Tell holders of a current certificate that expired, and again when its renewal
    period (the programme's grace days) ended, within the last RECENT. Safe to run in any
    number of workers at once. Commits."""
    if not enabled():
        return 0
    at = at or now()
    catalog = get_catalog()
    made = 0
    for certificate in db.session.scalars(select(Certificate).where(
            Certificate.in_force(), Certificate.programme_slug != TRAINING_SLUG,
            Certificate.expires_at <= at)):
        content = catalog.programmes.get(certificate.programme_slug)
        expired = _aware(certificate.expires_at, at)
        grace = timedelta(days=content.document.renewal.grace_days) if content else None
        context = {"programme": _title(certificate.programme_slug),
                   "slug": certificate.programme_slug,
                   "expired": _day_for(certificate.user, expired),
                   "lapses": _day_for(certificate.user, expired + grace)
                   if grace is not None else ""}
        if at - expired < RECENT and notify(
                certificate.user, CERTIFICATE_EXPIRED,
                f"{CERTIFICATE_EXPIRED}:{certificate.id}", context):
            made += 1
        if grace is not None and expired + grace <= at < expired + grace + RECENT and notify(
                certificate.user, CERTIFICATE_LAPSED,
                f"{CERTIFICATE_LAPSED}:{certificate.id}", context):
            made += 1
    db.session.commit()
    return made


@dataclass(frozen=True)
class Waiting:
    supervisor_id: int
    entries: int
    trainees: int
    oldest: datetime


def waiting_by_supervisor() -> list[Waiting]:
    rows = db.session.execute(
        select(LoggedHours.supervisor_id, func.count(LoggedHours.id),
               func.count(func.distinct(LoggedHours.user_id)), func.min(LoggedHours.created_at))
        .where(LoggedHours.status == PENDING, LoggedHours.supervisor_id.is_not(None))
        .group_by(LoggedHours.supervisor_id).order_by(LoggedHours.supervisor_id))
    return [Waiting(int(s or 0), int(n), int(t), o) for s, n, t, o in rows]


SUPERVISOR_DIGEST = declare_topic(
    "supervisor_digest", essential=False,
    subject=N_("Logged hours waiting for your decision"),
    label=N_("A daily summary of logged hours waiting for your decision (supervisors)"))


def send_supervisor_digests(at: datetime | None = None) -> int:
    """Once a day (UTC), each supervisor with entries waiting gets how many and since when:
    no names, no reflections. Safe to run in any number of workers at once. Commits."""
    if not enabled():
        return 0
    at = at or now()
    made = 0
    for waiting in waiting_by_supervisor():
        supervisor = db.session.get(User, waiting.supervisor_id)
        if supervisor is None:
            continue
        if notify(supervisor, SUPERVISOR_DIGEST,
                  f"{SUPERVISOR_DIGEST}:{supervisor.id}:{at.date().isoformat()}",
                  {"entries": waiting.entries, "trainees": waiting.trainees,
                   "oldest": _day_for(supervisor, waiting.oldest)}):
            made += 1
    db.session.commit()
    return made
