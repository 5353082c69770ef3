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

A page can do the same for what only it needs (whether this lesson is done): a *page
fact* is registered like a session fact but read only on the requests that ask for it,
with the request's own parameters (`asks_with_person`, a view decorator placed above
`login_required`, so the question is put before the person is loaded). The statement for
each set of asked facts is built once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import ColumnElement, Select, bindparam, select

from ..extensions import db
from .models import LocalCredential, SessionPerson, User

VERSION_KEY = "session_version"
FACTS = "lms_plugin.session_facts"
PAGE_FACTS = "lms_plugin.page_facts"
STATEMENTS = "lms_plugin.session_user_statements"
Fact = Callable[[ColumnElement[Any]], ColumnElement[Any]]  # person id column -> a value
View = TypeVar("View", bound=Callable[..., Any])


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
    app.extensions.pop(STATEMENTS, None)


def register_page_fact(app: Flask, name: str, fact: Fact) -> None:
    """Read `fact(person id)` with the person's row on the requests that ask for it
    (`asks_with_person`); its bound parameters are the request's."""
    app.extensions.setdefault(PAGE_FACTS, {})[name] = fact
    app.extensions.pop(STATEMENTS, None)


def asks_with_person(ask: Callable[..., dict[str, dict[str, Any]]]) -> Callable[[View], View]:
    """A view decorator, above `login_required`: `ask(**view_args)` names the page facts
    this request wants, each with its bound parameters ({} for none wanted, e.g. a lesson
    that does not exist); they are read with the person, and `session_fact` gives them."""
    def decorate(view: View) -> View:
        @wraps(view)
        def asking(**kwargs: Any) -> Any:
            g.page_facts_asked = ask(**kwargs)
            return view(**kwargs)
        return asking  # type: ignore[return-value]
    return decorate


def _statement(asked: Iterable[str]) -> Select[Any]:
    """The person, every session fact and the asked page facts, by id: built once per app
    and set of page facts (and compiled once per engine by SQLAlchemy's cache)."""
    key = frozenset(asked)
    made_by_asked: dict[frozenset[str], Select[Any]] = current_app.extensions.setdefault(
        STATEMENTS, {})
    made = made_by_asked.get(key)
    if made is None:
        facts = dict(current_app.extensions.get(FACTS, {}))
        page_facts = current_app.extensions.get(PAGE_FACTS, {})
        facts.update((name, page_facts[name]) for name in sorted(key))
        made = select(User, *(fact(User.id).label(name) for name, fact in facts.items())
                      ).where(User.id == bindparam("person_id"))
        made_by_asked[key] = made
    return made


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the person, if this session is still theirs, with the
    session facts and the page facts this request asked for, in one statement."""
    if not user_id.isdigit() or int(user_id) > 2**31 - 1:
        return None
    asked: dict[str, dict[str, Any]] = g.get("page_facts_asked") or {}
    params: dict[str, Any] = {"person_id": int(user_id)}
    for values in asked.values():
        params.update(values)
    row = db.session.execute(_statement(asked), params).first()
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
