"""Certificates: issued (or renewed) the moment the rules say so, revoked by an admin,
found by verification code."""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask_babel import gettext
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from ..audit import audit
from ..extensions import db
from ..users.models import User
from .clock import now
from .enrolments import CertificationError
from .models import Certificate, ProgrammeEnrolment
from .rules import may_reenrol, next_expiry
from .signals import certificate_issued, certificate_revoked
from .standing import Standing, get_standing

# Verification codes: 20 characters from an alphabet without look-alikes (~100 bits).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


CODE_LENGTH = 20


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _snapshot(standing: Standing) -> str:
    evaluation = standing.evaluation
    reqs = evaluation.renewal_requirements if evaluation.eligible_to_renew else \
        evaluation.requirements
    return json.dumps({
        "programme": standing.programme.slug,
        "programme_version": standing.programme.version,
        "requirements": [{"id": r.id, "text": r.text, "have": r.have, "need": r.need,
                          "waived": r.waived} for r in reqs],
        "modules": {k: {"score": v.score, "completed_at": v.completed_at.isoformat()}
                    for k, v in standing.evidence.modules.items()},
    })


def issue_certificate_if_due(user: User, slug: str) -> Certificate | None:
    """Issue (or renew) the moment the rules are met. Exactly one current certificate per
    person and programme, even when two requests race: the unique `current_key` decides."""
    standing = get_standing(user, slug)
    if standing is None:
        return None
    evaluation = standing.evaluation
    if not (evaluation.eligible_to_certify or evaluation.eligible_to_renew):
        return None
    moment = now()
    previous = standing.certificate if evaluation.eligible_to_renew else None
    certificate = Certificate(
        user_id=user.id, programme_slug=slug, programme_version=standing.programme.version,
        code=new_code(), holder_name=user.display_name, issued_at=moment,
        expires_at=next_expiry(standing.programme.document, evaluation, moment),
        renewal_of_id=previous.id if previous else None,
        current_key=f"{user.id}:{slug}", evidence_json=_snapshot(standing),
    )
    try:
        with db.session.begin_nested():
            if previous is not None:
                previous.current_key = None
                db.session.flush()
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        return None  # another request issued it a moment ago
    audit("certificate.renew" if previous else "certificate.issue", None, user, certificate,
          programme=slug, expires_at=certificate.expires_at)
    certificate_issued.send(certificate, renewal=previous is not None)
    return certificate


def reevaluate(user: User) -> list[Certificate]:
    """After any change of evidence: issue every certificate the rules now say is due, in
    each programme the person is enrolled in. Never twice: see issue_certificate_if_due."""
    slugs = db.session.scalars(select(ProgrammeEnrolment.programme_slug).where(
        ProgrammeEnrolment.user_id == user.id).order_by(ProgrammeEnrolment.id))
    issued = []
    for slug in list(slugs):
        try:
            certificate = issue_certificate_if_due(user, slug)
        except CertificationError:  # a programme no longer in the catalogue
            continue
        if certificate is not None:
            issued.append(certificate)
    return issued


def reevaluate_after_module(user: User, **_: Any) -> None:
    """Receiver of training's `module_completed` signal."""
    reevaluate(user)


def revoke_certificate(certificate: Certificate, admin: User, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise CertificationError(gettext("Give a reason for revoking the certificate."))
    if certificate.revoked_at is None:
        certificate.revoked_at = now()
        certificate.revoked_by_id = admin.id
        certificate.revocation_reason = reason[:2000]
        audit("certificate.revoke", admin, certificate.user, certificate, reason=reason)
        db.session.flush()
        certificate_revoked.send(certificate)


_BY_CODE = select(Certificate).where(Certificate.code == bindparam("code"))
_BY_CODE_PUBLIC = _BY_CODE.options(defer(Certificate.evidence_json))


def get_certificate_by_code(code: str, public: bool = False) -> Certificate | None:
    """The certificate with this code; `public` (the verification page) leaves its
    evidence snapshot unread (a verifier sees none of it; read on access if ever needed).
    The statements are built once: verification is the tool's busiest public page."""
    code = code.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return db.session.scalars(_BY_CODE_PUBLIC if public else _BY_CODE, {"code": code}).first()


def reenrol(user: User, slug: str) -> ProgrammeEnrolment:
    """Enrol afresh after a lapse. The old certificate stays, as history: it is no longer
    the person's current one (so a new one can be issued), its code still verifies with
    its dates. What counts again is the programme's `reenrolment` rule (rules.py,
    `counted_evidence`); if that already meets every requirement, the new certificate is
    issued at once."""
    standing = get_standing(user, slug)
    if standing is None:
        raise CertificationError(gettext("Enrol in the programme first."))
    if not may_reenrol(standing.evaluation):
        raise CertificationError(gettext(
            "Only someone whose certification has lapsed can enrol again."))
    old = Certificate.current(user.id, slug)
    if old is not None:
        old.current_key = None
    enrolment = standing.enrolment
    enrolment.reenrolled_at = now()
    enrolment.extensions = 0
    db.session.flush()
    audit("programme.reenrol", user, user, enrolment, programme=slug,
          previous_certificate=old.id if old else None)
    issue_certificate_if_due(user, slug)
    return enrolment
