"""Record who launched, from where, in which role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..upsert import upsert
from .models import ADMIN, MENTOR, Course, Enrollment, MentorScope, User
from .roles import map_roles

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def _department(claims: dict[str, Any]) -> str | None:
    """The cohort for reports, from the custom claim the admin configured."""
    name = current_app.config.get("LMS_PLUGIN_DEPARTMENT_CLAIM") or "department"
    custom = claims.get(CLAIM + "custom")
    if not isinstance(custom, dict):
        return None
    value = custom.get(name)
    if not isinstance(value, str) or value.startswith("$"):  # an unexpanded substitution
        return None
    return _text(value.strip(), 120)


@dataclass
class LaunchIdentity:
    user: User
    course: Course | None
    roles: set[str]


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def record_launch(claims: dict[str, Any], organisation_id: int) -> LaunchIdentity:
    """Upsert the user, course and enrolment a validated launch describes, in the
    organisation of the platform that signed it; flush, no commit."""
    now = datetime.now(UTC)
    issuer, sub = claims["iss"], str(claims["sub"])
    # Name and email only when sent, and replaced by what the platform sends now.
    parts = (_text(claims.get("given_name"), 120), _text(claims.get("family_name"), 120))
    sent = {"name": _text(claims.get("name"), 255) or " ".join(p for p in parts if p) or None,
            "email": _text(claims.get("email"), 320), "department": _department(claims)}
    user = upsert(User, {"organisation_id": organisation_id, "issuer": issuer, "sub": sub},
                  {"last_launch_at": now, **{k: v for k, v in sent.items() if v}})
    roles = map_roles(claims.get(CLAIM + "roles") or [])
    note_admin_role(user, ADMIN in roles)
    course = None
    context = claims.get(CLAIM + "context")
    if isinstance(context, dict) and _text(context.get("id"), 255):
        nrps = claims.get(NRPS_CLAIM)
        given = {"title": _text(context.get("title"), 500),
                 "label": _text(context.get("label"), 255),
                 "memberships_url": _text(nrps.get("context_memberships_url"), 1000)
                 if isinstance(nrps, dict) else None}
        course = upsert(Course, {"organisation_id": organisation_id, "issuer": issuer,
                                 "context_id": str(context["id"])[:255]},
                        {k: v for k, v in given.items() if v})
        upsert(Enrollment, {"user_id": user.id, "course_id": course.id},
               {"roles": " ".join(sorted(roles)), "last_seen_at": now, "source": "launch",
                "active": True})
    db.session.flush()

    if MENTOR in roles:
        mentees = claims.get(CLAIM + "role_scope_mentor")
        if isinstance(mentees, list):
            set_mentor_scope(user, [str(m)[:255] for m in mentees if m])
    return LaunchIdentity(user=user, course=course, roles=roles)


def note_admin_role(user: User, is_admin: bool) -> None:
    """A launch without the admin role ends the person's other sessions that still carry
    it (roles travel in the signed session cookie, which cannot be taken back)."""
    if user.admin_role and not is_admin:
        end_sessions(user)
    user.admin_role = is_admin


def end_sessions(user: User) -> None:
    """End every session of this person, everywhere, at their next request."""
    user.session_version = (user.session_version or 1) + 1


def set_mentor_scope(mentor: User, mentee_subs: list[str]) -> None:
    """The platform's list is the truth: replace what we had."""
    db.session.execute(delete(MentorScope).where(MentorScope.mentor_id == mentor.id))
    for sub in dict.fromkeys(mentee_subs):
        db.session.add(MentorScope(mentor_id=mentor.id, mentee_sub=sub))
    db.session.flush()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
