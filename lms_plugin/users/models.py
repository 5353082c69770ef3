"""Learners, courses (LTI contexts) and enrolments, as the platforms describe them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import ColumnElement, String, UniqueConstraint, false, select, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import PersonRecord, link, row_id, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import ANONYMISE, DELETE, REMOVED, Item, Person, declare, row, yours

# Roles the tool knows, mapped from LTI role URIs (see users.roles).
LEARNER = "learner"
INSTRUCTOR = "instructor"
ADMIN = "admin"
MENTOR = "mentor"


class Organisation(db.Model):  # type: ignore[name-defined]
    """An employer running the programme. Every platform registration belongs to one, and
    so do the people, courses and audit events its launches bring; nobody sees or acts
    across that line (an operator, a local account so marked, is the one exception).
    Not the issuer: every Canvas school shares https://canvas.instructure.com."""

    __tablename__ = "organisation"

    id: Mapped[int] = row_id()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = timestamp(now=True)


class FromPlatform:
    """A mixin for what an LMS names, a person or a course: `id`, then the organisation and
    the platform's issuer it is known under (with the LMS's own id for it, `sub` or
    `context_id`, unique in the pair). (`sort_order` keeps the three first, as the
    migrations made them.)"""

    id: Mapped[int] = row_id(sort_order=-3)
    organisation_id: Mapped[int] = link("organisation", index=True, sort_order=-2)
    issuer: Mapped[str] = mapped_column(String(500), sort_order=-1)


class User(UserMixin, FromPlatform, db.Model):  # type: ignore[name-defined]
    """A person is (organisation, platform issuer, sub). Name and email only if the
    platform sends them."""

    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("organisation_id", "issuer", "sub"),)

    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    # Cohort for reports, from the configured LTI custom claim (LMS_PLUGIN_DEPARTMENT_CLAIM).
    department: Mapped[str | None] = mapped_column(String(120), index=True)
    # The language of the person's latest launch that named one the tool speaks ("es"):
    # their e-mails are written in it (pages follow each launch, see lms_plugin.i18n).
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = timestamp(now=True)
    last_launch_at: Mapped[datetime | None] = timestamp()
    # Sessions carry this number; raising it ends every session of the person at once
    # (erasure, losing the admin role, an operator's say).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Whether the person's latest launch made them an admin: a later launch without the
    # role ends their other sessions, which still carry it.
    admin_role: Mapped[bool] = mapped_column(default=False, server_default=false())

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="user")

    def get_id(self) -> str:
        return str(self.id)

    @property
    def display_name(self) -> str:
        return self.name or gettext("Learner")


ERASED_NAME = N_("Erased person")


def _forget_identity(person: User) -> None:
    person.name, person.email, person.department = ERASED_NAME, None, None
    person.locale = None
    person.sub = f"erased-{uuid.uuid4().hex}"  # a relaunch starts a new, empty record


declare(Item("person", User, title=N_("Who you are"),
             description=N_("The LMS's id for you (sub) on your organisation's LMS (issuer), and "
                            "your name, email and department if your LMS sends them; when you "
                            "first and last launched."),
             links=("id",), where=lambda p: User.id == p.id, erasure=ANONYMISE,
             on_erasure=N_("Your name, email and department are removed and your LMS id replaced, "
                           "so a new launch starts an empty record."),
             single=True, anonymise=_forget_identity))


class SessionPerson(Protocol):
    """Who a session is started for (`sessions.start_session`): a `User`, or a launch's
    person as its upsert returned them (`lti.services.LaunchedPerson`)."""

    @property
    def session_version(self) -> int: ...

    @property
    def is_active(self) -> bool: ...

    def get_id(self) -> str: ...


class Course(FromPlatform, db.Model):  # type: ignore[name-defined]
    """An LTI context (a Moodle or Canvas course), per organisation and issuer."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("organisation_id", "issuer", "context_id"),)

    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    label: Mapped[str | None] = mapped_column(String(255))
    # Names and Role Provisioning Service, when the platform offers it.
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    roster_synced_at: Mapped[datetime | None] = timestamp()
    created_at: Mapped[datetime] = timestamp(now=True)

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")

    @property
    def shown_as(self) -> str:
        return course_name(self.title, self.label, self.context_id)


def course_name(title: str | None, label: str | None, context_id: str) -> str:
    """How pages name a course: its title, else its label, else its context id."""
    return title or label or context_id


class Enrollment(PersonRecord, db.Model):  # type: ignore[name-defined]
    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    course_id: Mapped[int] = link("course", index=True)
    # Space-separated tool roles: learner, instructor, admin, mentor.
    roles: Mapped[str] = mapped_column(String(100), default=LEARNER)
    # "launch" once the person has launched; "roster" while known only from NRPS.
    source: Mapped[str] = mapped_column(String(10), default="launch", server_default="launch")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_seen_at: Mapped[datetime] = timestamp(now=True)

    user: Mapped[User] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")

    @property
    def role_set(self) -> set[str]:
        return set(self.roles.split())


def _with_course(enrollment: Enrollment, hidden: frozenset[str]) -> dict[str, Any]:
    return {**row(enrollment, hidden), "course": row(enrollment.course)}


declare(yours("enrolments", Enrollment, title=N_("Your courses"),
              description=N_("The LMS courses you launched the tool from (or that list you), with "
                             "your roles."),
              export=_with_course))


class MentorScope(db.Model):  # type: ignore[name-defined]
    """From `role_scope_mentor`: the mentor may see the named people (their trainees)."""

    __tablename__ = "mentor_scope"
    __table_args__ = (UniqueConstraint("mentor_id", "mentee_sub"),)

    id: Mapped[int] = row_id()
    mentor_id: Mapped[int] = link("user", index=True)
    # The mentee's sub on the mentor's issuer; the mentee may not have launched yet.
    mentee_sub: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = timestamp(now=True)


def _own_mentors(person: Person) -> ColumnElement[bool]:
    return (MentorScope.mentee_sub == person.sub) & MentorScope.mentor_id.in_(
        select(User.id).where(User.issuer == person.issuer))


declare(yours("mentees_from_the_lms", MentorScope, title=N_("People your LMS says you mentor"),
              description=N_("Their LMS ids, as your LMS sent them (for supervising "
                             "peer-supporter hours)."),
              column="mentor_id"),
        Item("mentors_from_the_lms", MentorScope, title=N_("Mentors your LMS names for you"),
             description=N_("Records that a mentor's LMS launch named you as their mentee."),
             links=("mentee_sub",), where=_own_mentors, erasure=DELETE, on_erasure=REMOVED,
             hidden=frozenset({"mentor_id"})))


class LocalCredential(db.Model):  # type: ignore[name-defined]
    """A password for an L&D admin who does not come through the LMS. The person is a User
    of the organisation's issuer (so they see that organisation's reports), with
    sub `local:<email>`."""

    __tablename__ = "local_credential"

    user_id: Mapped[int] = link("user", primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # An operator of the tool itself: may choose any organisation to act in. Everyone
    # else acts only in their own.
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_hash: Mapped[str] = mapped_column(String(300))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = timestamp()
    last_login_at: Mapped[datetime | None] = timestamp()

    user: Mapped[User] = relationship()


declare(yours("local_sign_in", LocalCredential, title=N_("Your sign-in without the LMS"),
              description=N_("For L&D admins who sign in at /admin/login: the email, failed "
                             "attempts and lock. The password is stored only as a one-way hash, "
                             "which is not shown here."),
              hidden=frozenset({"password_hash"})))
