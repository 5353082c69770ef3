"""People and their sessions: ending sessions, a mentor's mentees. (A launch is recorded
by `lti.services.record_launch`, which also ends a person's sessions when a launch no
longer carries the admin role their earlier one did.)"""

from __future__ import annotations

from sqlalchemy import delete, insert

from ..extensions import db
from .models import MentorScope, User


def end_sessions(user: User) -> None:
    """End every session of this person, everywhere, at their next request."""
    user.session_version = (user.session_version or 1) + 1


def set_mentor_scope(mentor_id: int, mentee_subs: list[str]) -> None:
    """The platform's list is the truth: replace what we had (Core statements: a launch
    loads no ORM object)."""
    table = MentorScope.__table__
    db.session.execute(delete(table).where(table.c.mentor_id == mentor_id))
    subs = list(dict.fromkeys(mentee_subs))
    if subs:
        db.session.execute(insert(table), [{"mentor_id": mentor_id, "mentee_sub": sub}
                                           for sub in subs])


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
