"""Readable labels for the audit log: every event name the code writes (a test greps the
code for `audit("...")` and fails on one missing here), and the details' keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

EVENT_LABELS: dict[str, str] = {
    "admin.login": "Signed in at the admin sign-in page",
    "operator.organisation": "Operator opened an organisation",
    "person.view": "Opened a person's record",
    "person.erase": "Erased a person's records",
    "people.search": "Searched people",
    "privacy.export": "Downloaded their own data",
    "privacy.erasure_request": "Asked for their records to be erased",
    "report.export": "Exported a report (CSV)",
    "report.people.export": "Exported everyone's progress (CSV)",
    "report.list.view": "Opened a named list from the reports",
    "programme.people.view": "Opened a programme's list of people",
    "programme.enrol": "Enrolled in a programme",
    "programme.reenrol": "Enrolled again after a lapse",
    "programme.rehearsal.names": "Listed who a draft programme would move",
    "attestation.sign": "Signed a programme agreement",
    "hours.log": "Logged hours",
    "hours.approve": "Approved logged hours",
    "hours.reject": "Rejected logged hours",
    "hours.resubmit": "Corrected and resent logged hours",
    "hours.edit": "Edited logged hours awaiting approval",
    "hours.withdraw": "Withdrew logged hours",
    "hours.reflection_delete": "Deleted the text of a reflection",
    "supervisor.assign": "Assigned a supervisor",
    "supervisor.unassign": "Removed a supervisor",
    "waiver.grant": "Recognised prior learning (waiver)",
    "deadline.extend": "Extended a programme deadline",
    "certificate.issue": "Certificate issued",
    "roleplay.observe": "Role-play observed and marked",
    "certificate.renew": "Certificate renewed",
    "certificate.revoke": "Certificate revoked",
    "certificate.reminder": "Renewal reminder came due",
    "directory.opt_in": "Listed themselves as a peer supporter",
    "directory.opt_out": "Left the peer supporter directory",
    "quiz.extra_attempt": "Gave one more quiz try",
    "quiz.cooldown_lift": "Lifted a quiz's wait before a retake",
}

DETAIL_LABELS: dict[str, str] = {
    "reason": "Reason", "programme": "Programme", "quiz": "Quiz", "query": "Search",
    "report": "Report", "state": "Stage", "course": "Course", "department": "Department",
    "format": "As", "page": "Page", "removed": "Removed", "sort": "Sorted by",
    "requirement": "Requirement", "evidence": "Evidence", "hours": "Hours",
    "kind": "Activity", "organisation": "Organisation", "days_before": "Days before expiry",
    "previous_certificate": "Earlier certificate", "draft_version": "Draft version",
    "moved": "People moved",
}


def event_label(action: str) -> str:
    """The label, else the name made readable ("quiz.extra_attempt" -> "Quiz: extra
    attempt") for an event added after this list."""
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    head, _, tail = action.partition(".")
    words = f"{head}: {tail}" if tail else head
    return words.replace("_", " ").replace(".", " ").capitalize()


def detail_lines(detail_json: str, names: Mapping[str, str]) -> list[tuple[str, str]]:
    """An event's details as (label, text) pairs; content slugs shown by their title."""
    try:
        detail = json.loads(detail_json or "{}")
    except ValueError:
        return []
    if not isinstance(detail, dict):
        return []
    lines = []
    for key, value in detail.items():
        if value in (None, "", {}, []):
            continue
        label = DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())
        lines.append((label, _text(value, names)))
    return lines


def _text(value: Any, names: Mapping[str, str]) -> str:
    if isinstance(value, dict):
        parts = [f"{names.get(k, k.replace('_', ' '))}: {_text(v, names)}"
                 for k, v in value.items() if v]
        return ", ".join(parts) if parts else "nothing"
    if isinstance(value, list):
        return ", ".join(_text(v, names) for v in value)
    text = str(value)
    return names.get(text, text)
