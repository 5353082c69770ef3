"""Where a person stands in a programme: their evidence gathered from the database and
the pure rules' evaluation of it (certification/rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select

from ..content.loader import ProgrammeContent
from ..content.services import get_catalog
from ..extensions import db
from ..training.models import ModuleCompletion
from ..users.models import User
from .clock import aware, now
from .enrolments import get_enrolment, get_programme
from .entries import FIRST_TO_START
from .models import (
    APPROVED,
    CONTINUING,
    PRACTICE,
    TRAINING,
    AttestationSignature,
    Certificate,
    LoggedHours,
    ProgrammeEnrolment,
    Waiver,
)
from .observations import observations_of
from .rules import (
    CertificateRecord,
    Evaluation,
    Evidence,
    HoursEntry,
    ModuleResult,
    evaluate_programme,
)


def gather_evidence(user: User, enrolment: ProgrammeEnrolment) -> Evidence:
    slug = enrolment.programme_slug
    completions = db.session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == user.id))
    modules = {c.module_slug: ModuleResult(float(c.quiz_score or 100), aware(c.completed_at))
               for c in completions}
    approved = list(db.session.scalars(select(LoggedHours).where(
        LoggedHours.user_id == user.id, LoggedHours.programme_slug == slug,
        LoggedHours.status == APPROVED)))

    def entries(category: str) -> tuple[HoursEntry, ...]:
        return tuple(
            HoursEntry(h.kind, float(h.hours), _happened_by(h),
                       str(h.decided_by_id) if h.decided_by_id else None)
            for h in approved if h.category == category)

    signed = frozenset(db.session.scalars(select(AttestationSignature.attestation_id).where(
        AttestationSignature.user_id == user.id, AttestationSignature.programme_slug == slug)))
    waivers = frozenset(db.session.scalars(select(Waiver.requirement_id).where(
        Waiver.user_id == user.id, Waiver.programme_slug == slug)))
    certificates = tuple(
        CertificateRecord(aware(c.issued_at), aware(c.expires_at),
                          aware(c.revoked_at) if c.revoked_at else None)
        for c in db.session.scalars(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.programme_slug == slug)))
    return Evidence(
        enrolled_at=aware(enrolment.enrolled_at), modules=modules,
        training=entries(TRAINING), practice=entries(PRACTICE),
        continuing_education=entries(CONTINUING), attestations=signed, waivers=waivers,
        certificates=certificates, extensions=enrolment.extensions,
        reenrolled_at=aware(enrolment.reenrolled_at) if enrolment.reenrolled_at else None,
        observations=observations_of(user, slug),
    )


def _happened_by(entry: LoggedHours) -> datetime:
    """When the rules may count an entry. Its day is stored as noon UTC, which is still
    ahead of the clock for someone east of UTC who logs their today: such an entry counts
    from when it was logged (or, if corrected to a later day, from when that day began
    anywhere), so approving it counts it at once."""
    noon = aware(entry.activity_date)
    day_began = datetime.combine(noon.date(), time(0), FIRST_TO_START)
    return min(noon, max(aware(entry.created_at), day_began))


@dataclass(frozen=True)
class Standing:
    programme: ProgrammeContent
    enrolment: ProgrammeEnrolment
    evidence: Evidence
    evaluation: Evaluation
    certificate: Certificate | None


def latest_certificate(user: User, slug: str) -> Certificate | None:
    """The person's latest certificate of this programme, whatever its state (revoked or
    expired included): the programme page shows it with its state."""
    return db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.programme_slug == slug)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())).first()


def get_standing(user: User, slug: str, at: datetime | None = None) -> Standing | None:
    enrolment = get_enrolment(user, slug)
    if enrolment is None:
        return None
    programme = get_programme(slug)
    evidence = gather_evidence(user, enrolment)
    titles = {slug: m.meta.title for slug, m in get_catalog().modules.items()}
    evaluation = evaluate_programme(programme.document, evidence, at or now(), titles)
    return Standing(programme, enrolment, evidence, evaluation,
                    latest_certificate(user, slug))
