"""Programmes and enrolments: the programme by slug, enrolling, an admin's deadline
extension and prior-learning waiver, and what a programme lets people log."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select

from ..audit import audit
from ..content.loader import ProgrammeContent
from ..content.services import get_catalog
from ..extensions import db
from ..users.models import User
from .clock import now
from .entries import continuing_kinds, training_kinds
from .models import ProgrammeEnrolment, Waiver


class CertificationError(Exception):
    """Something a person asked for that the rules do not allow; the message says why,
    and `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def get_programme(slug: str) -> ProgrammeContent:
    programme = get_catalog().programmes.get(slug)
    if programme is None:
        raise CertificationError(gettext("There is no programme called %(slug)s.",
                                         slug=repr(slug)))
    return programme


def get_enrolment(user: User, slug: str) -> ProgrammeEnrolment | None:
    return db.session.scalars(select(ProgrammeEnrolment).where(
        ProgrammeEnrolment.user_id == user.id, ProgrammeEnrolment.programme_slug == slug)).first()


def enrol(user: User, slug: str) -> ProgrammeEnrolment:
    get_programme(slug)
    enrolment = get_enrolment(user, slug)
    if enrolment is None:
        enrolment = ProgrammeEnrolment(user_id=user.id, programme_slug=slug, enrolled_at=now())
        db.session.add(enrolment)
        db.session.flush()
        audit("programme.enrol", user, user, enrolment, programme=slug)
    return enrolment


def extend_deadline(enrolment: ProgrammeEnrolment, admin: User, reason: str) -> None:
    """The provisional deadline may be extended, at most as often as the programme says."""
    allowed = get_programme(enrolment.programme_slug).document.provisional.max_extensions
    if enrolment.extensions >= allowed:
        raise CertificationError(gettext(
            "The deadline has already been extended as far as the programme allows."))
    if not reason.strip():
        raise CertificationError(gettext("Give a reason for the extension."))
    enrolment.extensions += 1
    db.session.flush()
    audit("deadline.extend", admin, enrolment.user, enrolment, reason=reason.strip())


def grant_waiver(user: User, slug: str, requirement_id: str, admin: User, evidence: str,
                 reason: str) -> Waiver:
    programme = get_programme(slug).document
    group = requirement_id.split(":", 1)[0]
    if requirement_id not in programme.waivable and group not in programme.waivable:
        raise CertificationError(gettext(
            "This programme does not allow that requirement to be waived."))
    if not evidence.strip() or not reason.strip():
        raise CertificationError(gettext("A waiver needs the evidence seen and a reason."))
    waiver = Waiver(user_id=user.id, programme_slug=slug, requirement_id=requirement_id,
                    evidence=evidence.strip(), reason=reason.strip(), granted_by_id=admin.id)
    db.session.add(waiver)
    db.session.flush()
    audit("waiver.grant", admin, user, waiver, requirement=requirement_id)
    return waiver


def continuing_domains(slug: str) -> list[str]:
    return continuing_kinds(get_programme(slug).document)


def training_domains(slug: str) -> list[str]:
    """What structured training can be logged against: the programme's domains, or
    "general" when it asks only for a total."""
    return training_kinds(get_programme(slug).document)
