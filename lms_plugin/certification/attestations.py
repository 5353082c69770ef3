"""Signing a programme's attestations (which may complete the requirements)."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select

from ..audit import audit
from ..extensions import db
from ..users.models import User
from .certificates import issue_certificate_if_due
from .clock import now
from .enrolments import CertificationError, get_enrolment, get_programme
from .models import AttestationSignature, Certificate


def sign_attestation(user: User, slug: str, attestation_id: str) -> Certificate | None:
    programme = get_programme(slug)
    if attestation_id not in {a.id for a in programme.document.attestations}:
        raise CertificationError(gettext("There is no such attestation in this programme."))
    if get_enrolment(user, slug) is None:
        raise CertificationError(gettext("Enrol in the programme first."))
    exists = db.session.scalar(select(AttestationSignature.id).where(
        AttestationSignature.user_id == user.id, AttestationSignature.programme_slug == slug,
        AttestationSignature.attestation_id == attestation_id))
    if exists is None:
        db.session.add(AttestationSignature(
            user_id=user.id, programme_slug=slug, attestation_id=attestation_id,
            programme_version=programme.version, signed_at=now()))
        db.session.flush()
        audit("attestation.sign", user, user, None, programme=slug, attestation=attestation_id)
    return issue_certificate_if_due(user, slug)
