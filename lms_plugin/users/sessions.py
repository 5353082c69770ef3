"""Signed-in sessions that can be taken back.

Flask's session is a signed cookie: what it says (who, which roles) stays true for as long
as the browser keeps it. Each session therefore carries the person's `session_version`,
checked on every request; raising the number (erasure, losing the admin role, an
operator's say) ends all their sessions at once. A local admin whose credential is gone
loses the session the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import session
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from .models import LocalCredential, SessionPerson, User

VERSION_KEY = "session_version"


def start_session(user: SessionPerson, roles: Iterable[str], **extra: object) -> None:
    """A fresh session for this person: nothing of whoever used this browser before."""
    db.session.flush()  # a new person's defaults (session_version) are set on insert
    session.clear()
    login_user(user)
    session["roles"] = sorted(set(roles))
    session[VERSION_KEY] = user.session_version
    for key, value in extra.items():
        session[key] = value


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the person, if this session is still theirs."""
    if not user_id.isdigit() or int(user_id) > 2**31 - 1:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or session.get(VERSION_KEY) != user.session_version:
        return None
    if session.get("local_admin") and db.session.get(LocalCredential, user.id) is None:
        return None
    return user


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
