"""The audit log: who did what to whose record (decisions, certificates, views of a
person, exports). Every package writes it through `audit`; admins read it in the admin
area (`admin.labels` names each action)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .columns import link, row_id, timestamp
from .extensions import db


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
