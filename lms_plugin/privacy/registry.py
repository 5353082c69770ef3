"""The one list of the personal data this tool holds: for each kind, how a person's rows
are found, what they are (in words the person reads) and what erasure does to them. The
export ("everything we hold about you") and erasure both read it, so they cannot drift
apart; tests/functional/privacy/test_privacy_registry.py fails when a table gains a column that
points at a person and no entry here covers it.

Erasure: DELETE removes the rows. KEEP leaves rows that are someone else's record (hours
a supervisor decided, an admin's waiver, the audit log) pointing at the person's own row,
which erasure turns into "Erased person". ANONYMISE is for the person's row itself and for
certificates, kept as a minimal record (name, programme, dates, code) so they can still be
verified and revoked.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, inspect, or_, select, update

from ..audit import AuditEvent
from ..certification.models import (
    AttestationSignature,
    Certificate,
    DirectoryListing,
    LoggedHours,
    ProgrammeEnrolment,
    Reminder,
    RolePlayObservation,
    SupervisorAssignment,
    Waiver,
)
from ..extensions import db
from ..i18n import N_
from ..jobs.models import OutboxMessage
from ..lti.ags import SCORE_KIND
from ..lti.models import AgsEndpoint, Platform
from ..notifications.models import Notification, NotificationOptOut
from ..quiz.models import QuizAllowance, QuizAttempt
from ..reporting.models import SurveyCompletion
from ..training.models import LearnerModule, LearnerProgress, LessonProgress, ModuleCompletion
from ..users.models import Enrollment, LocalCredential, MentorScope, User

DELETE, KEEP, ANONYMISE = "delete", "keep", "anonymise"
ERASED_NAME = N_("Erased person")


def row(obj: Any, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A row as plain data, column by column; `*_json` columns decoded."""
    out = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in hidden:
            continue
        value = getattr(obj, column.key)
        if column.key.endswith("_json",) and value:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[column.key] = value
    return out


@dataclass(frozen=True)
class Item:
    key: str  # its name in the export
    model: type[Any]
    title: str
    description: str  # what it is, for the person
    links: tuple[str, ...]  # the columns of `model` that point at the person
    where: Callable[[User], ColumnElement[bool]]  # the person's rows
    erasure: str  # DELETE | KEEP | ANONYMISE
    on_erasure: str  # what erasure does, for the person
    hidden: frozenset[str] = frozenset()  # never exported: secrets, other people's words
    single: bool = False  # one row (the person), not a list
    export: Callable[[Any, frozenset[str]], dict[str, Any]] = field(default=row)
    anonymise: Callable[[User], None] | None = None

    def rows(self, person: User) -> list[Any]:
        return list(db.session.scalars(
            select(self.model).where(self.where(person)).order_by(*_order(self.model))))


def _order(model: type[Any]) -> list[Any]:
    return list(inspect(model).primary_key)


def _forget_identity(person: User) -> None:
    person.name, person.email, person.department = ERASED_NAME, None, None
    person.locale = None
    person.sub = f"erased-{uuid.uuid4().hex}"  # a relaunch starts a new, empty record


def _minimal_certificates(person: User) -> None:
    db.session.execute(update(Certificate).where(Certificate.user_id == person.id)
                       .values(evidence_json="{}"))


def _with_course(enrollment: Enrollment, hidden: frozenset[str]) -> dict[str, Any]:
    return {**row(enrollment, hidden), "course": row(enrollment.course)}


def _own_mentors(person: User) -> ColumnElement[bool]:
    return (MentorScope.mentee_sub == person.sub) & MentorScope.mentor_id.in_(
        select(User.id).where(User.issuer == person.issuer))


def _grades_for(person: User) -> ColumnElement[bool]:
    """Scores waiting for (or sent to) the person's LMS: the payload names them by their
    LMS id (`userId`) on one of their issuer's registrations."""
    needle = '"userId": ' + json.dumps(person.sub)
    platforms = set(db.session.scalars(select(Platform.id).where(
        Platform.issuer == person.issuer)))
    ids = [
        message_id for message_id, payload in db.session.execute(
            select(OutboxMessage.id, OutboxMessage.payload_json).where(
                OutboxMessage.kind == SCORE_KIND,
                OutboxMessage.payload_json.contains(needle, autoescape=True)))
        if _names(payload, person.sub, platforms)
    ]
    return OutboxMessage.id.in_(ids)


def _names(payload: str, sub: str, platforms: set[int]) -> bool:
    try:
        data = json.loads(payload)
        return bool(data["score"]["userId"] == sub and data["platform_id"] in platforms)
    except (ValueError, KeyError, TypeError):
        return False


def _yours(key: str, model: Any, title: str, description: str, *, column: str = "user_id",
           **extra: Any) -> Item:
    """The common kind: the person's rows by `column` (`user_id`), removed on erasure."""
    return Item(key, model, title, description, (column,),
                lambda p: getattr(model, column) == p.id, DELETE, N_("Removed."), **extra)


KEPT_FOR_OTHERS = (N_("Kept: it is part of someone else's record. It then points at an "
                   "\"Erased person\" with nothing else about you."))


def _kept(key: str, model: Any, title: str, description: str, *, column: str,
          **extra: Any) -> Item:
    """Someone else's record that names the person in `column` (an admin's grant, a
    supervisor's mark): kept on erasure, then pointing at an "Erased person"."""
    return Item(key, model, title, description, (column,),
                lambda p: getattr(model, column) == p.id, KEEP, KEPT_FOR_OTHERS, **extra)

REGISTRY: tuple[Item, ...] = (
    Item("person", User, N_("Who you are"),
         N_("The LMS's id for you (sub) on your organisation's LMS (issuer), and your name, "
         "email and department if your LMS sends them; when you first and last launched."),
         ("id",), lambda p: User.id == p.id, ANONYMISE,
         N_("Your name, email and department are removed and your LMS id replaced, so a new "
         "launch starts an empty record."), single=True, anonymise=_forget_identity),
    _yours("local_sign_in", LocalCredential, N_("Your sign-in without the LMS"),
           N_("For L&D admins who sign in at /admin/login: the email, failed attempts and lock. "
           "The password is stored only as a one-way hash, which is not shown here."),
           hidden=frozenset({"password_hash"})),
    _yours("enrolments", Enrollment, N_("Your courses"),
           N_("The LMS courses you launched the tool from (or that list you), with your roles."),
           export=_with_course),
    _yours("mentees_from_the_lms", MentorScope, N_("People your LMS says you mentor"),
           N_("Their LMS ids, as your LMS sent them (for supervising peer-supporter hours)."),
           column="mentor_id"),
    Item("mentors_from_the_lms", MentorScope, N_("Mentors your LMS names for you"),
         N_("Records that a mentor's LMS launch named you as their mentee."),
         ("mentee_sub",), _own_mentors, DELETE, N_("Removed."), hidden=frozenset({"mentor_id"})),
    _yours("lessons_completed", LessonProgress, N_("Lessons you completed"),
           N_("Each lesson you marked complete, when, and the version of the module.")),
    _yours("module_progress", LearnerModule, N_("Modules you started"),
           N_("When you started and completed each module (for reports' counts).")),
    _yours("progress_counters", LearnerProgress, N_("Your progress counts"),
           N_("How many modules you have started and completed (for reports' counts).")),
    _yours("modules_completed", ModuleCompletion, N_("Modules you completed"),
           N_("Each module you completed, when, and your best quiz score then.")),
    _yours("quiz_attempts", QuizAttempt, N_("Your quiz attempts"),
           N_("The questions you were given, the answers you chose and your score. Answers are "
           "cleared after the retention period; scores stay.")),
    _yours("quiz_allowances", QuizAllowance, N_("Extra quiz tries given to you"),
           N_("Tries beyond a quiz's limit, or a wait lifted, that an L&D admin gave you, and "
              "why.")),
    _kept("quiz_allowances_you_granted", QuizAllowance, N_("Extra quiz tries you gave"),
          N_("Extra tries and lifted waits you gave others as an admin, with your reason."),
          column="granted_by_id"),
    _yours("surveys_answered", SurveyCompletion, N_("Surveys you answered"),
           N_("That you answered the before or after survey (not when). Your answers themselves "
           "are stored with no link to you, so nobody (you included) can find them.")),
    _yours("grade_endpoints", AgsEndpoint, N_("Where your grades go"),
           N_("The gradebook addresses your LMS gave with your launches, to send your scores to.")),
    Item("grades_for_the_lms", OutboxMessage, N_("Scores sent to your LMS"),
         N_("Your quiz scores as sent (or waiting to be sent) to your LMS's gradebook, with "
         "your LMS id."), (), _grades_for, DELETE,
         N_("Removed; a score not yet sent to your LMS is then not sent.")),
    _yours("programme_enrolments", ProgrammeEnrolment, N_("Peer-supporter programmes"),
           N_("The certification programmes you enrolled in, when (and when again, after a "
           "lapse), and deadline extensions.")),
    _yours("logged_hours", LoggedHours, N_("Hours you logged"),
           N_("Your supervised practice, training and continuing education: date, hours, kind, "
           "your reflection, your supervisor and their decision.")),
    Item("hours_you_supervised", LoggedHours, N_("Hours sent to you to decide"),
         N_("Entries trainees sent you as their supervisor, and your decisions and reasons. "
         "Their reflections are theirs and are not shown here."),
         ("supervisor_id", "decided_by_id"),
         lambda p: or_(LoggedHours.supervisor_id == p.id, LoggedHours.decided_by_id == p.id),
         KEEP, KEPT_FOR_OTHERS, hidden=frozenset({"reflection"})),
    _yours("attestations", AttestationSignature, N_("Agreements you signed"),
           N_("Each programme agreement you signed, when, and its version.")),
    _yours("waivers", Waiver, N_("Prior learning recognised for you"),
           N_("Requirements an admin waived for you, with the evidence they saw and why.")),
    _yours("roleplay_observations", RolePlayObservation, N_("Role-plays observed"),
           N_("Scripted role-plays a supervisor observed: which script, when, who marked it, "
           "and competent or not yet on each point of its rubric.")),
    _kept("roleplays_you_observed", RolePlayObservation, N_("Role-plays you observed"),
          N_("Role-plays of trainees you marked as their supervisor."),
          column="supervisor_id"),
    _kept("waivers_you_granted", Waiver, N_("Waivers you granted"),
          N_("Requirements you waived for others as an admin, with your reason."),
          column="granted_by_id", hidden=frozenset({"evidence"})),
    Item("certificates", Certificate, N_("Your certificates"),
         N_("Each certificate: its code, programme, dates, and the evidence it was issued on."),
         ("user_id",), lambda p: Certificate.user_id == p.id, ANONYMISE,
         N_("Kept as a minimal record (name, programme, dates, code) so it can still be "
         "verified or revoked; the evidence is removed."), anonymise=_minimal_certificates),
    _kept("certificates_you_revoked", Certificate, N_("Certificates you revoked"),
          N_("Certificates you revoked as an admin, and your reason."),
          column="revoked_by_id", hidden=frozenset({"evidence_json", "holder_name"})),
    Item("certificate_reminders", Reminder, N_("Renewal reminders"),
         N_("Reminders that your certificate is due for renewal, and whether you saw them."),
         ("certificate_id",), lambda p: Reminder.certificate_id.in_(
             select(Certificate.id).where(Certificate.user_id == p.id)), DELETE, N_("Removed.")),
    _yours("directory_listing", DirectoryListing, N_("Your Find-a-peer-supporter listing"),
           N_("How colleagues can reach you, your languages and availability, if you listed "
           "yourself.")),
    _yours("supervisors_assigned", SupervisorAssignment, N_("Supervisors assigned to you"),
           N_("Supervisors an admin assigned to you, and when."),
           column="trainee_id"),
    _yours("trainees_assigned_to_you", SupervisorAssignment, N_("Trainees assigned to you"),
           N_("Trainees an admin assigned you to supervise, and when."),
           column="supervisor_id"),
    _kept("assignments_you_made", SupervisorAssignment, N_("Supervisor assignments you made"),
          N_("Supervisors you assigned to trainees as an admin."),
          column="assigned_by_id"),
    Item("emails", Notification, N_("E-mails to you"),
         N_("Each e-mail the tool sent you or has waiting (what it was about, when), with what "
         "it said: a programme, a certificate code, a supervisor's reason. Never your "
         "answers, scores or reflections."),
         ("user_id",), lambda p: Notification.user_id == p.id, DELETE,
         N_("Removed; an e-mail not yet sent is then not sent. One last e-mail tells you the "
         "erasure is done; your address is kept only until it is sent.")),
    _yours("email_settings", NotificationOptOut, N_("E-mails you turned off"),
           N_("The kinds of e-mail you chose not to receive.")),
    Item("audit_events_about_you", AuditEvent, N_("The audit log, where it names you"),
         N_("Who did what to whose record: what you did, and what others did to your record "
         "(views of it, decisions, exports)."),
         ("actor_id", "subject_id"),
         lambda p: or_(AuditEvent.subject_id == p.id, AuditEvent.actor_id == p.id), KEEP,
         N_("Kept for accountability until the audit retention period ends; it then points at "
         "an \"Erased person\".")),
)


def export(person: User) -> dict[str, Any]:
    """Everything in the registry about this person: each item's rows under its key."""
    data: dict[str, Any] = {}
    for item in REGISTRY:
        rows = [item.export(r, item.hidden) for r in item.rows(person)]
        data[item.key] = (rows[0] if rows else None) if item.single else rows
    return data


def erase(person: User) -> dict[str, int]:
    """Apply each item's erasure; return how many rows were removed, by item. Rows are
    found (by id and by LMS id) before the person's own row is anonymised. Flushes."""
    removed: dict[str, int] = {}
    for item in REGISTRY:
        if item.erasure == DELETE:
            result = db.session.execute(delete(item.model).where(item.where(person)))
            removed[item.key] = int(getattr(result, "rowcount", 0) or 0)
    for item in REGISTRY:
        if item.erasure == ANONYMISE and item.anonymise is not None:
            item.anonymise(person)
    db.session.flush()
    return removed
