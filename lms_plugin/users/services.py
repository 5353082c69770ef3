"""People and their sessions: the admin role a launch carries, ending sessions, a
mentor's mentees. (A launch is recorded by `lti.services.record_launch`.)"""

from __future__ import annotations

from sqlalchemy import delete

from ..extensions import db
from .models import MentorScope, User


def note_admin_role(user: User, is_admin: bool) -> None:
    """A launch without the admin role ends the person's other sessions that still carry
    it (roles travel in the signed session cookie, which cannot be taken back)."""
    if user.admin_role and not is_admin:
        end_sessions(user)
    user.admin_role = is_admin


def end_sessions(user: User) -> None:
    """End every session of this person, everywhere, at their next request."""
    user.session_version = (user.session_version or 1) + 1


def set_mentor_scope(mentor: User, mentee_subs: list[str]) -> None:
    """The platform's list is the truth: replace what we had."""
    db.session.execute(delete(MentorScope).where(MentorScope.mentor_id == mentor.id))
    for sub in dict.fromkeys(mentee_subs):
        db.session.add(MentorScope(mentor_id=mentor.id, mentee_sub=sub))
    db.session.flush()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
