"""Enrol, log and decide hours, sign attestations, grant waivers, issue, renew and revoke
certificates. Services change models and flush; views commit once."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit import audit
from ..content.loader import ProgrammeContent
from ..content.services import get_catalog
from ..extensions import db
from ..training.models import ModuleCompletion
from ..users.models import ADMIN, MENTOR, Enrollment, MentorScope, User
from .entries import (
    FIRST_TO_START,
    continuing_kinds,
    earliest_day,
    entry_problem,
    latest_day,
    training_kinds,
)
from .models import (
    APPROVED,
    CONTINUING,
    PENDING,
    PRACTICE,
    REJECTED,
    TRAINING,
    AttestationSignature,
    Certificate,
    LoggedHours,
    ProgrammeEnrolment,
    SupervisorAssignment,
    Waiver,
)
from .privacy import ADVICE, find_identifiers
from .rules import (
    CertificateRecord,
    Evaluation,
    Evidence,
    HoursEntry,
    ModuleResult,
    evaluate_programme,
    next_expiry,
)

# Verification codes: 20 characters from an alphabet without look-alikes (~100 bits).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20


class CertificationError(Exception):
    """Something a person asked for that the rules do not allow; the message says why,
    and `field` names the form field it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _system_clock() -> datetime:
    return datetime.now(UTC)


# Where `now()` comes from. Tests set it to a chosen moment (for example a time of day when
# UTC's date differs from the person's) instead of waiting for that moment.
clock: Callable[[], datetime] = _system_clock


def now() -> datetime:
    return clock()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def get_programme(slug: str) -> ProgrammeContent:
    programme = get_catalog().programmes.get(slug)
    if programme is None:
        raise CertificationError(f"There is no programme called {slug!r}.")
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


# --- evidence ---------------------------------------------------------------------------


def gather_evidence(user: User, enrolment: ProgrammeEnrolment) -> Evidence:
    slug = enrolment.programme_slug
    completions = db.session.scalars(
        select(ModuleCompletion).where(ModuleCompletion.user_id == user.id))
    modules = {c.module_slug: ModuleResult(float(c.quiz_score or 100), _aware(c.completed_at))
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
        CertificateRecord(_aware(c.issued_at), _aware(c.expires_at),
                          _aware(c.revoked_at) if c.revoked_at else None)
        for c in db.session.scalars(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.programme_slug == slug)))
    return Evidence(
        enrolled_at=_aware(enrolment.enrolled_at), modules=modules,
        training=entries(TRAINING), practice=entries(PRACTICE),
        continuing_education=entries(CONTINUING), attestations=signed, waivers=waivers,
        certificates=certificates, extensions=enrolment.extensions,
    )


def _happened_by(entry: LoggedHours) -> datetime:
    """When the rules may count an entry. Its day is stored as noon UTC, which is still
    ahead of the clock for someone east of UTC who logs their today: such an entry counts
    from when it was logged (or, if corrected to a later day, from when that day began
    anywhere), so approving it counts it at once."""
    noon = _aware(entry.activity_date)
    day_began = datetime.combine(noon.date(), time(0), FIRST_TO_START)
    return min(noon, max(_aware(entry.created_at), day_began))


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
    evaluation = evaluate_programme(programme.programme, evidence, at or now(), titles)
    return Standing(programme, enrolment, evidence, evaluation,
                    latest_certificate(user, slug))


# --- certificates -------------------------------------------------------------------------


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
        expires_at=next_expiry(standing.programme.programme, evaluation, moment),
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
        raise CertificationError("Give a reason for revoking the certificate.")
    if certificate.revoked_at is None:
        certificate.revoked_at = now()
        certificate.revoked_by_id = admin.id
        certificate.revocation_reason = reason[:2000]
        audit("certificate.revoke", admin, certificate.user, certificate, reason=reason)
        db.session.flush()


def get_certificate_by_code(code: str) -> Certificate | None:
    code = code.strip().upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return db.session.scalars(select(Certificate).where(Certificate.code == code)).first()


# --- hours ------------------------------------------------------------------------------


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
    """Whether an admin assigned trainees to this person (a landing fact: read with the
    person's row at launch)."""
    return exists().where(SupervisorAssignment.supervisor_id == person_id)


def lands_on_supervision(user: User, roles: set[str]) -> bool:
    """A launch with the Mentor role, or by someone an admin assigned trainees to, starts
    on the supervision queue."""
    return MENTOR in roles or db.session.scalar(select(SupervisorAssignment.id).where(
        SupervisorAssignment.supervisor_id == user.id).limit(1)) is not None


def pending_for(supervisor: User) -> list[LoggedHours]:
    """Entries waiting for this supervisor's decision, oldest first."""
    return list(db.session.scalars(select(LoggedHours).where(
        LoggedHours.supervisor_id == supervisor.id, LoggedHours.status == PENDING)
        .order_by(LoggedHours.created_at, LoggedHours.id)))


def count_pending(supervisor: User) -> int:
    return len(pending_for(supervisor))


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
    rule = get_programme(slug).programme.supervisor
    if _roles_of(user) & set(rule.roles):
        return True
    if rule.certified_in:
        certificate = latest_certificate(user, rule.certified_in)
        return certificate is not None and certificate.state_at(now()) == "current"
    return False


def assign_supervisor(trainee: User, supervisor: User, slug: str, admin: User
                      ) -> SupervisorAssignment:
    if supervisor.id == trainee.id:
        raise CertificationError("Nobody supervises themselves.")
    if supervisor.organisation_id != trainee.organisation_id:
        raise CertificationError("The supervisor must belong to the same organisation.")
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


def extend_deadline(enrolment: ProgrammeEnrolment, admin: User, reason: str) -> None:
    """The provisional deadline may be extended, at most as often as the programme says."""
    allowed = get_programme(enrolment.programme_slug).programme.provisional.max_extensions
    if enrolment.extensions >= allowed:
        raise CertificationError("The deadline has already been extended as far as the "
                                 "programme allows.")
    if not reason.strip():
        raise CertificationError("Give a reason for the extension.")
    enrolment.extensions += 1
    db.session.flush()
    audit("deadline.extend", admin, enrolment.user, enrolment, reason=reason.strip())


def continuing_domains(slug: str) -> list[str]:
    return continuing_kinds(get_programme(slug).programme)


def training_domains(slug: str) -> list[str]:
    """What structured training can be logged against: the programme's domains, or
    "general" when it asks only for a total."""
    return training_kinds(get_programme(slug).programme)


def _check_entry(trainee: User, slug: str, *, category: str, kind: str, hours: Decimal | None,
                 activity_date: date, zone: tzinfo | None, supervisor: User | None,
                 reflection: str | None) -> datetime:
    """The one check of what a trainee logs, new or corrected; raises CertificationError
    naming the field. Returns the moment stored for the day: noon UTC, which shows as that
    same calendar day."""
    programme = get_programme(slug).programme
    enrolment = get_enrolment(trainee, slug)
    if enrolment is None:
        raise CertificationError("Enrol in the programme before logging hours.")
    if isinstance(activity_date, datetime):  # a moment: its UTC calendar day
        activity_date = _aware(activity_date).astimezone(UTC).date()
    moment = now()
    problem = entry_problem(
        programme, category=category, kind=kind, hours=hours, day=activity_date,
        earliest=earliest_day(_aware(enrolment.enrolled_at), zone),
        latest=latest_day(moment, zone))
    if problem is not None:
        raise CertificationError(problem.message, problem.field)
    if reflection and (found := find_identifiers(reflection)):
        raise CertificationError(
            "Your reflection seems to contain " + " and ".join(found) + ". Change anything "
            "that could identify the person you supported, then save again. " + ADVICE,
            "reflection")
    if supervisor is None or not may_supervise(supervisor, trainee, slug):
        raise CertificationError("Choose one of your supervisors.", "supervisor")
    return datetime.combine(activity_date, time(12), UTC)


def log_hours(trainee: User, slug: str, *, category: str, kind: str, hours: Decimal,
              activity_date: date, supervisor: User | None, reflection: str | None,
              zone: tzinfo | None = None) -> LoggedHours:
    """Record an entry for the supervisor to decide. `activity_date` is the calendar day in
    the person's `zone` (None: not known, see `entries`)."""
    stored_date = _check_entry(trainee, slug, category=category, kind=kind, hours=hours,
                               activity_date=activity_date, zone=zone, supervisor=supervisor,
                               reflection=reflection)
    assert supervisor is not None
    entry = LoggedHours(
        user_id=trainee.id, programme_slug=slug, category=category, kind=kind, hours=hours,
        activity_date=stored_date, supervisor_id=supervisor.id,
        reflection=(reflection or "").strip()[:1000] or None, status=PENDING,
        created_at=now(),
    )
    db.session.add(entry)
    db.session.flush()
    audit("hours.log", trainee, trainee, entry, hours=str(hours), kind=kind)
    return entry


def decide_hours(entry: LoggedHours, supervisor: User, approve: bool, reason: str
                 ) -> Certificate | None:
    """Approve or reject with a reason. Approval may complete the requirements: then the
    certificate is issued in the same transaction."""
    trainee = db.session.get(User, entry.user_id)
    assert trainee is not None
    if supervisor.id == trainee.id:
        raise CertificationError("Nobody approves their own hours.")
    if not may_supervise(supervisor, trainee, entry.programme_slug):
        raise CertificationError("You are not a supervisor of this trainee.")
    if entry.status != PENDING:
        raise CertificationError("This entry has already been decided.")
    reason = reason.strip()
    if not approve and not reason:
        raise CertificationError("Give the trainee a reason when you reject an entry.",
                                 "reason")
    entry.status = APPROVED if approve else REJECTED
    entry.decided_by_id = supervisor.id
    entry.decided_at = now()
    entry.decision_reason = reason[:2000] or None
    db.session.flush()
    audit("hours.approve" if approve else "hours.reject", supervisor, trainee, entry,
          reason=reason)
    return issue_certificate_if_due(trainee, entry.programme_slug) if approve else None


def resubmit_hours(entry: LoggedHours, trainee: User, *, hours: Decimal, kind: str,
                   activity_date: date, reflection: str | None,
                   category: str | None = None, supervisor: User | None = None,
                   zone: tzinfo | None = None) -> LoggedHours:
    """Correct a rejected entry and send it back for a decision, or edit one still waiting
    for it, checked exactly as a new entry is. The category and supervisor stay as they
    were unless given."""
    if entry.user_id != trainee.id or entry.status not in (REJECTED, PENDING):
        raise CertificationError("Only an entry of yours that is waiting or was rejected can "
                                 "be changed.")
    was_rejected = entry.status == REJECTED
    category = category or entry.category
    if supervisor is None and entry.supervisor_id is not None:
        supervisor = db.session.get(User, entry.supervisor_id)
    stored_date = _check_entry(trainee, entry.programme_slug, category=category, kind=kind,
                               hours=hours, activity_date=activity_date, zone=zone,
                               supervisor=supervisor, reflection=reflection)
    assert supervisor is not None
    entry.category, entry.kind, entry.hours = category, kind, hours
    entry.activity_date, entry.supervisor_id = stored_date, supervisor.id
    entry.reflection = (reflection or "").strip()[:1000] or None
    entry.status, entry.decided_at, entry.decided_by_id = PENDING, None, None
    if was_rejected:
        entry.submissions += 1
    db.session.flush()
    audit("hours.resubmit" if was_rejected else "hours.edit", trainee, trainee, entry)
    return entry


def withdraw_hours(entry: LoggedHours, trainee: User) -> None:
    """A trainee takes back an entry their supervisor has not decided yet."""
    if entry.user_id != trainee.id or entry.status != PENDING:
        raise CertificationError("Only an entry of yours that is still waiting can be "
                                 "withdrawn.")
    audit("hours.withdraw", trainee, trainee, entry, hours=str(entry.hours), kind=entry.kind)
    db.session.delete(entry)
    db.session.flush()


def delete_reflection(entry: LoggedHours, trainee: User) -> None:
    """A trainee deletes the text of a rejected entry (it may hold a detail that should
    not be kept); the hours themselves stay, to correct or leave."""
    if entry.user_id != trainee.id or entry.status != REJECTED:
        raise CertificationError("Only the text of a rejected entry of yours can be deleted.")
    entry.reflection = None
    db.session.flush()
    audit("hours.reflection_delete", trainee, trainee, entry)


def sign_attestation(user: User, slug: str, attestation_id: str) -> Certificate | None:
    programme = get_programme(slug)
    if attestation_id not in {a.id for a in programme.programme.attestations}:
        raise CertificationError("There is no such attestation in this programme.")
    if get_enrolment(user, slug) is None:
        raise CertificationError("Enrol in the programme first.")
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


def grant_waiver(user: User, slug: str, requirement_id: str, admin: User, evidence: str,
                 reason: str) -> Waiver:
    programme = get_programme(slug).programme
    group = requirement_id.split(":", 1)[0]
    if requirement_id not in programme.waivable and group not in programme.waivable:
        raise CertificationError("This programme does not allow that requirement to be waived.")
    if not evidence.strip() or not reason.strip():
        raise CertificationError("A waiver needs the evidence seen and a reason.")
    waiver = Waiver(user_id=user.id, programme_slug=slug, requirement_id=requirement_id,
                    evidence=evidence.strip(), reason=reason.strip(), granted_by_id=admin.id)
    db.session.add(waiver)
    db.session.flush()
    audit("waiver.grant", admin, user, waiver, requirement=requirement_id)
    return waiver


def supervisor_candidates(trainee: User, slug: str) -> list[User]:
    """People of the trainee's organisation this programme's supervisor rule qualifies
    (by LMS role or certificate), by name."""
    rule = get_programme(slug).programme.supervisor
    by_role = select(Enrollment.user_id).where(
        or_(*[Enrollment.roles.contains(role) for role in rule.roles]))
    certified = select(Certificate.user_id).where(
        Certificate.programme_slug == (rule.certified_in or ""),
        Certificate.in_force())
    rows = db.session.scalars(select(User).where(
        User.organisation_id == trainee.organisation_id, User.id != trainee.id,
        or_(User.id.in_(by_role), User.id.in_(certified))).order_by(User.name).limit(500))
    return [u for u in rows if is_qualified_supervisor(u, slug)]
