"""The "Everything we hold about you" page in plain words: each item's rows with plain
labels and readable values, without the tool's internals (row ids, version hashes, the
quiz layout, locks). Pure: the view passes the names of modules, programmes and people.
The JSON download keeps every column as stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..dates import day, moment_text

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
    "name": "Name", "email": "Email", "department": "Department", "issuer": "Your LMS",
    "sub": "Your id in your LMS", "created_at": "Recorded", "last_launch_at": "Last visit",
    "is_operator": "Operator", "locked_until": "Locked until", "last_login_at": "Last sign-in",
    "roles": "Roles", "source": "Source", "active": "Active", "last_seen_at": "Last seen",
    "mentee_sub": "Mentee's id in your LMS", "updated_at": "Updated",
    "module_slug": "Module", "lesson_id": "Lesson", "completed_at": "Completed",
    "started_at": "Started", "modules_started": "Modules started",
    "modules_completed": "Modules completed", "quiz_score": "Quiz score", "quiz_slug": "Quiz",
    "answers_json": "Your answers", "submitted_at": "Submitted", "score": "Score (%)",
    "passed": "Passed", "phase": "Survey", "on": "Answered", "kind": "Kind",
    "payload_json": "What was sent", "sent_at": "Sent", "programme_slug": "Programme",
    "enrolled_at": "Enrolled", "extensions": "Deadline extensions", "category": "Category",
    "reenrolled_at": "Enrolled again",
    "hours": "Hours", "activity_date": "Date", "supervisor_id": "Supervisor",
    "reflection": "Your reflection", "status": "Status", "decided_by_id": "Decided by",
    "decided_at": "Decided", "decision_reason": "Reason given", "submissions": "Times sent",
    "user_id": "Person", "attestation_id": "Agreement", "signed_at": "Signed",
    "requirement_id": "Requirement", "evidence": "Evidence", "reason": "Reason",
    "granted_by_id": "Granted by", "granted_at": "Granted", "code": "Verification code",
    "holder_name": "Name on it", "issued_at": "Issued", "expires_at": "Valid until",
    "revoked_at": "Revoked", "revoked_by_id": "Revoked by",
    "revocation_reason": "Reason for revoking", "evidence_json": "Issued on the evidence",
    "days_before": "Days before expiry", "due_at": "Due", "seen_at": "Seen",
    "contact": "Contact", "languages": "Languages", "availability": "Availability",
    "trainee_id": "Trainee", "assigned_by_id": "Assigned by", "assigned_at": "Assigned",
    "at": "When", "actor_id": "Who", "action": "What", "subject_id": "Whose record",
    "detail_json": "Details", "mentor_id": "Mentor",
}
NO_EXPIRY_YEAR = 2999  # certificates that do not expire (completed training)


def label(column: str) -> str:
    if column in LABELS:
        return LABELS[column]
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
        return "none"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        if value.year >= NO_EXPIRY_YEAR:
            return "Does not expire"
        return moment_text(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Decimal | float):
        return f"{float(value):g}"
    if isinstance(value, Mapping | list):
        return _flatten(value, names)
    if column == "action":  # an audit event's code, e.g. certificate.issue
        return _humanise(str(value).replace(".", ": "))
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
            return "You" if value == me else people.get(int(value), "Someone no longer here")
        return show(value, names, column)

    return [label(c) for c in columns], [[cell(r, c) for c in columns] for r in rows]


def person_ids(rows: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(r[c]) for r in rows for c in PEOPLE if r.get(c) is not None}
