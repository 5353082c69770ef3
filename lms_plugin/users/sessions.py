"""Signed-in sessions that can be taken back.

Flask's session is a signed cookie: what it says (who, which roles) stays true for as long
as the browser keeps it. Each session therefore carries the person's `session_version`,
checked on every request; raising the number (erasure, losing the admin role, an
operator's say) ends all their sessions at once. A local admin whose credential is gone
loses the session the same way.

Loading the person is the one query every signed-in page makes, so what every page's
header needs to know about them (how many logged hours wait for their decision, whether
they supervise anyone) is read in the same statement: a higher package registers it as a
*session fact*, a SQL expression on the person's id (`register_session_fact`), and reads
the value with `session_fact` (None when the person was not loaded by the loader this
request, e.g. just signed in: then it asks the database itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, g, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import ColumnElement, Select, bindparam, select

from ..extensions import db
from .models import LocalCredential, SessionPerson, User

VERSION_KEY = "session_version"
FACTS = "lms_plugin.session_facts"
STATEMENT = "lms_plugin.session_user_statement"
Fact = Callable[[ColumnElement[Any]], ColumnElement[Any]]  # person id column -> a value


def start_session(user: SessionPerson, roles: Iterable[str], **extra: object) -> None:
    """A fresh session for this person: nothing of whoever used this browser before."""
    db.session.flush()  # a new person's defaults (session_version) are set on insert
    session.clear()
    login_user(user)
    session["roles"] = sorted(set(roles))
    session[VERSION_KEY] = user.session_version
    for key, value in extra.items():
        session[key] = value


def register_session_fact(app: Flask, name: str, fact: Fact) -> None:
    """Read `fact(person id)` with the person's row on every signed-in request."""
    app.extensions.setdefault(FACTS, {})[name] = fact
    app.extensions.pop(STATEMENT, None)


def _statement() -> Select[Any]:
    """The person and every registered fact, by id: built once per app (and compiled once
    per engine by SQLAlchemy's cache)."""
    made = current_app.extensions.get(STATEMENT)
    if made is None:
        facts = current_app.extensions.get(FACTS, {})
        made = select(User, *(fact(User.id).label(name) for name, fact in facts.items())
                      ).where(User.id == bindparam("person_id"))
        current_app.extensions[STATEMENT] = made
    return made


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the person, if this session is still theirs, with the
    session facts, in one statement."""
    if not user_id.isdigit() or int(user_id) > 2**31 - 1:
        return None
    row = db.session.execute(_statement(), {"person_id": int(user_id)}).first()
    if row is None:
        return None
    user: User = row[0]
    if session.get(VERSION_KEY) != user.session_version:
        return None
    if session.get("local_admin") and db.session.get(LocalCredential, user.id) is None:
        return None
    g.session_facts = dict(zip(row._fields[1:], row[1:], strict=True))
    return user


def session_fact(name: str) -> Any:
    """A session fact read with the signed-in person this request, or None if the person
    was not loaded by the loader (then ask the database)."""
    facts = g.get("session_facts")
    return None if facts is None else facts.get(name)


def end_this_session() -> None:
    logout_user()
    session.clear()


def current_organisation_id() -> int:
    """The organisation the signed-in person acts in: their own; an operator's choice
    (see users.views.choose_organisation) when they are an operator."""
    chosen = session.get("acting_organisation_id")
    if isinstance(chosen, int) and session.get("operator"):
        return chosen
    return int(current_user.organisation_id)
