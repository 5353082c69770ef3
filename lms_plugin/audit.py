"""The audit log: who did what to whose record (decisions, certificates, views of a
person, exports). Every package writes it through `audit`; admins read it in the admin
area and people see their own in their data, both with the readable labels below: every
event name the code writes (a test greps the code for `audit("...")` and fails on one
missing here), and the details' keys. The labels are English, marked with `N_`;
`event_label`, `event_kinds` and `detail_lines` give them in the request's language (the
details' values are shown as they were recorded)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext
from sqlalchemy import Index, Integer, String, Text, or_
from sqlalchemy.orm import Mapped, mapped_column

from .columns import link, row_id, timestamp
from .extensions import db
from .i18n import N_
from .personal_data import KEEP, Item, declare


class Person(Protocol):
    id: Any
    organisation_id: Any


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to whose record: decisions, certificates, views of a person, exports."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = row_id()
    # Whose log it is in (the subject's organisation, else the actor's); kept when either
    # person is erased.
    organisation_id: Mapped[int | None] = link("organisation", index=True)
    at: Mapped[datetime] = timestamp(now=True)
    actor_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    action: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")


declare(Item("audit_events_about_you", AuditEvent, title=N_("The audit log, where it names you"),
             description=N_("Who did what to whose record: what you did, and what others did to "
                            "your record (views of it, decisions, exports)."),
             links=("actor_id", "subject_id"),
             where=lambda p: or_(AuditEvent.subject_id == p.id, AuditEvent.actor_id == p.id),
             erasure=KEEP,
             on_erasure=N_("Kept for accountability until the audit retention period ends; it "
                           "then points at an \"Erased person\".")))


def audit(action: str, actor: Person | None, subject: Person | None = None,
          obj: Any = None, *, organisation_id: int | None = None, **detail: Any) -> None:
    """Log it in the subject's organisation, else the one named (an operator acting in an
    organisation not their own), else the actor's."""
    owner = subject or actor
    if subject is None and organisation_id is not None:
        in_organisation: int | None = organisation_id
    else:
        in_organisation = owner.organisation_id if owner else None
    db.session.add(AuditEvent(
        organisation_id=in_organisation,
        action=action, actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None), detail_json=json.dumps(detail, default=str),
    ))


EVENT_LABELS: dict[str, str] = {
    "admin.login": N_("Signed in at the admin sign-in page"),
    "operator.organisation": N_("Operator opened an organisation"),
    "person.view": N_("Opened a person's record"),
    "person.erase": N_("Erased a person's records"),
    "people.search": N_("Searched people"),
    "privacy.export": N_("Downloaded their own data"),
    "privacy.erasure_request": N_("Asked for their records to be erased"),
    "report.export": N_("Exported a report (CSV)"),
    "report.people.export": N_("Exported everyone's progress (CSV)"),
    "report.list.view": N_("Opened a named list from the reports"),
    "programme.people.view": N_("Opened a programme's list of people"),
    "programme.enrol": N_("Enrolled in a programme"),
    "programme.reenrol": N_("Enrolled again after a lapse"),
    "programme.rehearsal.names": N_("Listed who a draft programme would move"),
    "attestation.sign": N_("Signed a programme agreement"),
    "hours.log": N_("Logged hours"),
    "hours.approve": N_("Approved logged hours"),
    "hours.reject": N_("Rejected logged hours"),
    "hours.resubmit": N_("Corrected and resent logged hours"),
    "hours.edit": N_("Edited logged hours awaiting approval"),
    "hours.withdraw": N_("Withdrew logged hours"),
    "hours.reflection_delete": N_("Deleted the text of a reflection"),
    "supervisor.assign": N_("Assigned a supervisor"),
    "supervisor.unassign": N_("Removed a supervisor"),
    "waiver.grant": N_("Recognised prior learning (waiver)"),
    "deadline.extend": N_("Extended a programme deadline"),
    "certificate.issue": N_("Certificate issued"),
    "roleplay.observe": N_("Role-play observed and marked"),
    "certificate.renew": N_("Certificate renewed"),
    "certificate.revoke": N_("Certificate revoked"),
    "certificate.reminder": N_("Renewal reminder came due"),
    "directory.opt_in": N_("Listed themselves as a peer supporter"),
    "directory.opt_out": N_("Left the peer supporter directory"),
    "quiz.extra_attempt": N_("Gave one more quiz try"),
    "quiz.cooldown_lift": N_("Lifted a quiz's wait before a retake"),
}

DETAIL_LABELS: dict[str, str] = {
    "reason": N_("Reason"),
    "programme": N_("Programme"),
    "quiz": N_("Quiz"),
    "query": N_("Search"),
    "report": N_("Report"),
    "state": N_("Stage"),
    "course": N_("Course"),
    "department": N_("Department"),
    "format": N_("As"),
    "page": N_("Page"),
    "removed": N_("Removed"),
    "sort": N_("Sorted by"),
    "requirement": N_("Requirement"),
    "evidence": N_("Evidence"),
    "hours": N_("Hours"),
    "kind": N_("Activity"),
    "organisation": N_("Organisation"),
    "days_before": N_("Days before expiry"),
    "previous_certificate": N_("Earlier certificate"),
    "draft_version": N_("Draft version"),
    "moved": N_("People moved"),
}


def event_label(action: str) -> str:
    """The label, else the name made readable ("quiz.extra_attempt" -> "Quiz: extra
    attempt") for an event added after this list."""
    if action in EVENT_LABELS:
        return gettext(EVENT_LABELS[action])
    head, _, tail = action.partition(".")
    words = f"{head}: {tail}" if tail else head
    return words.replace("_", " ").replace(".", " ").capitalize()


def event_kinds() -> list[tuple[str, str]]:
    """Every (event name, label), in the order of their labels, for the audit log's filter."""
    return sorted(((action, gettext(label)) for action, label in EVENT_LABELS.items()),
                  key=lambda kv: kv[1])


def detail_lines(detail_json: str, names: Mapping[str, str]) -> list[tuple[str, str]]:
    """An event's details as (label, text) pairs; content slugs shown by their title."""
    try:
        detail = json.loads(detail_json or "{}")
    except ValueError:
        return []
    if not isinstance(detail, dict):
        return []
    lines = []
    for key, value in detail.items():
        if value in (None, "", {}, []):
            continue
        label = (gettext(DETAIL_LABELS[key]) if key in DETAIL_LABELS
                 else key.replace("_", " ").capitalize())
        lines.append((label, _text(value, names)))
    return lines


def _text(value: Any, names: Mapping[str, str]) -> str:
    if isinstance(value, dict):
        parts = [f"{names.get(k, k.replace('_', ' '))}: {_text(v, names)}"
                 for k, v in value.items() if v]
        return ", ".join(parts) if parts else gettext("nothing")
    if isinstance(value, list):
        return ", ".join(_text(v, names) for v in value)
    text = str(value)
    return names.get(text, text)
