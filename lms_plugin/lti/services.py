"""What a launch records: the person, their course and enrolment, and where their
grades go (Assignment and Grade Services)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.dialects import postgresql

from ..extensions import db
from ..i18n import supported
from ..upsert import insert_for, upsert_only
from ..users.models import ADMIN, MENTOR, Course, Enrollment, User, course_name
from ..users.roles import map_roles
from ..users.services import set_mentor_scope
from .claims import LaunchClaims
from .landing import Fact
from .models import AgsEndpoint

SENT_PERSON = ("name", "email", "department", "locale")  # kept when a launch omits them
SENT_COURSE = ("title", "label", "memberships_url")


@dataclass(frozen=True, eq=False)
class LaunchedPerson(UserMixin):
    """The person a launch recorded, as its upsert returned them: enough to sign them in
    and choose where they land, with no ORM object loaded (nothing is read after the
    launch's commit; later requests load the `User` by id)."""

    id: int
    sub: str
    session_version: int
    organisation_id: int  # what `users.sessions.current_organisation_id` reads

    def get_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class LaunchedCourse:
    """The course a launch recorded, as its upsert returned it."""

    id: int
    memberships_url: str | None
    roster_synced_at: datetime | None
    shown_as: str  # how pages name it (users.models.course_name)


@dataclass
class LaunchIdentity:
    user: LaunchedPerson
    course: LaunchedCourse | None
    roles: set[str]
    facts: dict[str, bool] = field(default_factory=dict)


def _merged(stmt: Any, table: sa.Table, columns: tuple[str, ...]) -> dict[str, Any]:
    """What a launch sent replaces what was stored; what it left out (None) is kept."""
    return {name: sa.func.coalesce(stmt.excluded[name], table.c[name]) for name in columns}


COURSE_READ = ("id", "memberships_url", "roster_synced_at", *SENT_COURSE[:2])


ENROL = ("roles", "last_seen_at", "source", "active")  # what a launch sets on its enrolment
AGS = ("course_id", "module_slug", "lineitems_url", "lineitem_url", "scopes", "updated_at")


@cache
def _person_statement(dialect: str, quoted_table: str,
                      facts: tuple[tuple[str, Fact], ...], with_course: bool,
                      with_ags: bool = False) -> Any:
    """The person's upsert, made once per dialect, set of facts, whether the launch names
    a course and whether it brings an AGS claim, returning their id, session version, each
    fact and the course as stored (None if new), in one statement. The admin role is the
    launch's; a launch without it raises the session version (ending the person's other
    sessions, whose signed cookies still carry the role) when the stored row had it.

    On PostgreSQL the enrolment and the AGS endpoint are upserted in the same statement
    (data-modifying CTEs reading the person's id and the stored course's), when the course
    is already stored (or the launch names none, for the AGS endpoint); a new course's are
    written after its own upsert (`record_launch`). Every part sees the database as it
    was before the statement, as the separate statements did in this order."""
    table = User.__table__
    names = ("organisation_id", "issuer", "sub", "last_launch_at", "admin_role", *SENT_PERSON)
    # Every column given (the CTE's INSERT gets no Python-side defaults from SQLAlchemy).
    stmt = insert_for(dialect)(table).values({
        **{n: sa.bindparam(n) for n in names},
        "created_at": sa.bindparam("last_launch_at"), "session_version": 1})
    lost_admin = sa.and_(table.c.admin_role, sa.not_(stmt.excluded.admin_role))
    # A fact's condition names the row's id as the statement's own table: RETURNING sees
    # the row just written (a column object would pull "user" into the fact's FROM).
    person_id: sa.ColumnElement[Any] = sa.literal_column(quoted_table + ".id")
    read: list[sa.ColumnElement[Any]] = [
        fact(person_id).label(f"fact_{i}") for i, (_, fact) in enumerate(facts)]
    if with_course:  # read, not written: the course is every launch's row (see record_launch)
        course = Course.__table__
        where = (course.c.organisation_id == sa.bindparam("course_organisation_id"),
                 course.c.issuer == sa.bindparam("course_issuer"),
                 course.c.context_id == sa.bindparam("context_id"))
        read += [sa.select(course.c[name]).where(*where).scalar_subquery().label(
            f"course_{name}") for name in COURSE_READ]
    person = stmt.on_conflict_do_update(
        index_elements=["organisation_id", "issuer", "sub"],
        set_={"last_launch_at": stmt.excluded.last_launch_at,
              **_merged(stmt, table, SENT_PERSON),
              "admin_role": stmt.excluded.admin_role,
              "session_version": sa.case((lost_admin, table.c.session_version + 1),
                                         else_=table.c.session_version)},
    ).returning(table.c.id.label("id"), table.c.session_version.label("session_version"),
                *read)
    if dialect != "postgresql" or not (with_course or with_ags):
        return person
    written = person.cte("launched_person")
    parts = []
    if with_course:
        parts.append(_from_person(Enrollment.__table__, written, ("user_id", "course_id"), {
            "course_id": written.c.course_id,
            **{name: sa.bindparam("enrol_" + name) for name in ENROL}}, with_course))
    if with_ags:
        parts.append(_from_person(
            AgsEndpoint.__table__, written, ("user_id", "platform_id", "resource_link_id"),
            {"platform_id": sa.bindparam("ags_platform_id"),
             "resource_link_id": sa.bindparam("ags_resource_link_id"),
             **{name: sa.bindparam("ags_" + name) for name in AGS},
             **({"course_id": written.c.course_id} if with_course else {})}, with_course))
    query = sa.select(written)
    for i, part in enumerate(parts):
        query = query.add_cte(part.cte(f"launched_{i}"))
    return query


def _from_person(table: sa.Table, written: Any, keys: tuple[str, ...],
                 values: Mapping[str, Any], needs_course: bool) -> Any:
    """An upsert of `table`'s row for the person the CTE `written` returned, setting every
    column of `values` but the keys on conflict; with `needs_course`, nothing when the
    course is not stored yet (its id NULL: written after the course's upsert)."""
    given = {"user_id": written.c.id, **values}
    columns = list(given)
    select = sa.select(*(sa.cast(v, table.c[k].type) if isinstance(v, sa.BindParameter)
                         else v for k, v in given.items()))
    if needs_course:
        select = select.where(written.c.course_id.is_not(None))
    stmt = postgresql.insert(table).from_select(columns, select, include_defaults=False)
    set_ = {k: stmt.excluded[k] for k in columns if k not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)


@cache
def _course_statement(dialect_name: str) -> Any:
    table = Course.__table__
    names = ("organisation_id", "issuer", "context_id", *SENT_COURSE)
    stmt = insert_for(dialect_name)(table).values({n: sa.bindparam(n) for n in names})
    return stmt.on_conflict_do_update(
        index_elements=["organisation_id", "issuer", "context_id"],
        set_=_merged(stmt, table, SENT_COURSE),
    ).returning(*(table.c[name] for name in COURSE_READ))


def record_launch(claims: LaunchClaims, organisation_id: int,
                  facts: Mapping[str, Fact] | None = None,
                  platform_id: int | None = None) -> LaunchIdentity:
    """Upsert the person, course and enrolment a validated launch describes, in the
    organisation of the platform that signed it, and, given the platform's id, the AGS
    endpoint (where the person's grades go); Core statements made once: launches arriving
    together never both insert, and no ORM object is loaded; no commit. Name, e-mail,
    department and locale only when sent, and replaced by what the platform sends now.
    `facts` about the person (see `lti.landing`) are read in the person's statement, and
    so is the course: a course every launch in it would update (and lock until its commit)
    is upserted only when it is new or the launch changes it, so launches in one course
    never wait on each other. On PostgreSQL the enrolment and AGS endpoint are written in
    the person's statement when the course is stored (one statement); on SQLite, or for
    a new course, each is its own upsert after it."""
    now = datetime.now(UTC)
    department_claim = current_app.config.get("LMS_PLUGIN_DEPARTMENT_CLAIM") or "department"
    sent = {"name": claims.name, "email": claims.email,
            "department": claims.custom_text(department_claim, 120),
            "locale": supported(claims.locale)}
    roles = map_roles(claims.lti_roles)
    enrolment = {"roles": " ".join(sorted(roles)), "last_seen_at": now, "source": "launch",
                 "active": True}  # the columns ENROL names
    dialect = db.session.get_bind().dialect
    named = tuple((facts or {}).items())
    context_id = claims.context_id
    ags = _ags_values(claims, now) if platform_id is not None else None
    person_stmt = _person_statement(
        dialect.name, dialect.identifier_preparer.format_table(User.__table__), named,
        context_id is not None, ags is not None)
    params: dict[str, Any] = {
        "organisation_id": organisation_id, "issuer": claims.issuer, "sub": claims.sub,
        "last_launch_at": now, "admin_role": ADMIN in roles,
        **{k: v or None for k, v in sent.items()},
        "course_organisation_id": organisation_id, "course_issuer": claims.issuer,
        "context_id": context_id, **{"enrol_" + k: v for k, v in enrolment.items()}}
    if ags is not None:
        params.update({"ags_platform_id": platform_id, "ags_resource_link_id":
                       claims.resource_link_id, **{"ags_" + k: v for k, v in ags.items()}})
    row = db.session.execute(person_stmt, params).one()
    person = LaunchedPerson(id=row[0], sub=claims.sub, session_version=row[1],
                            organisation_id=organisation_id)
    known = {name: bool(row[i + 2]) for i, (name, _) in enumerate(named)}
    # What the person's statement wrote besides (PostgreSQL, the course already stored).
    folded = dialect.name == "postgresql"
    course = None
    if context_id is not None:
        given = {"title": claims.context_title, "label": claims.context_label,
                 "memberships_url": claims.memberships_url}
        stored = dict(zip(COURSE_READ, row[2 + len(named):], strict=True))
        folded = folded and stored["id"] is not None
        if stored["id"] is None or any(v and v != stored[k] for k, v in given.items()):
            found = db.session.execute(_course_statement(dialect.name), {
                "organisation_id": organisation_id, "issuer": claims.issuer,
                "context_id": context_id, **{k: v or None for k, v in given.items()}}).one()
            stored = dict(zip(COURSE_READ, found, strict=True))
        course = LaunchedCourse(id=stored["id"], memberships_url=stored["memberships_url"],
                                roster_synced_at=stored["roster_synced_at"],
                                shown_as=course_name(stored["title"], stored["label"],
                                                     context_id))
        if not folded:
            upsert_only(Enrollment, {"user_id": person.id, "course_id": course.id}, enrolment)
    if ags is not None and not folded:
        upsert_only(AgsEndpoint, {"user_id": person.id, "platform_id": platform_id,
                                  "resource_link_id": claims.resource_link_id},
                    {**ags, "course_id": course.id if course else None})
    if MENTOR in roles:
        set_mentor_scope(person.id, list(claims.mentees))
    return LaunchIdentity(user=person, course=course, roles=roles, facts=known)


def _ags_values(claims: LaunchClaims, now: datetime) -> dict[str, Any] | None:
    """What the AGS endpoint keeps of a launch (its course aside); None without an AGS
    claim for a resource link."""
    if not claims.has_ags or claims.resource_link_id is None:
        return None
    module = claims.custom.get("module")
    return {"course_id": None, "module_slug": module[:80] if module else None,
            "lineitems_url": claims.lineitems_url, "lineitem_url": claims.lineitem_url,
            "scopes": " ".join(claims.ags_scopes), "updated_at": now}
