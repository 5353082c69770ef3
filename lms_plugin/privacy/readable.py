"""The "Everything we hold about you" page in plain words: each item's rows with plain
labels and readable values, without the tool's internals (row ids, version hashes, the
quiz layout, locks), in the request's language (the labels are marked with N_). Pure: the
view passes the names of modules, programmes and people. The JSON download keeps every
column as stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext

from ..audit import event_label
from ..dates import day, moment_text
from ..i18n import N_

# Bookkeeping that means nothing to a person (still in the JSON download).
INTERNAL = frozenset({
    "id", "organisation_id", "course_id", "platform_id", "session_version", "layout_json",
    "current_key", "renewal_of_id", "certificate_id", "object_id", "object_type", "locked_by",
    "locked_until", "available_at", "attempts", "last_error", "lineitems_url", "lineitem_url",
    "scopes", "resource_link_id", "admin_role", "failed_attempts",
})
# Columns naming a person: shown as their name ("You" for the reader).
PEOPLE = frozenset({
    "user_id", "supervisor_id", "decided_by_id", "revoked_by_id", "granted_by_id",
    "actor_id", "subject_id", "assigned_by_id", "trainee_id", "mentor_id",
})
# Columns naming content: shown by its title.
CONTENT = frozenset({"module_slug", "quiz_slug", "programme_slug", "lesson_id",
                     "attestation_id", "requirement_id"})
LABELS = {
    "name": N_("Name"),
    "email": N_("Email"),
    "department": N_("Department"),
    "issuer": N_("Your LMS"),
    "sub": N_("Your id in your LMS"),
    "created_at": N_("Recorded"),
    "last_launch_at": N_("Last visit"),
    "is_operator": N_("Operator"),
    "locked_until": N_("Locked until"),
    "last_login_at": N_("Last sign-in"),
    "roles": N_("Roles"),
    "source": N_("Source"),
    "active": N_("Active"),
    "last_seen_at": N_("Last seen"),
    "mentee_sub": N_("Mentee's id in your LMS"),
    "updated_at": N_("Updated"),
    "module_slug": N_("Module"),
    "lesson_id": N_("Lesson"),
    "completed_at": N_("Completed"),
    "started_at": N_("Started"),
    "modules_started": N_("Modules started"),
    "modules_completed": N_("Modules completed"),
    "quiz_score": N_("Quiz score"),
    "quiz_slug": N_("Quiz"),
    "answers_json": N_("Your answers"),
    "submitted_at": N_("Submitted"),
    "score": N_("Score (%)"),
    "passed": N_("Passed"),
    "phase": N_("Survey"),
    "on": N_("Answered"),
    "kind": N_("Kind"),
    "payload_json": N_("What was sent"),
    "sent_at": N_("Sent"),
    "programme_slug": N_("Programme"),
    "enrolled_at": N_("Enrolled"),
    "extensions": N_("Deadline extensions"),
    "category": N_("Category"),
    "reenrolled_at": N_("Enrolled again"),
    "hours": N_("Hours"),
    "activity_date": N_("Date"),
    "supervisor_id": N_("Supervisor"),
    "reflection": N_("Your reflection"),
    "status": N_("Status"),
    "decided_by_id": N_("Decided by"),
    "decided_at": N_("Decided"),
    "decision_reason": N_("Reason given"),
    "submissions": N_("Times sent"),
    "user_id": N_("Person"),
    "attestation_id": N_("Agreement"),
    "signed_at": N_("Signed"),
    "requirement_id": N_("Requirement"),
    "evidence": N_("Evidence"),
    "reason": N_("Reason"),
    "granted_by_id": N_("Granted by"),
    "granted_at": N_("Granted"),
    "code": N_("Verification code"),
    "holder_name": N_("Name on it"),
    "issued_at": N_("Issued"),
    "expires_at": N_("Valid until"),
    "revoked_at": N_("Revoked"),
    "revoked_by_id": N_("Revoked by"),
    "revocation_reason": N_("Reason for revoking"),
    "evidence_json": N_("Issued on the evidence"),
    "days_before": N_("Days before expiry"),
    "due_at": N_("Due"),
    "seen_at": N_("Seen"),
    "contact": N_("Contact"),
    "languages": N_("Languages"),
    "availability": N_("Availability"),
    "trainee_id": N_("Trainee"),
    "assigned_by_id": N_("Assigned by"),
    "assigned_at": N_("Assigned"),
    "at": N_("When"),
    "actor_id": N_("Who"),
    "action": N_("What"),
    "subject_id": N_("Whose record"),
    "detail_json": N_("Details"),
    "mentor_id": N_("Mentor"),
}
NO_EXPIRY_YEAR = 2999  # certificates that do not expire (completed training)


def label(column: str) -> str:
    if column in LABELS:
        return gettext(LABELS[column])
    for suffix in ("_json", "_at", "_id", "_slug"):
        column = column.removesuffix(suffix)
    return column.replace("_", " ").capitalize()


def _humanise(value: str) -> str:
    return value.replace("-", " ").replace("_", " ").capitalize()


def _flatten(value: Any, names: Mapping[str, str]) -> str:
    """JSON as "Label: value" text, leaving out versions and internals."""
    if isinstance(value, Mapping):
        parts = [f"{names.get(str(k)) or label(str(k))}: {_flatten(v, names)}"
                 for k, v in value.items()
                 if "version" not in str(k) and str(k) not in INTERNAL]
        return "; ".join(p for p in parts if p)
    if isinstance(value, list):
        return ", ".join(_flatten(v, names) for v in value)
    if isinstance(value, str) and value in names:
        return names[value]
    return show(value, names)


def show(value: Any, names: Mapping[str, str] | None = None, column: str = "") -> str:
    names = names or {}
    if value is None or value == "":
        return gettext("none")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        if value.year >= NO_EXPIRY_YEAR:
            return gettext("Does not expire")
        return moment_text(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Decimal | float):
        return f"{float(value):g}"
    if isinstance(value, Mapping | list):
        return _flatten(value, names)
    if column == "action":  # an audit event's code, e.g. certificate.issue
        return event_label(str(value))
    if column in CONTENT:
        return names.get(str(value), _humanise(str(value)))
    return str(value)


def readable(rows: Sequence[Mapping[str, Any]], *, me: int, people: Mapping[int, str],
             names: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """(labels, rows of text) for one item. Internal columns and versions are left out; so
    is a person column that only ever names the reader (it says nothing)."""
    if not rows:
        return [], []
    columns = [c for c in rows[0] if c not in INTERNAL and "version" not in c]
    columns = [c for c in columns
               if not (c in PEOPLE and all(r.get(c) == me for r in rows))]

    def cell(row: Mapping[str, Any], column: str) -> str:
        value = row.get(column)
        if column in PEOPLE and value is not None:
            return (gettext("You") if value == me
                    else people.get(int(value), gettext("Someone no longer here")))
        return show(value, names, column)

    return [label(c) for c in columns], [[cell(r, c) for c in columns] for r in rows]


def person_ids(rows: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(r[c]) for r in rows for c in PEOPLE if r.get(c) is not None}
