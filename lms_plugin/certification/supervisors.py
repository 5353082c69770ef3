"""Supervisors: who may supervise whom (LTI mentors, admins, people an admin assigned,
as the programme's rule allows), who lands on the supervision queue, assignments."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, exists, literal, or_, select

from ..audit import audit
from ..extensions import db
from ..users.models import ADMIN, MENTOR, Enrollment, MentorScope, User
from .clock import now
from .enrolments import CertificationError, get_programme
from .models import Certificate, SupervisorAssignment


def _roles_of(user: User) -> set[str]:
    roles: set[str] = set()
    for enrollment in db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == user.id)):
        roles |= enrollment.role_set
    return roles


def _assigned(supervisor: User, trainee: User) -> bool:
    return db.session.scalar(select(SupervisorAssignment.id).where(
        SupervisorAssignment.supervisor_id == supervisor.id,
        SupervisorAssignment.trainee_id == trainee.id)) is not None


def may_supervise(supervisor: User, trainee: User, slug: str | None = None) -> bool:
    """An admin, a mentor whose role_scope_mentor names the trainee, or a supervisor an
    admin assigned to them; never oneself. With a programme, the supervisor must also
    meet its rule for who may supervise."""
    if supervisor.id == trainee.id or supervisor.organisation_id != trainee.organisation_id:
        return False
    if slug is not None and not is_qualified_supervisor(supervisor, slug):
        return False
    roles = _roles_of(supervisor)
    if ADMIN in roles or _assigned(supervisor, trainee):
        return True
    if MENTOR in roles and supervisor.issuer == trainee.issuer:
        return db.session.scalar(select(MentorScope.id).where(
            MentorScope.mentor_id == supervisor.id,
            MentorScope.mentee_sub == trainee.sub)) is not None
    return False


def supervisors_of(trainee: User) -> list[User]:
    """The people a trainee can send hours to: their LMS mentors and assigned supervisors."""
    mentors = db.session.scalars(select(User).join(MentorScope, MentorScope.mentor_id == User.id)
                                 .where(MentorScope.mentee_sub == trainee.sub,
                                        User.organisation_id == trainee.organisation_id,
                                        User.issuer == trainee.issuer, User.id != trainee.id))
    assigned = db.session.scalars(select(User).join(
        SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
        .where(SupervisorAssignment.trainee_id == trainee.id))
    return sorted(dict.fromkeys([*mentors, *assigned]), key=lambda u: u.display_name.lower())


def supervises_anyone(person_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether an admin assigned trainees to this person, as an expression on their id (a
    landing fact, read with the person's row at launch, and a session fact, read with
    them on every page)."""
    return exists().where(SupervisorAssignment.supervisor_id == person_id)


def lands_on_supervision(user: User, roles: set[str]) -> bool:
    """A launch with the Mentor role, or by someone an admin assigned trainees to, starts
    on the supervision queue."""
    return MENTOR in roles or bool(db.session.scalar(select(supervises_anyone(
        literal(user.id)))))


def trainees_of(supervisor: User) -> list[User]:
    scoped = db.session.scalars(select(User).join(MentorScope, MentorScope.mentee_sub == User.sub)
                                .where(MentorScope.mentor_id == supervisor.id,
                                       User.organisation_id == supervisor.organisation_id,
                                       User.issuer == supervisor.issuer))
    assigned = db.session.scalars(select(User).join(
        SupervisorAssignment, SupervisorAssignment.trainee_id == User.id)
        .where(SupervisorAssignment.supervisor_id == supervisor.id))
    return sorted(dict.fromkeys([*scoped, *assigned]), key=lambda u: u.display_name.lower())


def is_qualified_supervisor(user: User, slug: str) -> bool:
    """What the programme says qualifies someone to supervise: one of its roles in any
    course, or a current certificate in the programme it names."""
    rule = get_programme(slug).document.supervisor
    if _roles_of(user) & set(rule.roles):
        return True
    if rule.certified_in:
        certificate = Certificate.current(user.id, rule.certified_in)
        return certificate is not None and certificate.state_at(now()) == "current"
    return False


def assign_supervisor(trainee: User, supervisor: User, slug: str, admin: User
                      ) -> SupervisorAssignment:
    if supervisor.id == trainee.id:
        raise CertificationError(gettext("Nobody supervises themselves."))
    if supervisor.organisation_id != trainee.organisation_id:
        raise CertificationError(gettext("The supervisor must belong to the same organisation."))
    if not is_qualified_supervisor(supervisor, slug):
        raise CertificationError(
            f"{supervisor.display_name} is not qualified to supervise under this programme.")
    existing = db.session.scalars(select(SupervisorAssignment).where(
        SupervisorAssignment.supervisor_id == supervisor.id,
        SupervisorAssignment.trainee_id == trainee.id)).first()
    if existing is not None:
        return existing
    assignment = SupervisorAssignment(supervisor_id=supervisor.id, trainee_id=trainee.id,
                                      assigned_by_id=admin.id, assigned_at=now())
    db.session.add(assignment)
    db.session.flush()
    audit("supervisor.assign", admin, trainee, assignment, supervisor=supervisor.id,
          programme=slug)
    return assignment


def unassign_supervisor(assignment: SupervisorAssignment, admin: User) -> None:
    audit("supervisor.unassign", admin, assignment.trainee, assignment,
          supervisor=assignment.supervisor_id)
    db.session.delete(assignment)
    db.session.flush()


def supervisor_candidates(trainee: User, slug: str) -> list[User]:
    """People of the trainee's organisation this programme's supervisor rule qualifies
    (by LMS role or certificate), by name."""
    rule = get_programme(slug).document.supervisor
    by_role = select(Enrollment.user_id).where(
        or_(*[Enrollment.roles.contains(role) for role in rule.roles]))
    certified = select(Certificate.user_id).where(
        Certificate.programme_slug == (rule.certified_in or ""),
        Certificate.in_force())
    rows = db.session.scalars(select(User).where(
        User.organisation_id == trainee.organisation_id, User.id != trainee.id,
        or_(User.id.in_(by_role), User.id.in_(certified))).order_by(User.name).limit(500))
    return [u for u in rows if is_qualified_supervisor(u, slug)]
