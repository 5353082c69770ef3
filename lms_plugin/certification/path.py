"""Who is on the peer-supporter path of the training: someone enrolled in a programme.
Registered with training (`register_supporter_path`), which never imports certification."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import ColumnElement, exists, select

from ..extensions import db
from ..users.models import User
from ..users.sessions import session_fact
from .models import ProgrammeEnrolment

ENROLLED = "enrolled"  # the session fact's name
SAFE_METHODS = ("GET", "HEAD")


def enrolled_in_any(person_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the person is enrolled in a programme, as an expression on their id (a
    session fact: read with the signed-in person, so the programme and module pages ask
    no query of their own)."""
    return exists().where(ProgrammeEnrolment.user_id == person_id)


def on_supporter_path(user: User) -> bool:
    """For the signed-in person on a request that changes nothing (GET), the session fact
    read with them at its start; otherwise (someone else, or a request that may enrol or
    withdraw them before it asks) the database."""
    if (has_request_context() and request.method in SAFE_METHODS
            and getattr(current_user, "id", None) == user.id):
        known = session_fact(ENROLLED)
        if known is not None:
            return bool(known)
    return db.session.scalar(select(ProgrammeEnrolment.id).where(
        ProgrammeEnrolment.user_id == user.id).limit(1)) is not None
