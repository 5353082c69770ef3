"""What a launch records: the person, their course and enrolment, and where their
grades go (Assignment and Grade Services)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, literal_column

from ..extensions import db
from ..i18n import supported
from ..upsert import upsert, upsert_only, upsert_statement
from ..users.models import ADMIN, MENTOR, Course, Enrollment, User
from ..users.roles import map_roles
from ..users.services import note_admin_role, set_mentor_scope
from .claims import LaunchClaims
from .landing import Fact
from .models import AgsEndpoint


@dataclass
class LaunchIdentity:
    user: User
    course: Course | None
    roles: set[str]
    facts: dict[str, bool] = field(default_factory=dict)


def _upsert_person(keys: Mapping[str, Any], update: Mapping[str, Any],
                   facts: Mapping[str, Fact]) -> tuple[User, dict[str, bool]]:
    """The person's upsert, returning the row and each fact about it, in one statement."""
    dialect = db.session.get_bind().dialect
    person_id: ColumnElement[Any] = literal_column(
        dialect.identifier_preparer.format_table(User.__table__) + ".id")
    names = list(facts)
    stmt = upsert_statement(User, dialect.name, keys, update).returning(
        User, *(facts[name](person_id).label(f"fact_{i}") for i, name in enumerate(names)))
    row = db.session.execute(stmt, execution_options={"populate_existing": True}).one()
    return row[0], {name: bool(row[i + 1]) for i, name in enumerate(names)}


def record_launch(claims: LaunchClaims, organisation_id: int,
                  facts: Mapping[str, Fact] | None = None) -> LaunchIdentity:
    """Upsert the person, course and enrolment a validated launch describes, in the
    organisation of the platform that signed it (one statement each: launches arriving
    together never both insert); flush, no commit. Name, e-mail and department only when
    sent, and replaced by what the platform sends now. `facts` about the person (see
    `lti.landing`) are read in the person's statement."""
    now = datetime.now(UTC)
    department_claim = current_app.config.get("LMS_PLUGIN_DEPARTMENT_CLAIM") or "department"
    sent = {"name": claims.name, "email": claims.email,
            "department": claims.custom_text(department_claim, 120),
            "locale": supported(claims.locale)}
    user, known = _upsert_person(
        {"organisation_id": organisation_id, "issuer": claims.issuer, "sub": claims.sub},
        {"last_launch_at": now, **{k: v for k, v in sent.items() if v}}, facts or {})
    roles = map_roles(claims.lti_roles)
    note_admin_role(user, ADMIN in roles)
    course = None
    if claims.context_id is not None:
        given = {"title": claims.context_title, "label": claims.context_label,
                 "memberships_url": claims.memberships_url}
        course = upsert(Course, {"organisation_id": organisation_id, "issuer": claims.issuer,
                                 "context_id": claims.context_id},
                        {k: v for k, v in given.items() if v})
        upsert_only(Enrollment, {"user_id": user.id, "course_id": course.id},
               {"roles": " ".join(sorted(roles)), "last_seen_at": now, "source": "launch",
                "active": True})
    db.session.flush()
    if MENTOR in roles:
        set_mentor_scope(user, list(claims.mentees))
    return LaunchIdentity(user=user, course=course, roles=roles, facts=known)


def record_ags_endpoint(user: User, platform_id: int, course: Course | None,
                        claims: LaunchClaims) -> bool:
    """Keep the AGS claim of this person's latest launch from this resource link (one
    upsert, like the person's: the same person launching twice at once is one row).
    False when the launch carries no AGS claim for a resource link."""
    if not claims.has_ags or claims.resource_link_id is None:
        return False
    module = claims.custom.get("module")
    upsert_only(AgsEndpoint, {"user_id": user.id, "platform_id": platform_id,
                         "resource_link_id": claims.resource_link_id},
           {"course_id": course.id if course else None,
            "module_slug": module[:80] if module else None,
            "lineitems_url": claims.lineitems_url,
            "lineitem_url": claims.lineitem_url,
            "scopes": " ".join(claims.ags_scopes),
            "updated_at": datetime.now(UTC)})
    return True

