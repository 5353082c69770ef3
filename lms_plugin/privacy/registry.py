"""The one list of the personal data this tool holds, as export and erasure read it. Each
kind is declared beside the model that keeps it (`lms_plugin.personal_data.declare`):
how a person's rows are found, what they are (in words the person reads) and what erasure
does to them. The export ("everything we hold about you") and erasure both go through
`items()`, so they cannot drift apart; tests/functional/privacy/test_privacy_registry.py
fails when a table gains a column that points at a person and no declaration covers it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from ..extensions import db
from ..personal_data import ANONYMISE, DELETE, Item, declared
from ..users.models import User

# The order the page and the export tell things in, by the package whose model keeps it:
# who you are and your courses, your learning, quizzes and grades, surveys, the programme,
# e-mail, then the audit log. A package not named here comes last.
ORDER = ("users", "training", "quiz", "lti", "jobs", "reporting", "certification",
         "notifications", "audit")


def items() -> tuple[Item, ...]:
    """Every kind of personal data, in ORDER, each package's in the order it declares them.
    Complete once the app's packages are imported (each package's `__init__` imports its
    models, which declare their kinds as they define their tables)."""
    return tuple(sorted(declared(), key=_place))


def _place(item: Item) -> int:
    package = item.model.__module__.split(".")[1]
    return ORDER.index(package) if package in ORDER else len(ORDER)


def export(person: User) -> dict[str, Any]:
    """Everything in the registry about this person: each item's rows under its key."""
    data: dict[str, Any] = {}
    for item in items():
        rows = [item.export(r, item.hidden) for r in item.rows(person)]
        data[item.key] = (rows[0] if rows else None) if item.single else rows
    return data


def erase(person: User) -> dict[str, int]:
    """Apply each item's erasure; return how many rows were removed, by item. Rows are
    found (by id and by LMS id) before the person's own row is anonymised. Flushes."""
    removed: dict[str, int] = {}
    for item in items():
        if item.erasure == DELETE:
            result = db.session.execute(delete(item.model).where(item.where(person)))
            removed[item.key] = int(getattr(result, "rowcount", 0) or 0)
    for item in items():
        if item.erasure == ANONYMISE and item.anonymise is not None:
            item.anonymise(person)
    db.session.flush()
    return removed
