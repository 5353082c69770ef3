"""The "training completed" certificate: issued once to every employee who completes all
the modules, separate from peer-supporter certification. It lives in the same Certificate
table (programme slug `training-complete`), so it is verified at /verify/<code> like the
others and belongs to the holder's organisation through its user."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..extensions import db
from ..training.rules import training_complete
from ..training.services import completed_modules, module_slugs
from ..users.models import User
from .certificates import new_code
from .clock import now
from .models import Certificate
from .signals import certificate_issued

TRAINING_SLUG = "training-complete"
TRAINING_TITLE = "Mental health at work: training completed"
TRAINING_DESCRIPTION = (
    "Completed every module of the workplace mental health training: how to notice when a "
    "colleague may be struggling, listen well, respond safely and point to the right help.")
# The certificate records something done, so it does not lapse; the table needs a date.
NO_EXPIRY = datetime(2999, 12, 31, tzinfo=UTC)


def get_training_certificate(user: User) -> Certificate | None:
    return db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.programme_slug == TRAINING_SLUG)
        .order_by(Certificate.id)).first()


def _version(evidence: dict[str, Any]) -> str:
    """The module versions it was issued under, as one short digest (kept, not shown)."""
    modules = evidence["modules"]
    joined = ";".join(f"{slug}:{modules[slug]['version']}" for slug in sorted(modules))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def issue_training_certificate_if_due(user: User) -> Certificate | None:
    """Issue the certificate the first time every module is complete; never twice (the
    unique `current_key` decides between racing requests). Returns it when new."""
    slugs = module_slugs()
    completions = completed_modules(user.id)
    if not training_complete(slugs, completions) or get_training_certificate(user) is not None:
        return None
    moment = now()
    evidence: dict[str, Any] = {"programme": TRAINING_SLUG, "modules": {
        slug: {"version": completions[slug].module_version,
               "completed_at": completions[slug].completed_at.isoformat()} for slug in slugs}}
    certificate = Certificate(
        user_id=user.id, programme_slug=TRAINING_SLUG,
        programme_version=_version(evidence),
        code=new_code(), holder_name=user.display_name, issued_at=moment,
        expires_at=NO_EXPIRY, current_key=f"{user.id}:{TRAINING_SLUG}",
        evidence_json=json.dumps(evidence))
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        return None  # issued by a concurrent request a moment ago
    audit("certificate.issue", None, user, certificate, programme=TRAINING_SLUG)
    certificate_issued.send(certificate, renewal=False)
    return certificate


def on_module_completed(user: User, module_slug: str) -> None:
    """Receiver of training's `module_completed`: the last module issues the certificate."""
    issue_training_certificate_if_due(user)
