"""Enrolments, logged hours, attestations, waivers and certificates (the audit log is
lms_plugin/audit.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import PersonRecord, content_slug, content_version, link, row_id, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import (
    ANONYMISE,
    DELETE,
    KEEP,
    KEPT_FOR_OTHERS,
    REMOVED,
    Item,
    Person,
    declare,
    kept,
    yours,
)
from ..users.models import User

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
PRACTICE, TRAINING, CONTINUING = "practice", "training", "continuing"


class ProgrammeEnrolment(PersonRecord, db.Model):  # type: ignore[name-defined]
    __tablename__ = "programme_enrolment"
    __table_args__ = (UniqueConstraint("user_id", "programme_slug"),)

    programme_slug: Mapped[str] = content_slug()
    enrolled_at: Mapped[datetime] = timestamp(now=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    # Enrolled afresh after a lapse: earlier certificates become history, and the
    # programme's `reenrolment` rule says which earlier hours count again.
    reenrolled_at: Mapped[datetime | None] = timestamp()

    user: Mapped[User] = relationship()


declare(yours("programme_enrolments", ProgrammeEnrolment, title=N_("Peer-supporter programmes"),
              description=N_("The certification programmes you enrolled in, when (and when again, "
                             "after a lapse), and deadline extensions.")))


class LoggedHours(db.Model):  # type: ignore[name-defined]
    """Supervised practice, supervision, training or continuing education, as logged by a
    trainee and decided by a supervisor. Never anything that identifies the person
    supported (the form refuses obvious identifiers)."""

    __tablename__ = "logged_hours"
    __table_args__ = (Index("ix_logged_hours_trainee", "user_id", "programme_slug"),
                      Index("ix_logged_hours_supervisor", "supervisor_id", "status"))

    id: Mapped[int] = row_id()
    user_id: Mapped[int] = link("user")
    programme_slug: Mapped[str] = content_slug()
    category: Mapped[str] = mapped_column(String(20))  # practice | training | continuing
    kind: Mapped[str] = content_slug()  # activity kind or domain
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    activity_date: Mapped[datetime] = timestamp()
    supervisor_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    reflection: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    decided_by_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    decided_at: Mapped[datetime | None] = timestamp()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = timestamp(now=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])


declare(yours("logged_hours", LoggedHours, title=N_("Hours you logged"),
              description=N_("Your supervised practice, training and continuing education: date, "
                             "hours, kind, your reflection, your supervisor and their decision.")),
        Item("hours_you_supervised", LoggedHours, title=N_("Hours sent to you to decide"),
             description=N_("Entries trainees sent you as their supervisor, and your decisions "
                            "and reasons. Their reflections are theirs and are not shown here."),
             links=("supervisor_id", "decided_by_id"),
             where=lambda p: or_(LoggedHours.supervisor_id == p.id,
                                 LoggedHours.decided_by_id == p.id),
             erasure=KEEP, on_erasure=KEPT_FOR_OTHERS, hidden=frozenset({"reflection"})))


class AttestationSignature(PersonRecord, db.Model):  # type: ignore[name-defined]
    __tablename__ = "attestation_signature"
    __table_args__ = (UniqueConstraint("user_id", "programme_slug", "attestation_id"),)

    programme_slug: Mapped[str] = content_slug()
    attestation_id: Mapped[str] = content_slug()
    programme_version: Mapped[str] = content_version()
    signed_at: Mapped[datetime] = timestamp(now=True)


declare(yours("attestations", AttestationSignature, title=N_("Agreements you signed"),
              description=N_("Each programme agreement you signed, when, and its version.")))


class Waiver(PersonRecord, db.Model):  # type: ignore[name-defined]
    """Prior learning recognised by an admin, with the evidence and the reason."""

    __tablename__ = "waiver"
    __table_args__ = (UniqueConstraint("user_id", "programme_slug", "requirement_id"),)

    programme_slug: Mapped[str] = content_slug()
    requirement_id: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    granted_at: Mapped[datetime] = timestamp(now=True)


declare(yours("waivers", Waiver, title=N_("Prior learning recognised for you"),
              description=N_("Requirements an admin waived for you, with the evidence they saw "
                             "and why.")),
        kept("waivers_you_granted", Waiver, title=N_("Waivers you granted"),
             description=N_("Requirements you waived for others as an admin, with your reason."),
             column="granted_by_id", hidden=frozenset({"evidence"})))


class Certificate(PersonRecord, db.Model):  # type: ignore[name-defined]
    """Issued on the evidence snapshotted in it, under the programme version it names.
    `current_key` is set only on a person's current certificate for a programme, and is
    unique: two racing issues cannot both make one."""

    __tablename__ = "certificate"

    programme_slug: Mapped[str] = content_slug()
    programme_version: Mapped[str] = content_version()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    holder_name: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = timestamp(now=True)
    expires_at: Mapped[datetime] = timestamp()
    revoked_at: Mapped[datetime | None] = timestamp()
    revoked_by_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    renewal_of_id: Mapped[int | None] = link("certificate", ondelete=None)
    current_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    evidence_json: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys="Certificate.user_id")

    @property
    def evidence(self) -> dict[str, Any]:
        return json.loads(self.evidence_json)

    @classmethod
    def in_force(cls) -> ColumnElement[bool]:
        """The condition for a person's current, unrevoked certificate of a programme
        (whether it has expired is `state_at`'s to say)."""
        return and_(cls.current_key.is_not(None), cls.revoked_at.is_(None))

    @classmethod
    def current(cls, user_id: int, slug: str) -> Certificate | None:
        """The person's current, unrevoked certificate of a programme, if any: the one
        query for it (whether it has expired is `state_at`'s to say)."""
        return db.session.scalars(select(cls).where(
            cls.user_id == user_id, cls.programme_slug == slug, cls.in_force())).first()

    def state_at(self, now: datetime) -> str:
        if self.revoked_at is not None and _aware(self.revoked_at) <= now:
            return "revoked"
        return "current" if _aware(self.expires_at) > now else "expired"


def _minimal_certificates(person: Person) -> None:
    db.session.execute(update(Certificate).where(Certificate.user_id == person.id)
                       .values(evidence_json="{}"))


declare(Item("certificates", Certificate, title=N_("Your certificates"),
             description=N_("Each certificate: its code, programme, dates, and the evidence it "
                            "was issued on."),
             links=("user_id",), where=lambda p: Certificate.user_id == p.id, erasure=ANONYMISE,
             on_erasure=N_("Kept as a minimal record (name, programme, dates, code) so it can "
                           "still be verified or revoked; the evidence is removed."),
             anonymise=_minimal_certificates),
        kept("certificates_you_revoked", Certificate, title=N_("Certificates you revoked"),
             description=N_("Certificates you revoked as an admin, and your reason."),
             column="revoked_by_id", hidden=frozenset({"evidence_json", "holder_name"})))


class SupervisorAssignment(db.Model):  # type: ignore[name-defined]
    """A supervisor assigned to a trainee by an admin (besides LTI `role_scope_mentor`)."""

    __tablename__ = "supervisor_assignment"
    __table_args__ = (UniqueConstraint("supervisor_id", "trainee_id"),)

    id: Mapped[int] = row_id()
    supervisor_id: Mapped[int] = link("user", index=True)
    trainee_id: Mapped[int] = link("user", index=True)
    assigned_by_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    assigned_at: Mapped[datetime] = timestamp(now=True)

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])


declare(yours("supervisors_assigned", SupervisorAssignment, title=N_("Supervisors assigned to you"),
              description=N_("Supervisors an admin assigned to you, and when."),
              column="trainee_id"),
        yours("trainees_assigned_to_you", SupervisorAssignment,
              title=N_("Trainees assigned to you"),
              description=N_("Trainees an admin assigned you to supervise, and when."),
              column="supervisor_id"),
        kept("assignments_you_made", SupervisorAssignment,
             title=N_("Supervisor assignments you made"),
             description=N_("Supervisors you assigned to trainees as an admin."),
             column="assigned_by_id"))


class Reminder(db.Model):  # type: ignore[name-defined]
    """A renewal reminder that came due (`days_before` expiry), recorded once per
    certificate and offset: shown to the holder in the tool and listed for admins."""

    __tablename__ = "certificate_reminder"
    __table_args__ = (UniqueConstraint("certificate_id", "days_before"),)

    id: Mapped[int] = row_id()
    certificate_id: Mapped[int] = link("certificate", index=True)
    days_before: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = timestamp()
    created_at: Mapped[datetime] = timestamp(now=True)
    seen_at: Mapped[datetime | None] = timestamp()

    certificate: Mapped[Certificate] = relationship()


def _reminders_of(person: Person) -> ColumnElement[bool]:
    return Reminder.certificate_id.in_(
        select(Certificate.id).where(Certificate.user_id == person.id))


declare(Item("certificate_reminders", Reminder, title=N_("Renewal reminders"),
             description=N_("Reminders that your certificate is due for renewal, and whether you "
                            "saw them."),
             links=("certificate_id",), where=_reminders_of, erasure=DELETE, on_erasure=REMOVED))


class DirectoryListing(db.Model):  # type: ignore[name-defined]
    """A certified peer supporter's opt-in entry in "Find a peer supporter". Shown only
    while they hold a current, unrevoked certificate (checked on every read)."""

    __tablename__ = "directory_listing"

    id: Mapped[int] = row_id()
    user_id: Mapped[int] = link("user", unique=True)
    contact: Mapped[str] = mapped_column(String(300))
    languages: Mapped[str] = mapped_column(String(200))
    availability: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = timestamp(now=True)

    user: Mapped[User] = relationship()


declare(yours("directory_listing", DirectoryListing, title=N_("Your Find-a-peer-supporter listing"),
              description=N_("How colleagues can reach you, your languages and availability, if "
                             "you listed yourself.")))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class RolePlayObservation(db.Model):  # type: ignore[name-defined]
    """A supervisor's marking of an observed role-play against the script's rubric
    (roleplays/<id>.yaml): competent or not yet on each criterion. Role-plays are scripted,
    so nothing here is about a real person supported; there is no free text."""

    __tablename__ = "roleplay_observation"
    __table_args__ = (Index("ix_roleplay_observation_trainee", "user_id", "programme_slug"),)

    id: Mapped[int] = row_id()
    user_id: Mapped[int] = link("user")
    programme_slug: Mapped[str] = content_slug()
    roleplay_id: Mapped[str] = content_slug()
    roleplay_version: Mapped[str] = content_version()
    supervisor_id: Mapped[int | None] = link("user", ondelete="SET NULL", index=True)
    marks_json: Mapped[str] = mapped_column(Text)  # {criterion id: competent | not_yet}
    competent: Mapped[bool] = mapped_column(default=False)
    observed_at: Mapped[datetime] = timestamp(now=True)

    trainee: Mapped[User] = relationship(foreign_keys=[user_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])

    @property
    def marks(self) -> dict[str, str]:
        value = json.loads(self.marks_json)
        return value if isinstance(value, dict) else {}


declare(yours("roleplay_observations", RolePlayObservation, title=N_("Role-plays observed"),
              description=N_("Scripted role-plays a supervisor observed: which script, when, who "
                             "marked it, and competent or not yet on each point of its rubric.")),
        kept("roleplays_you_observed", RolePlayObservation, title=N_("Role-plays you observed"),
             description=N_("Role-plays of trainees you marked as their supervisor."),
             column="supervisor_id"))
